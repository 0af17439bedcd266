// Summaries of an experiment's runs: mean ± standard deviation per method × initialisation,
// the best initialisation per method, and the representative run drawn in the plots.
import type { Initializer } from '../problem/init.ts';
import type { ExperimentResults, RunRecord } from './results.ts';
import type { ExperimentMethod } from './settings.ts';

/** Display names of the methods, in the paper's spelling. */
export const METHOD_LABELS: Record<ExperimentMethod, string> = {
  alm: 'ALM', gd: 'GD', gdc: 'GDC', gdnm: 'GDNM', sgd: 'SGD', adam: 'Adam', 'alm+gd': 'ALM + GD',
};
/** Display names of the initialisations, in the paper's spelling. */
export const INIT_LABELS: Record<Initializer, string> = {
  he: 'He', 'normal-1e-3': 'N(0,1e-3)', 'normal-1e-1': 'N(0,1e-1)', glorot: 'Glorot', lecun: 'LeCun',
};

/** Mean and sample standard deviation (n − 1; 0 for one value) of the finite values of one measure. */
export interface Moments {
  mean: number;
  std: number;
  /** Runs with a finite value. */
  n: number;
}

/** The statistics of one method × initialisation cell. */
export interface CellStats {
  method: ExperimentMethod;
  init: Initializer;
  runs: RunRecord[];
  /** Runs that did not train: a final error that is not finite, or an ALM that broke down (see trained). */
  diverged: number;
  trainErr: Moments | null;
  testErr: Moments | null;
  /** Mean wall-clock seconds per run. */
  seconds: number;
}

/** Mean and sample standard deviation of the values; null when there are none. */
export function moments(values: number[]): Moments | null {
  if (values.length === 0) return null;
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  const variance = (scale: number): number =>
    values.length > 1 ? values.reduce((s, x) => s + ((x - mean) / scale) ** 2, 0) / (values.length - 1) : 0;
  const v = variance(1);
  if (Number.isFinite(v) || !Number.isFinite(mean)) return { mean, std: Math.sqrt(v), n: values.length };
  // The squares of an exploded run's error (1e188 on sp500) overflow: scaled by the largest
  // magnitude, the deviation stays finite.
  const scale = Math.max(...values.map(Math.abs));
  return { mean, std: scale * Math.sqrt(variance(scale)), n: values.length };
}

/**
 * Whether a run trained: its final errors are finite, and it is not an ALM run (or ALM + GD's
 * ALM stage) that broke down, whose weights are its last completed iterate, often the start.
 */
export function trained(r: RunRecord): boolean {
  return r.trainErr !== null && r.testErr !== null && r.stop !== 'failed' && r.almStop !== 'failed';
}

/** Statistics of every method × initialisation of the spec (cells without runs have n = 0). */
export function cellStats(results: ExperimentResults): CellStats[] {
  const out: CellStats[] = [];
  for (const method of results.spec.methods) {
    for (const init of results.spec.inits) {
      const runs = results.runs.filter((r) => r.method === method && r.init === init).sort((a, b) => a.repeat - b.repeat);
      const ok = runs.filter(trained);
      const finite = (xs: (number | null)[]): number[] => xs.filter((x): x is number => x !== null && Number.isFinite(x));
      out.push({
        method, init, runs,
        diverged: runs.length - ok.length,
        trainErr: moments(finite(ok.map((r) => r.trainErr))),
        testErr: moments(finite(ok.map((r) => r.testErr))),
        seconds: runs.length > 0 ? runs.reduce((s, r) => s + r.seconds, 0) / runs.length : NaN,
      });
    }
  }
  return out;
}

/** A cell's score for ranking: mean TestErr, with diverged runs counting as +∞. */
export function testScore(c: CellStats): number {
  if (c.runs.length === 0 || c.testErr === null || c.diverged > 0) return Infinity;
  return c.testErr.mean;
}

/** Per method, the initialisation with the lowest mean TestErr (the paper's "best initialisation"). */
export function bestInitPerMethod(results: ExperimentResults, cells = cellStats(results)): Map<ExperimentMethod, CellStats> {
  const best = new Map<ExperimentMethod, CellStats>();
  for (const c of cells) {
    if (c.runs.length === 0) continue;
    const cur = best.get(c.method);
    if (!cur || testScore(c) < testScore(cur)) best.set(c.method, c);
  }
  return best;
}

/**
 * Per method, the initialisation a user without the test part would pick: the one whose
 * selection (its hyperparameters on the validation split) scored the lowest validation error.
 * Methods without a selection (the ALM at a fixed τ) have none.
 */
export function validationChoicePerMethod(results: ExperimentResults, cells = cellStats(results)): Map<ExperimentMethod, { cell: CellStats; valErr: number }> {
  const chosen = new Map<ExperimentMethod, { cell: CellStats; valErr: number }>();
  for (const s of results.selections) {
    if (s.valErr === null) continue;
    const cell = cells.find((c) => c.method === s.method && c.init === s.init);
    if (!cell || cell.runs.length === 0) continue;
    const cur = chosen.get(s.method);
    if (!cur || s.valErr < cur.valErr) chosen.set(s.method, { cell, valErr: s.valErr });
  }
  return chosen;
}

/** The run of a cell whose final TestErr is the median (lower median), a representative run for plots. */
export function medianRun(c: CellStats): RunRecord | undefined {
  if (c.runs.length === 0) return undefined;
  const sorted = [...c.runs].sort((a, b) => (a.testErr ?? Infinity) - (b.testErr ?? Infinity));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
