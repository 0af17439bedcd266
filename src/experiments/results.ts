// The results file of an experiment (results.json, format "alm-rnn/experiment@1"): the resolved
// spec, the hyperparameter selections, and one record per finished run with its final errors
// and a thinned error curve. It is rewritten (atomically) after every selection and every run,
// so a stopped experiment keeps what it finished and `--resume` continues from it.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../alm/checkpoint-file.ts';
import { DataError, excerpt } from '../errors.ts';
import type { Initializer } from '../problem/init.ts';
import type { ReferenceErrors } from './reference.ts';
import type { ExperimentMethod, ExperimentSpec } from './settings.ts';
import type { ShardContents } from './shards.ts';

/** The format tag of results.json. */
export const RESULTS_FORMAT = 'alm-rnn/experiment@1';
/** The name of the results file in an experiment's folder. */
export const EXPERIMENT_FILES_RESULTS = 'results.json';

/** One point of an error curve: after epoch `step` (baselines) or outer iteration `step` (ALM; 0 = initial weights). */
export interface CurvePoint {
  /** Epochs (baselines) or outer iterations (ALM) done; ALM + GD numbers its GD epochs on after its ALM's outer iterations. */
  step: number;
  /** The run's seconds so far, counted as RunRecord.seconds is (0 at the ALM's step 0). */
  seconds: number;
  /** TrainErr of the weights at this point; null when the value was not finite (a diverged run). */
  trainErr: number | null;
  /** TestErr of the weights at this point; null when not finite. */
  testErr: number | null;
  /** ALM iterations only (not step 0): FeasVio after this iteration. */
  feasVio?: number;
  /** ALM iterations only (not step 0): the penalty γ this iteration's sweeps used. */
  gamma?: number;
}

/** One finished run of one method from one initialisation and seed. */
export interface RunRecord {
  /** "method/init/repeat". */
  key: string;
  /** The method trained. */
  method: ExperimentMethod;
  /** The initialisation its weights started from. */
  init: Initializer;
  /** 0-based repeat index. */
  repeat: number;
  /** The seed of the initial weights (and of SGD's window order). */
  seed: number;
  /** The selected learning rate: a baseline's, or ALM + GD's polish's (absent for the ALM). */
  lr?: number;
  /** GDC only: the selected clipping norm. */
  clip?: number;
  /** The ALM's τ: the ALM's when it was selected (absent at the fixed τ), ALM + GD's always. */
  tau?: number;
  /** Final TrainErr; null when not finite (diverged). */
  trainErr: number | null;
  /** Final TestErr; null when not finite (diverged). */
  testErr: number | null;
  /**
   * Seconds of the training's own computation (a baseline's on its thread, an ALM trial's as its
   * CPU thread measured it, on WebGPU the batch's clock; data loading and set-up excluded); ALM +
   * GD's both stages, and under early stopping the run on the fit part too.
   */
  seconds: number;
  /** Outer iterations (ALM) or epochs (baselines) completed. */
  iterations: number;
  /** ALM and ALM + GD (its ALM stage): total BCD sweeps, of both runs under early stopping's retraining. */
  sweeps?: number;
  /**
   * ALM (and an ALM + GD whose ALM stage failed): the FeasVio its last ALM run ended with; with
   * restore `best`, that of the run on the fit part's last iterate, not of the iterate kept.
   */
  feasVio?: number;
  /** Why the run ended: ALM "outer-cap" | "converged" | "failed"; baselines and ALM + GD "epochs" | "diverged". */
  stop: string;
  /** ALM + GD: why its ALM stage ended. */
  almStop?: string;
  /**
   * With early stopping (spec.earlyStop): what the run on the fit part found, k* in outer
   * iterations (ALM) or epochs (baselines; ALM + GD: its polish's). The final model trained for
   * k* on the whole training part (or is the best iterate, restore `best`); seconds count both.
   */
  earlyStop?: EarlyStopRecord;
  /** ALM + GD with early stopping: its ALM stage's. */
  almEarlyStop?: EarlyStopRecord;
  /**
   * Its error curve: the ALM's every outer iteration from step 0, a baseline's at most 60 points
   * evenly spread, ALM + GD's both stages in turn; one point for a run that kept its best iterate.
   */
  curve: CurvePoint[];
}

/** What early stopping found for one run (see RunRecord.earlyStop). */
export interface EarlyStopRecord {
  /** k*: the count with the lowest validation error (0: none was finite). */
  k: number;
  /** Its validation error (null: none was finite). */
  valErr: number | null;
  /** Where the run on the fit part ended (its cap when the rule never fired). */
  stoppedAt: number;
  /** The run on the fit part: its validation error against the count, thinned. */
  valCurve: {
    /** Outer iterations (ALM) or epochs (baselines, ALM + GD's polish) done. */
    step: number;
    /** The validation error there; null when not finite. */
    valErr: number | null;
  }[];
}

