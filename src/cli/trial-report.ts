// What `alm-rnn train` prints about a grid of trials: the one-line summary of its lists for the
// header, and the tables of its results and of a selection, with the best or chosen trial marked.
import type { AlmSummary, EarlyStopOutcome, RunConfig, RunOutcome } from '../api/public.ts';

/** What a selection on validation found: each candidate's run on the fit part (its valErr the score) and the chosen one (lowestScore). */
export interface SelectionData {
  /** V: the training part's last steps that scored the candidates. */
  validationSteps: number;
  /** Each candidate's run on the fit part, with its valErr (with early stopping, its earlyStop outcome). */
  fits: RunOutcome[];
  /** The chosen candidate's index: the lowest valErr, the earlier one on a tie. */
  chosen: number;
}

/** How a trial's initial weights are named in headers and tables: its initialiser, or where given weights come from. */
export type InitLabel = (config: RunConfig) => string;

/** The initialiser's name: the label of trials whose weights are drawn. */
export const drawnInit: InitLabel = (c) => c.init;

/** Most pieces of a list the header shows before it elides the middle. */
const LIST_PIECES_SHOWN = 6;

/** "16 trials: init he, lecun × τ 0.3, 1 × seed 1–4": the grid's lists, consecutive seeds as ranges, long lists elided. */
export function gridSummary(configs: RunConfig[], initLabel: InitLabel = drawnInit): string {
  const inits = distinct(configs.map(initLabel));
  const taus = distinct(configs.map((c) => c.params.tau));
  const seeds = distinct(configs.map((c) => c.seed));
  return `${configs.length} trials: init ${listText(inits)} × τ ${listText(taus.map(String))} × seed ${listText(integerRuns(seeds))}`;
}

/** Consecutive integers joined into ranges, in the given order: [1,2,3,4,9] → ["1–4", "9"]. */
export function integerRuns(values: number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    out.push(j === i ? String(values[i]) : `${values[i]}–${values[j]}`);
    i = j + 1;
  }
  return out;
}

/** "a, b, c", or "a, b, c, …, z (N values)" when the list is long. */
function listText(pieces: string[]): string {
  if (pieces.length <= LIST_PIECES_SHOWN) return pieces.join(', ');
  return `${pieces.slice(0, LIST_PIECES_SHOWN - 2).join(', ')}, …, ${pieces[pieces.length - 1]} (${pieces.length} pieces)`;
}

function distinct<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/**
 * The trial a grid without selection reports as its best: the lowest TrainErr (the test part
 * chooses nothing, as on the page); with early stopping, the lowest validation error, the score
 * every trial was stopped by.
 */
export function bestTrial(results: AlmSummary[], earlyStop?: EarlyStopOutcome[]): number | undefined {
  const score = (i: number): number => (earlyStop ? earlyStop[i].valErr : results[i].trainErr);
  let best: number | undefined;
  results.forEach((_, i) => {
    if (Number.isFinite(score(i)) && (best === undefined || score(i) < score(best))) best = i;
  });
  return best;
}

/** What bestTrial chose by, for the table's note and the --quiet line. */
export function bestBy(earlyStop?: EarlyStopOutcome[]): string {
  return earlyStop ? 'lowest ValErr' : 'lowest TrainErr';
}

/**
 * The summary table of a grid: one row per trial, the best (lowest TrainErr) marked ★, and a line
 * saying so; with early stopping each trial's k* and its validation error too.
 */
export function trialTable(configs: RunConfig[], results: AlmSummary[], initLabel: InitLabel = drawnInit, earlyStop?: EarlyStopOutcome[]): string {
  const best = bestTrial(results, earlyStop);
  const rows = configs.map((c, i) => {
    const r = results[i];
    return [i === best ? '★' : '', String(i), initLabel(c), String(c.params.tau), String(c.seed), r.trainErr.toPrecision(6), r.testErr.toPrecision(6),
      r.feasVio.toExponential(3), r.gamma.toPrecision(4), String(r.outerIterations), ...(earlyStop ? earlyStopCells(earlyStop[i]) : []), r.stopReason];
  });
  const head = ['', 'trial', 'init', 'τ', 'seed', 'TrainErr', 'TestErr', 'FeasVio', 'γ', 'outer', ...(earlyStop ? ['k*', 'ValErr'] : []), 'stop'];
  return textTable(head, rows, 5) + (best === undefined ? '' : earlyStop
    ? '★ best: the lowest ValErr (the validation steps early stopping scored; the test part chooses nothing)\n'
    : '★ best: the lowest TrainErr (the test part chooses nothing; --select validation chooses on held-out training steps)\n');
}

/** A trial's k* and its validation error, as table cells. */
function earlyStopCells(o: EarlyStopOutcome): string[] {
  return [String(o.k), Number.isFinite(o.valErr) ? o.valErr.toPrecision(6) : 'none'];
}

/**
 * The selection's table: one row per candidate, its validation score, the chosen one marked ★;
 * with early stopping the score is the best validation error, at the trial's k* (a column).
 */
export function selectionTable(configs: RunConfig[], sel: SelectionData, initLabel: InitLabel = drawnInit, earlyStop?: EarlyStopOutcome[]): string {
  const rows = configs.map((c, i) => {
    const fit = sel.fits[i];
    const score = fit.valErr ?? Infinity;
    return [i === sel.chosen ? '★' : '', String(i), initLabel(c), String(c.params.tau), String(c.seed), fit.trainErr.toPrecision(6),
      Number.isFinite(score) ? score.toPrecision(6) : 'diverged', ...(earlyStop ? [String(earlyStop[i].k)] : []), fit.feasVio.toExponential(3), fit.stopReason];
  });
  const head = ['', 'trial', 'init', 'τ', 'seed', 'fit TrainErr', 'ValErr', ...(earlyStop ? ['k*'] : []), 'FeasVio', 'stop'];
  return textTable(head, rows, 5) + `★ chosen: the lowest ValErr (mean squared error on the last ${sel.validationSteps} training steps)\n`;
}

/** A plain-text table: columns as wide as their widest cell, the first `textColumns` left-aligned, the rest right. */
function textTable(head: string[], rows: string[][], textColumns: number): string {
  const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((cell, j) => (j < textColumns ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
