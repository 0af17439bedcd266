// The Markdown report of an experiment (README.md in its folder): the table in the shape of
// the paper's Table 3, the best initialisation per method, ALM against the baselines, the
// selected hyperparameters (the paper's Table 4), and the settings and command that made it.
import { ownsCell } from './shards.ts';
import type { EarlyStopRecord, ExperimentResults, RunRecord, SelectionRecord } from './results.ts';
import { describeSettings, isBaseline } from './settings.ts';
import {
  bestInitPerMethod, cellStats, INIT_LABELS, METHOD_LABELS, testScore, validationChoicePerMethod, type CellStats, type Moments,
} from './stats.ts';

/**
 * Renders the whole report; `files` names the plot files it links to. `figuresSkipped` (the line
 * renderPlots gives when vega or vega-lite is missing) replaces the links, as no figure was drawn.
 */
export function renderReport(results: ExperimentResults, files: { fig1: string; fig2: string }, figuresSkipped?: string): string {
  const { spec, data } = results;
  const cells = cellStats(results);
  const shard = results.shard;
  const owned = spec.methods.reduce((sum, m) => sum + spec.inits.filter((i) => ownsCell(spec, shard, m, i)).length, 0);
  const expected = owned * spec.repeats;
  const lines: string[] = [];
  lines.push(`# Experiment: ${spec.dataset} (${spec.preset} preset)${shard ? `, shard ${shard.index}/${shard.count}` : ''}`, '');
  if (shard) {
    lines.push(`This folder holds shard ${shard.index} of ${shard.count}: ${owned} of the ${spec.methods.length * spec.inits.length} method × initialisation cells. `
      + '`alm-rnn experiment merge OUT DIR…` combines the complete shards into the whole experiment.', '');
  }
  if (results.status !== 'complete') {
    lines.push(`**Status: ${results.status}** — ${results.runs.length} of ${expected} runs finished; the tables use the finished ones.`, '');
  }
  lines.push('Made by', '', '```', ...results.commands, '```', '');
  lines.push(
    `- Data: T = ${data.T} steps, training part ${data.T1} (selection: fit on the first ${data.fitSteps}, validate on the last ${data.validationSteps}), `
      + `test part ${data.T - data.T1}; n = ${data.n}, m = ${data.m}, hidden r = ${data.r}, ${spec.activation}, standardised: ${spec.standardize}, `
      + `TestErr with the hidden state ${spec.testHidden === 'carry' ? 'carried on from training' : 'reset to 0'}, data seed ${spec.dataSeed}.`,
    ...(data.reference ? [
      `- Reference predictors without an RNN (TrainErr / TestErr): the training mean ${num(data.reference.mean.trainErr)} / ${num(data.reference.mean.testErr)}; `
        + `least squares of y_t on x_t with an intercept ${num(data.reference.ols.trainErr)} / ${num(data.reference.ols.testErr)}.`,
    ] : []),
    `- Runs: ${spec.methods.length} methods × ${spec.inits.length} initialisations × ${spec.repeats} repeats (repeat j uses seed ${spec.seed} + j for the initial weights; `
      + 'every method starts repeat j of an initialisation from the same weights).',
    ...describeSettings(spec).map((l) => `- ${l}.`),
    `- Machine: ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}; ALM backend: ${results.backend}.`,
    ...timeLines(results),
    '',
  );

  lines.push(`## Table 3: mean ± standard deviation over the repeats`, '');
  lines.push(
    'Bold: the lowest mean in its column (among the methods, for that initialisation and measure). '
      + '★: the lowest of the whole table for that measure. Standard deviations are sample ones (n − 1). '
      + 'A cell with diverged runs (a non-finite final error, or an ALM run whose linear algebra broke down, which keeps its last completed iterate) says how many; its mean is over the others. '
      + 'A cell with a single run shows its value alone.',
    '',
  );
  lines.push(...table3(results, cells), '');
  if (spec.earlyStop) lines.push(...earlyStopTable(results, cells), '');

  const best = bestInitPerMethod(results, cells);
  lines.push('## Best initialisation per method (lowest mean TestErr)', '');
  lines.push('| method | initialisation | TrainErr | TestErr | runs | seconds per run | learning rate | clipping norm |', '|---|---|---|---|---|---|---|---|');
  for (const method of spec.methods) {
    const c = best.get(method);
    if (!c) continue;
    const sel = results.selections.find((s) => s.method === method && s.init === c.init);
    lines.push(`| ${METHOD_LABELS[method]} | ${INIT_LABELS[c.init]} | ${pm(c.trainErr)} | ${pm(c.testErr)} | ${c.runs.length} | ${c.seconds.toFixed(2)} | `
      + `${sel ? [sel.tau !== undefined ? `τ ${sel.tau}` : '', sel.lr !== undefined ? String(sel.lr) : ''].filter(Boolean).join(', ') : '—'} | ${sel?.clip ?? '—'} |`);
  }
  lines.push('');

  const byValidation = validationChoicePerMethod(results, cells);
  if (byValidation.size > 0) {
    lines.push('## Each method as a user would run it: the start and hyperparameters chosen on validation', '');
    lines.push(
      'Per method, the initialisation whose selection scored the lowest validation error (the test part unseen), with its chosen hyperparameters, '
        + 'and that cell\'s Table 3 errors. This is the comparison the test part does not decide; the table above picks the best initialisation by TestErr.',
      '',
    );
    const early = spec.earlyStop !== undefined;
    lines.push(`| method | initialisation | validation error | TrainErr | TestErr | runs | hyperparameters |${early ? ' k* (median, range) |' : ''}`,
      `|---|---|---|---|---|---|---|${early ? '---|' : ''}`);
    for (const method of spec.methods) {
      const v = byValidation.get(method);
      if (!v) continue;
      const sel = results.selections.find((x) => x.method === method && x.init === v.cell.init)!;
      lines.push(`| ${METHOD_LABELS[method]} | ${INIT_LABELS[v.cell.init]} | ${num(v.valErr)} | ${pm(v.cell.trainErr)} | ${pm(v.cell.testErr)} | ${v.cell.runs.length} | ${hyperText(sel)} |`
        + (early ? ` ${kText(v.cell.runs)} |` : ''));
    }
    lines.push('');
  }

  const verdict = verdictOfCells(results, cells);
  if (verdict.length > 0) lines.push('## ALM against the baselines (TestErr)', '', ...verdict);

  if (results.selections.length > 0) {
    lines.push('## Selected hyperparameters (the paper\'s Table 4; for the ALM its τ), with the mean validation error', '');
    lines.push(`| method | ${spec.inits.map((i) => INIT_LABELS[i]).join(' | ')} |`, `|---|${spec.inits.map(() => '---').join('|')}|`);
    for (const method of spec.methods) {
      if (!results.selections.some((x) => x.method === method)) continue;
      const row = spec.inits.map((init) => {
        const s = results.selections.find((x) => x.method === method && x.init === init);
        if (!s) return '—';
        return `${hyperText(s)}, val ${s.valErr === null ? 'diverged' : num(s.valErr)}`;
      });
      lines.push(`| ${METHOD_LABELS[method]} | ${row.join(' | ')} |`);
    }
    lines.push('');
  }

  lines.push('## Figures', '');
  if (figuresSkipped !== undefined) {
    lines.push(`The figures were not drawn: ${figuresSkipped.replace(/^figures skipped: /, '')}.`, '');
    return lines.join('\n');
  }
  if (spec.methods.includes('alm')) {
    lines.push(`Figure 1: FeasVio of the ALM against the outer iteration, every run (colour: initialisation).`, '', `![FeasVio against outer iteration](${files.fig1})`, '');
  }
  lines.push(
    'Figure 2: TrainErr and TestErr against seconds of computation (each run\'s own, as under Time above), one line per method: the median-TestErr run of its best initialisation. '
      + 'Both axes are logarithmic; the first point of each line is after its first outer iteration or epoch.',
    '',
    `![Error against wall time](${files.fig2})`,
    '',
  );
  return lines.join('\n');
}