/** One grid point of a hyperparameter selection: a baseline's learning rate (and clipping norm), or the ALM's τ. */
export interface SelectionCandidate {
  /** A baseline's (or ALM + GD's polish's) learning rate. */
  lr?: number;
  /** GDC's clipping norm. */
  clip?: number;
  /** The ALM's τ (for ALM + GD: the τ of the ALM fits its polish starts from). */
  tau?: number;
  /** Validation error per selection seed (null: diverged); with early stopping the best of each seed's run. */
  valErrs: (number | null)[];
  /** With early stopping: each seed's k*, the count of that best validation error. */
  ks?: number[];
  /** Their mean (null when any diverged). */
  valErr: number | null;
}

/** The hyperparameters chosen for one method × initialisation on the validation split (baselines: lr, clip; ALM: τ). */
export interface SelectionRecord {
  /** "method/init". */
  key: string;
  /** The method whose hyperparameters were chosen. */
  method: ExperimentMethod;
  /** The initialisation they were chosen for. */
  init: Initializer;
  /** The chosen learning rate (baselines, ALM + GD). */
  lr?: number;
  /** The chosen clipping norm (GDC). */
  clip?: number;
  /** The chosen τ (ALM); for ALM + GD the ALM's τ its polish starts from. */
  tau?: number;
  /** The chosen grid point's mean validation error (null: every grid point diverged). */
  valErr: number | null;
  /** Every grid point tried, in the grid's order, with its validation errors. */
  candidates: SelectionCandidate[];
  /** The selection's trainings' own computation, summed (results made before the pool: its wall-clock time). */
  seconds: number;
}

/** Facts about the data the experiment ran on. */
export interface ExperimentData {
  /** Time steps of the whole series. */
  T: number;
  /** Time steps of the training part (the test part is the other T − T1). */
  T1: number;
  /** Inputs per time step. */
  n: number;
  /** Outputs (targets) per time step. */
  m: number;
  /** The RNN's hidden size. */
  r: number;
  /** Steps the selection trains on (T1 − validationSteps). */
  fitSteps: number;
  /** V: the last V steps of the training part, on which the selection (and early stopping) score the validation error. */
  validationSteps: number;
  /** Errors of the training-mean and OLS predictors (no RNN), for scale. */
  reference?: {
    /** The constant predictor: each output's mean over the training part. */
    mean: ReferenceErrors;
    /** Ordinary least squares of y_t on x_t with an intercept (no recurrence), fitted on the training part. */
    ols: ReferenceErrors;
  };
}

/** One batch of ALM trials an experiment ran (see ExperimentResults.almBatches). */
export interface AlmBatchRecord {
  /** Whether the batch held selection fits or runs. */
  phase: 'select' | 'run';
  /** With early stopping, which of the runs' two batches: on the fit part, or the retraining for k* (absent otherwise). */
  stage?: 'fit' | 'retrain';
  /** ALM trials in the batch. */
  trials: number;
  /** The backend it ran on, e.g. "cpu (float64 reference)". */
  backend: string;
  /** Its wall-clock seconds (4 significant digits). */
  seconds: number;
}

/** Everything an experiment produced so far. */
export interface ExperimentResults {
  /** The format tag, RESULTS_FORMAT. */
  format: typeof RESULTS_FORMAT;
  /** The resolved spec that the experiment runs (a resume must ask for the same; its repeats may grow). */
  spec: ExperimentSpec;
  /** The command line(s) that made the results, one per session (start, resumes). */
  commands: string[];
  /** The data it runs on. */
  data: ExperimentData;
  /** The ALM backend, e.g. "cpu (float64 reference)". */
  backend: string;
  /** The machine of the session that started the results (after a merge, shard 0's). */
  machine: {
    /** The CPU's model name ("unknown" when Node cannot tell). */
    cpu: string;
    /** Logical cores. */
    cores: number;
    /** Node's version, e.g. "v20.11.0". */
    node: string;
    /** Operating system and architecture, e.g. "linux-x64". */
    platform: string;
  };
  /** `running` while a session works on it (and as a killed session left it), `stopped` after a stop, `complete` once every unit is done. */
  status: 'running' | 'stopped' | 'complete';
  /** When the first session started, ISO 8601 (after a merge, the earliest shard's). */
  started: string;
  /** When the results were last written, ISO 8601 (after a merge, the latest shard's). */
  updated: string;
  /** The finished selections, method by method, initialisation by initialisation (sortRecords). */
  selections: SelectionRecord[];
  /** The finished runs, repeat by repeat, then initialisation, then method (sortRecords). */
  runs: RunRecord[];
  /** Every batch of ALM trials this experiment ran (selection fits or runs), with its wall-clock seconds. */
  almBatches?: AlmBatchRecord[];
  /** Wall-clock seconds of the sessions that made these results (start and resumes), summed. */
  wallSeconds?: number;
  /**
   * Set for a shard of a sharded experiment (src/experiments/shards.ts): which shard it is, and
   * once it completes what it holds (its cells, counts and a digest of every record), which
   * merge checks.
   */
  shard?: {
    /** 0-based index of this shard. */
    index: number;
    /** How many shards the experiment is split into. */
    count: number;
    /** What the shard holds, set when it completes. */
    contents?: ShardContents;
  };
}