/**
 * Under early stopping: k* per method × initialisation (median and range over the repeats), and
 * where the runs on the fit part stopped, against the caps.
 */
function earlyStopTable(results: ExperimentResults, cells: CellStats[]): string[] {
  const { spec } = results;
  const every = spec.earlyStop!.every;
  const out = [
    '## Early stopping: k* per cell', '',
    `k*, the count each run was trained for: the outer iteration (ALM, of ${spec.alm.outer}) or the epoch (baselines, of ${spec.baseline.epochs}, scored every ${every}) `
      + 'with the lowest validation error of its run on the fit part; median (range) over the repeats, then where those runs stopped (median). '
      + 'ALM + GD gives its ALM stage\'s, then its polish\'s.',
    '',
    `| method | ${spec.inits.map((i) => INIT_LABELS[i]).join(' | ')} |`, `|---|${spec.inits.map(() => '---').join('|')}|`,
  ];
  for (const method of spec.methods) {
    const row = spec.inits.map((init) => {
      const runs = cells.find((c) => c.method === method && c.init === init)?.runs ?? [];
      if (runs.length === 0) return '—';
      const alm = runs.some((r) => r.almEarlyStop) ? `ALM ${kText(runs, 'almEarlyStop')}, stopped ${stopText(runs, 'almEarlyStop')}; GD ` : '';
      return `${alm}${kText(runs)}, stopped ${stopText(runs)}`;
    });
    out.push(`| ${METHOD_LABELS[method]} | ${row.join(' | ')} |`);
  }
  return out;
}