/**
 * Puts the selections and runs in the order an unsharded, unbroken experiment lists them,
 * whatever order they finished in (the pool's threads, shards): selections method by method,
 * initialisation by initialisation; runs repeat by repeat, then initialisation, then method.
 */
export function sortRecords(results: ExperimentResults): void {
  const { methods, inits } = results.spec;
  const m = (x: { method: ExperimentMethod }) => methods.indexOf(x.method);
  const i = (x: { init: Initializer }) => inits.indexOf(x.init);
  results.selections.sort((a, b) => m(a) - m(b) || i(a) - i(b));
  results.runs.sort((a, b) => a.repeat - b.repeat || i(a) - i(b) || m(a) - m(b));
}

/** The key of a run record. */
export function runKey(method: string, init: string, repeat: number): string {
  return `${method}/${init}/${repeat}`;
}

/** The key of a selection record. */
export function selectionKey(method: string, init: string): string {
  return `${method}/${init}`;
}

/** A finite number, or null (JSON has no NaN or Infinity). */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Serialises results: one run or selection per line, so diffs and greps stay readable. */
export function resultsToJson(results: ExperimentResults): string {
  const { selections, runs, ...head } = results;
  const headText = JSON.stringify(head, nonFiniteAsText, 2);
  const list = (xs: unknown[]): string => (xs.length === 0 ? '[]' : `[\n    ${xs.map((x) => JSON.stringify(x)).join(',\n    ')}\n  ]`);
  return `${headText.slice(0, -2)},\n  "selections": ${list(selections)},\n  "runs": ${list(runs)}\n}\n`;
}

/** Writes results.json atomically. */
export function writeResults(path: string, results: ExperimentResults): void {
  writeFileAtomic(path, resultsToJson(results));
}

/** Reads results.json; a missing file or wrong content is a DataError naming the path. */
export function readResults(path: string): ExperimentResults {
  if (!existsSync(path)) throw new DataError(`no experiment results at ${path} (nothing to resume)`);
  let obj: unknown;
  try {
    obj = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DataError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return checkResults(obj, path);
}

/** Checks the shape of parsed results; throws a DataError naming the field. */
export function checkResults(obj: unknown, source: string): ExperimentResults {
  const o = obj as Partial<ExperimentResults> | null;
  if (typeof o !== 'object' || o === null) throw new DataError(`${source}: expected a JSON object`);
  if (o.format !== RESULTS_FORMAT) throw new DataError(`${source}: field "format" must be "${RESULTS_FORMAT}", got ${excerpt(String(JSON.stringify(o.format)))}`);
  if (typeof o.spec !== 'object' || o.spec === null) throw new DataError(`${source}: field "spec" is missing`);
  if (!Array.isArray(o.runs)) throw new DataError(`${source}: field "runs" must be an array`);
  if (!Array.isArray(o.selections)) throw new DataError(`${source}: field "selections" must be an array`);
  if (!Array.isArray(o.commands)) throw new DataError(`${source}: field "commands" must be an array`);
  reviveNonFinite(o.spec as unknown as Record<string, unknown>);
  // Results written before the baselines' loss was a choice used ours.
  if (o.spec.baseline && o.spec.baseline.loss === undefined) o.spec.baseline.loss = 'sum';
  for (const [i, r] of o.runs.entries()) {
    if (typeof r?.key !== 'string' || typeof r.method !== 'string' || !Array.isArray(r.curve)) {
      throw new DataError(`${source}: runs[${i}] is not a run record (key, method, curve)`);
    }
  }
  return o as ExperimentResults;
}

/** JSON replacer: Infinity (e.g. the ALM's γ cap "none") is written as the text "Infinity", not as null. */
function nonFiniteAsText(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** Turns the texts "Infinity", "-Infinity" and "NaN" in a parsed spec back into numbers, in place. */
function reviveNonFinite(obj: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(obj)) {
    if (v === 'Infinity' || v === '-Infinity' || v === 'NaN') obj[k] = Number(v);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) reviveNonFinite(v as Record<string, unknown>);
  }
}

/** Keeps at most `max` points of a curve, evenly spread, always with the first and the last. */
export function thinCurve<T>(points: T[], max: number): T[] {
  if (points.length <= max) return points;
  const out: T[] = [];
  let last = -1;
  for (let i = 0; i < max; i++) {
    const idx = Math.round((i * (points.length - 1)) / (max - 1));
    if (idx !== last) out.push(points[idx]);
    last = idx;
  }
  return out;
}

/** Rounds to `digits` significant digits (for curve points, to keep results.json small). */
export function sig(x: number | null, digits = 6): number | null {
  if (x === null || !Number.isFinite(x) || x === 0) return x === null || !Number.isFinite(x) ? null : 0;
  return Number(x.toPrecision(digits));
}