/** The median k* of runs, with its range: "57 (12–200)". */
function kText(runs: RunRecord[], field: 'earlyStop' | 'almEarlyStop' = 'earlyStop'): string {
  const ks = records(runs, field).map((e) => e.k).sort((a, b) => a - b);
  if (ks.length === 0) return '—';
  const mid = median(ks);
  return ks[0] === ks[ks.length - 1] ? String(mid) : `${mid} (${ks[0]}–${ks[ks.length - 1]})`;
}

/** The median count where runs on the fit part stopped. */
function stopText(runs: RunRecord[], field: 'earlyStop' | 'almEarlyStop' = 'earlyStop'): string {
  const at = records(runs, field).map((e) => e.stoppedAt).sort((a, b) => a - b);
  return at.length === 0 ? '—' : String(median(at));
}

function records(runs: RunRecord[], field: 'earlyStop' | 'almEarlyStop'): EarlyStopRecord[] {
  return runs.map((r) => r[field]).filter((e): e is EarlyStopRecord => e !== undefined);
}

/** The median of sorted values (the mean of the middle two for an even count). */
function median(sorted: number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** How long the experiment took, how its ALM batches ran, and what "seconds per run" means. */
function timeLines(results: ExperimentResults): string[] {
  const out: string[] = [];
  if (results.wallSeconds !== undefined) {
    const batches = results.almBatches ?? [];
    const names = { select: 'selection fits', run: 'runs', fit: 'runs on the fit part', retrain: 'retrainings for k*' };
    const parts = batches.map((b) => `${names[b.stage ?? b.phase]} ${b.trials} trials in ${Math.round(b.seconds)} s`);
    out.push(`- Time: ${Math.round(results.wallSeconds)} s wall-clock in all${results.commands.length > 1 ? ` (${results.commands.length} sessions)` : ''}`
      + `${parts.length > 0 ? `; the ALM's batches: ${parts.join(', ')}` : ''}. `
      + '"Seconds per run" is each run\'s own computation: a baseline\'s on its worker thread; an ALM trial\'s as its CPU thread measured it '
      + '(what it takes alone on one core, though it ran in a batch), or on WebGPU, where every dispatch serves the whole batch, the batch\'s clock.'
      + (results.spec.earlyStop ? ' Under early stopping a run\'s seconds are those of its run on the fit part and of its retraining together.' : ''));
  }
  return out;
}

/** The hyperparameters a selection chose, e.g. "lr 0.01 (clip 4)" or "τ 3, lr 0.1". */
function hyperText(s: SelectionRecord): string {
  return [s.tau !== undefined ? `τ ${s.tau}` : '', s.lr !== undefined ? `lr ${s.lr}` : '', s.clip !== undefined ? `clip ${s.clip}` : ''].filter(Boolean).join(', ');
}

function table3(results: ExperimentResults, cells: CellStats[]): string[] {
  const { spec } = results;
  const out = [`| method | | ${spec.inits.map((i) => INIT_LABELS[i]).join(' | ')} |`, `|---|---|${spec.inits.map(() => '---').join('|')}|`];
  const bestIn = (init: string, measure: 'trainErr' | 'testErr'): number =>
    Math.min(...cells.filter((c) => c.init === init && c.diverged === 0).map((c) => c[measure]?.mean ?? Infinity));
  const bestAll = (measure: 'trainErr' | 'testErr'): number =>
    Math.min(...cells.filter((c) => c.diverged === 0).map((c) => c[measure]?.mean ?? Infinity));
  for (const method of spec.methods) {
    for (const measure of ['trainErr', 'testErr'] as const) {
      const row = spec.inits.map((init) => {
        const c = cells.find((x) => x.method === method && x.init === init)!;
        if (c.runs.length === 0) return '—';
        const m = c[measure];
        let text = m === null ? 'diverged' : pm(m);
        if (m !== null && c.diverged === 0 && m.mean === bestIn(init, measure)) text = `**${text}**`;
        if (m !== null && c.diverged === 0 && m.mean === bestAll(measure)) text += ' ★';
        if (c.diverged > 0 && m !== null) text += ` (${c.diverged}/${c.runs.length} diverged)`;
        return text;
      });
      out.push(`| ${measure === 'trainErr' ? METHOD_LABELS[method] : ''} | ${measure === 'trainErr' ? 'TrainErr' : 'TestErr'} | ${row.join(' | ')} |`);
    }
  }
  return out;
}

/**
 * Sentences comparing the TestErr of the ALM (and of ALM + GD, when it ran) with the best
 * baseline's: per initialisation, best against best, and each as chosen on validation. Markdown
 * lines, empty strings between paragraphs; none when the experiment has no baseline.
 */
export function almVerdict(results: ExperimentResults): string[] {
  return verdictOfCells(results, cellStats(results));
}

/** almVerdict from the cells' statistics already computed. */
function verdictOfCells(results: ExperimentResults, cells: CellStats[]): string[] {
  const { spec } = results;
  if (!spec.methods.some(isBaseline)) return [];
  const lines: string[] = [];
  for (const method of (['alm', 'alm+gd'] as const).filter((m) => spec.methods.includes(m))) {
    lines.push(...methodVerdict(results, cells, method));
  }
  return lines;
}

function methodVerdict(results: ExperimentResults, cells: CellStats[], method: 'alm' | 'alm+gd'): string[] {
  const { spec } = results;
  const label = METHOD_LABELS[method];
  const lines: string[] = [];
  let wins = 0;
  let columns = 0;
  for (const init of spec.inits) {
    const mine = cells.find((c) => c.method === method && c.init === init)!;
    const others = cells.filter((c) => isBaseline(c.method) && c.init === init && c.runs.length > 0);
    if (mine.runs.length === 0 || others.length === 0) continue;
    const bestOther = others.reduce((a, b) => (testScore(b) < testScore(a) ? b : a));
    columns++;
    const win = testScore(mine) < testScore(bestOther);
    if (win) wins++;
    lines.push(`- ${INIT_LABELS[init]}: ${label} ${pm(mine.testErr)} vs best baseline ${METHOD_LABELS[bestOther.method]} ${pm(bestOther.testErr)}: ${label} ${win ? 'lower' : 'not lower'}.`);
  }
  const best = bestInitPerMethod(results, cells);
  const mine = best.get(method);
  const baselines = [...best.values()].filter((c) => isBaseline(c.method));
  if (mine && baselines.length > 0) {
    const bestBase = baselines.reduce((a, b) => (testScore(b) < testScore(a) ? b : a));
    const beaten = baselines.filter((c) => testScore(mine) < testScore(c)).length;
    lines.unshift(
      `${label} has the lower mean TestErr in ${wins} of ${columns} initialisation columns. `
        + `Best against best: ${label} (${INIT_LABELS[mine.init]}) ${pm(mine.testErr)} vs ${METHOD_LABELS[bestBase.method]} (${INIT_LABELS[bestBase.init]}) ${pm(bestBase.testErr)}; `
        + `the best of ${label} beats the best initialisation of ${beaten} of ${baselines.length} baselines.`,
      '',
    );
  }
  const chosen = validationChoicePerMethod(results, cells);
  const mineChosen = chosen.get(method);
  const basesChosen = [...chosen.entries()].filter(([m]) => isBaseline(m)).map(([, v]) => v.cell);
  if (mineChosen && basesChosen.length > 0) {
    const bestBase = basesChosen.reduce((a, b) => (testScore(b) < testScore(a) ? b : a));
    const beaten = basesChosen.filter((c) => testScore(mineChosen.cell) < testScore(c)).length;
    lines.push(
      `- Chosen on validation (start and hyperparameters): ${label} (${INIT_LABELS[mineChosen.cell.init]}) ${pm(mineChosen.cell.testErr)} `
        + `vs the best baseline so chosen, ${METHOD_LABELS[bestBase.method]} (${INIT_LABELS[bestBase.init]}) ${pm(bestBase.testErr)}: `
        + `${label} ${testScore(mineChosen.cell) < testScore(bestBase) ? 'lower' : 'not lower'}, below ${beaten} of ${basesChosen.length} baselines.`,
    );
  }
  return lines.length > 0 ? [...lines, ''] : [];
}

/** "mean ± std" with the paper's kind of precision; a single run's value alone (it has no spread). */
export function pm(m: Moments | null): string {
  if (m === null) return 'diverged';
  if (m.n === 1) return num(m.mean);
  return `${num(m.mean)} ± ${num(m.std, 2)}`;
}

/** A number with `digits` significant digits, in exponent form when very small or large. */
export function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(digits - 2);
  return String(Number(x.toPrecision(digits)));
}
