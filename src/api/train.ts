// Training from data in memory, for people who embed the engine: the ALM (one run, or a grid of
// trials as one batch, with selection on validation), and the gradient baselines. Every option
// is checked here, at the edge, before anything is created; the engine inside trusts them.
import { numericalError, runAlm, runAlmBatch, summarizeResult, type AlmResult, type AlmTrial } from '../alm/alm.ts';
import type { AlmIteration, StopReason } from '../alm/iteration.ts';
import { batchCheckpointFromJson, batchCheckpointToJson, type Checkpoint } from '../alm/checkpoint.ts';
import { DEFAULT_PARAMS, paramsFor, validateParams, type AlmParams } from '../alm/params.ts';
import { checkValidationSteps, selectOnValidation } from '../alm/selection.ts';
import { earlyStopConfig, earlyStopOutcome, finishEarlyStopped, fitEarlyStopped, type AlmEarlyStop } from '../alm/early-stop.ts';
import { defaultEvaluationInterval, resolveEarlyStopRule, type EarlyStopOutcome, type EarlyStopRestore, type EarlyStopRule, type EarlyStopStage } from '../problem/early-stop.ts';
import { initSeed, MAX_SEED, MAX_TRIALS, type RunConfig } from '../alm/setup.ts';
import type { BcdBackend } from '../backends/backend.ts';
import { trainBaseline as trainBaselineInternal, trainBaselineEarlyStopped, type BaselineEarlyStop, type BaselineOptions as InternalBaselineOptions } from '../baselines/train.ts';
import { BASELINE_LOSSES, type BaselineLoss, type EpochReport, type BaselineStop } from '../baselines/report.ts';
import { MAX_EPOCHS, METHODS, type Method } from '../baselines/optimizers.ts';
import { lambdasFor } from '../alm/params.ts';
import { DataError, ParameterError, UserInputError } from '../errors.ts';
import { formatActivation, parseActivation } from '../problem/activations.ts';
import { initializeWeights, INITIALIZERS, type Initializer } from '../problem/init.ts';
import { checkMemory, estimateHostMemory } from '../problem/memory.ts';
import { evaluate, type TestHidden } from '../problem/model.ts';
import { Rng } from '../problem/rng.ts';
import { splitPoint, standardize } from '../problem/standardize.ts';
import type { Activation, Problem, RnnWeights, Series, Standardization } from '../problem/types.ts';
import { defaultValidationSteps } from '../problem/validation.ts';
import { resolveBackend, validateBackendOptions, type BackendOptions } from './backend.ts';
import { readSeries, type SeriesData } from './data.ts';
import { checkKnownKeys, checkObject, OptionError } from './errors.ts';
import { Model } from './model.ts';
import type { Platform } from './platform.ts';
import { TrainingRun, type AbortSignalLike, type RunControl } from './run.ts';

/** The method's parameters a call may set (any subset; the rest take the defaults). */
export type MethodParams = Partial<AlmParams>;

/** An activation: `relu`, `elu`, `leaky:ω` (ω in (0, 1)), or the object form. */
export type ActivationOption = 'relu' | 'elu' | `leaky:${number}` | Activation;

/** How the series is standardised: over the whole series (the paper), the training part only, or not at all. */
export type StandardizeOption = 'whole' | 'train' | 'none';

/** Where the initial weights come from: an initialiser (seeded by `seed`), or a model to continue from. */
export type InitOption = Initializer | Model;

/** What every training call takes: the data, the model's shape, the split and where to compute. */
export interface CommonOptions extends SeriesData, BackendOptions {
  /** Hidden size r (default 20). */
  hidden?: number;
  /** Activation σ (default `relu`). */
  activation?: ActivationOption;
  /** Share of the steps trained on, the rest tested on (default 0.9); 1 trains on every step (no test part). */
  trainFraction?: number;
  /** Steps trained on (T1); overrides trainFraction. */
  trainSteps?: number;
  /** Standardisation of inputs and targets (default `whole`, the paper's); predictions come back in raw units either way. */
  standardize?: StandardizeOption;
  /** Which columns standardisation touches: `all` (default) or `targets` (inputs kept as given, e.g. already scaled). */
  standardizeColumns?: 'all' | 'targets';
  /** How TestErr's hidden state starts: carried on from training (default, the paper's formula) or reset to 0. */
  testHidden?: TestHidden;
  /** Stops the training after its current batch of sweeps (epoch); the result still arrives. */
  signal?: AbortSignalLike;
}

/** Options of train(): one ALM run. */
export interface TrainOptions extends CommonOptions {
  /** Initial weights: an initialiser name (default `normal-1e-1`) or a Model to continue from. */
  init?: InitOption;
  /** Seed of the initial weights: an integer from 0 to 2³¹−2 (default 1). */
  seed?: number;
  /** The method's parameters: any subset of MethodParams, e.g. `{ outer: 50, inner: 100, tau: 1 }`; defaults as the CLI's for a CSV file. */
  params?: MethodParams;
  /** Stop once FeasVio ≤ feasTol (and, with innerStop `certificate`, the certificate ≤ ε); 0 (default) disables. */
  feasTol?: number;
  /** Stop when neither FeasVio nor TrainErr improved (relative 1e-6) over this many outer iterations; 0 (default) disables. */
  patience?: number;
  /**
   * Called after every outer iteration (per trial of a grid), with the iterate as a Model (its
   * weights s^k; predicts in raw units): what a stop at this point would return, e.g. to plot the
   * fit as it improves.
   */
  onIteration?: (report: IterationReport, model: Model) => void;
  /** Called after every batch of sweeps inside an outer iteration, with k and the sweeps done in it. */
  onSweeps?: (k: number, sweeps: number) => void;
  /** Checkpoints: `save` receives the whole state as JSON text after outer iterations, at most every `everySeconds` (default 0: every one). */
  checkpoint?: CheckpointOptions;
  /**
   * Continue from a checkpoint's JSON text, made by `checkpoint.save` with the same data and
   * options; ends as an unbroken run would. `params.outer` may be larger than the checkpoint's,
   * to continue a finished run further. A checkpoint of the CLI (`alm-rnn train --checkpoint`) or
   * the demo page names its data set instead of fingerprinting the arrays: it is taken when its
   * shapes (inputs, targets, hidden size, training steps) and options agree, and passing the same
   * series (as loaded and standardised there) is then the caller's charge.
   */
  resume?: string;
  /**
   * Early stopping on the validation split (docs/method.md §5.5): train on the training part
   * minus its last `validationSteps`, score the validation error after every outer iteration,
   * stop by the rule, then retrain on the whole training part for exactly k* outer iterations
   * (or keep the best iterate: `restore: 'best'`). The test part is never looked at. Progress
   * reports come first from the run on the fit part (their TestErr is the validation error),
   * then from the retraining; checkpoints cover the run on the fit part (the retraining, at most
   * k* outer iterations, is rerun from the start on resume). Absent: no early stopping.
   */
  earlyStop?: EarlyStopOptions;
}

/** Early stopping's settings (docs/method.md §5.5); every field has a default. */
export interface EarlyStopOptions {
  /** Steps at the end of the training part held out for validation (default a tenth of it, as for `select: 'validation'`). */
  validationSteps?: number;
  /** Evaluations after the warm-up without a relative improvement of minDelta that stop the run (≥ 1; default a tenth of the cap's evaluations, at least 1). */
  patience?: number;
  /** The relative improvement of the best validation error that counts (in [0, 1); default 1e-6). */
  minDelta?: number;
  /** Evaluations scored but not counted towards patience, so that an early dip or rise does not decide alone (default a tenth of the cap's evaluations). */
  warmupEvals?: number;
  /** `retrain` (default): retrain on the whole training part for k*; `best`: keep the best iterate of the run on the fit part (Keras' restore_best_weights). */
  restore?: EarlyStopRestore;
}

/** Early stopping's settings for a baseline: those of the ALM, and how often to score. */
export interface BaselineEarlyStopOptions extends EarlyStopOptions {
  /** Score the validation error every this many epochs (default round(epochs / 500), at least 1: about 500 evaluations a run). */
  every?: number;
}

/** Where and how often a run's checkpoints go. */
export interface CheckpointOptions {
  /** Persists one checkpoint (JSON text); awaited before the run goes on. */
  save: (json: string) => void | Promise<void>;
  /** Least seconds between two checkpoints (default 0: after every outer iteration). */
  everySeconds?: number;
}

/** One outer iteration of one trial, as progress callbacks and iterators report it. */
export interface IterationReport extends AlmIteration {
  /** The trial's index in its batch (0 for train()). */
  trial: number;
  /**
   * With earlyStop: which run the report comes from, `fit` (on the fit part; its testErr is the
   * validation error) or `retrain` (on the whole training part, for k*; its testErr is the test
   * part's). Absent without earlyStop.
   */
  stage?: EarlyStopStage;
}

/** The outcome of an ALM run. */
export interface TrainResult {
  /** The trained model (its weights at the last completed outer iteration). */
  model: Model;
  /** TrainErr: mean over the training steps of ||y_t − ŷ_t||², in the standardised units trained in. */
  trainErr: number;
  /** TestErr over the test steps (null when there is no test part). */
  testErr: number | null;
  /** Constraint violation max(‖C1‖, ‖C2‖) of the last iterate. */
  feasVio: number;
  /** The penalty γ after the last outer iteration. */
  gamma: number;
  /** Outer iterations completed. */
  outerIterations: number;
  /** BCD sweeps run in all, over every outer iteration. */
  sweeps: number;
  /** Wall-clock seconds of the run. */
  seconds: number;
  /** Why it ended: `outer-cap`, `stopped` (stop() or the signal), `converged` (feasTol), `no-progress` (patience), `early-stop` (the earlyStop rule ended the run on the fit part: a result with `restore: 'best'`) or `failed`. */
  stopReason: StopReason;
  /** One entry per outer iteration. */
  history: AlmIteration[];
  /** Which backend computed, and why (the same line `log` receives). */
  backend: string;
  /** Steps trained on (T1) and tested on. */
  trainSteps: number;
  /** Steps tested on (T − T1; 0 without a test part). */
  testSteps: number;
  /** With the earlyStop option: k* (the outer iteration with the lowest validation error), that error, where the run on the fit part stopped, and which model was kept. */
  earlyStop?: EarlyStopOutcome;
}

const COMMON_KEYS = ['inputs', 'targets', 'inputNames', 'targetNames', 'backend', 'workers', 'cpuKernels', 'log', 'hidden', 'activation', 'trainFraction', 'trainSteps', 'standardize', 'standardizeColumns', 'testHidden', 'signal'] as const;
const ALM_KEYS = [...COMMON_KEYS, 'init', 'seed', 'params', 'feasTol', 'patience', 'onIteration', 'onSweeps', 'checkpoint', 'resume', 'earlyStop'] as const;
const EARLY_STOP_KEYS = ['validationSteps', 'patience', 'minDelta', 'warmupEvals', 'restore'] as const;
const PARAM_KEYS = Object.keys(DEFAULT_PARAMS) as (keyof AlmParams)[];

/** How the API's checkpoints name their data: a fingerprint of the arrays (the CLI's and the page's name a data set). */
const ARRAYS_PREFIX = 'arrays:';

/** The problem a call's data and shape options define. */
export interface PreparedData {
  problem: Problem;
  /** Fingerprint of the data and the preparation, stored in checkpoints so a resume on other data is refused. */
  fingerprint: string;
}

export function checkInteger(option: string, v: unknown, min: number, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new OptionError(option, v, `must be an integer ${max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`}`);
  }
  return v;
}

function checkChoice<T extends string>(option: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw new OptionError(option, v, `must be one of ${choices.join(', ')}`);
  return v as T;
}

function checkFunction(option: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'function') throw new OptionError(option, v, 'must be a function');
}

function readActivation(v: unknown): Activation {
  if (v === undefined) return { kind: 'relu' };
  try {
    if (typeof v === 'string') return parseActivation(v);
    if (typeof v === 'object' && v !== null) return parseActivation(formatActivation(v as Activation));
  } catch {
    // Reported below.
  }
  throw new OptionError('activation', v, 'must be "relu", "elu", "leaky:ω" with ω in (0, 1), or { kind: "leaky", omega: ω }');
}

/** FNV-1a over the values, for a checkpoint's data fingerprint. */
function hashValues(parts: ArrayLike<number>[], seed: string): string {
  let h = 0x811c9dc5;
  const mix = (byte: number) => {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const ch of seed) mix(ch.charCodeAt(0) & 0xff);
  const buf = new Float64Array(1);
  const bytes = new Uint8Array(buf.buffer);
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      buf[0] = p[i];
      for (const b of bytes) mix(b);
    }
  }
  return h.toString(16).padStart(8, '0');
}

/** Checks the data and shape options and builds the (standardised, split) problem. */
export function prepareData(options: CommonOptions, api: string): PreparedData {
  const series: Series = readSeries(options);
  const { T } = series;
  const r = options.hidden === undefined ? 20 : checkInteger('hidden', options.hidden, 1);
  const activation = readActivation(options.activation);
  let T1: number;
  if (options.trainSteps !== undefined) {
    T1 = checkInteger('trainSteps', options.trainSteps, 2, T);
  } else {
    const f = options.trainFraction ?? 0.9;
    if (typeof f !== 'number' || !(f > 0 && f <= 1)) throw new OptionError('trainFraction', f, 'must be a number in (0, 1]');
    T1 = f === 1 ? T : splitPoint(T, f);
  }
  if (T1 < 2) throw new OptionError(options.trainSteps !== undefined ? 'trainSteps' : 'trainFraction', options.trainSteps ?? options.trainFraction, `leaves ${T1} training step${T1 === 1 ? '' : 's'} of the ${T}; the method needs at least 2`);
  const mode = checkChoice('standardize', options.standardize ?? 'whole', ['whole', 'train', 'none'] as const);
  const columns = checkChoice('standardizeColumns', options.standardizeColumns ?? 'all', ['all', 'targets'] as const);
  if (options.testHidden !== undefined) checkChoice('testHidden', options.testHidden, ['carry', 'reset'] as const);
  if (options.signal !== undefined && !(typeof options.signal === 'object' && options.signal !== null && 'aborted' in options.signal)) {
    throw new OptionError('signal', options.signal, 'must be an AbortSignal');
  }
  checkMemory({ T: T1, n: series.n, m: series.m, r }, estimateHostMemory({ T: T1, n: series.n, m: series.m, r }), `${api}: the weights and their evaluation`);
  let s = series;
  let standardization: Standardization | undefined;
  if (mode !== 'none') {
    const out = standardize(series, { mode, T1: Math.min(T1, T), columns });
    s = out.series;
    standardization = out.standardization;
  }
  const problem: Problem = { name: 'arrays', series: s, T1, r, activation, standardization };
  const fingerprint = `${ARRAYS_PREFIX}${T}x${series.n}+${series.m}:T1=${T1}:${mode}${columns === 'targets' ? '-targets' : ''}:${hashValues([series.x, series.y], series.inputNames.join(',') + '|' + series.targetNames.join(','))}`;
  return { problem, fingerprint };
}

/** Merges a subset of the method's parameters over the defaults, naming any unknown or invalid one. */
export function readParams(v: unknown): AlmParams {
  if (v !== undefined) {
    checkObject(v, 'params');
    checkKnownKeys(v, PARAM_KEYS, 'params.');
    for (const [key, value] of Object.entries(v)) {
      if (key === 'innerStop') continue;
      if (value !== undefined && typeof value !== 'number') throw new OptionError(`params.${key}`, value, 'must be a number');
    }
  }
  const params = paramsFor(undefined, { overrides: (v ?? {}) as MethodParams });
  try {
    return validateParams(params);
  } catch (err) {
    if (err instanceof ParameterError) throw new OptionError(`params.${err.parameter}`, err.value, `is out of range: must be ${err.allowed}`);
    throw err;
  }
}

export function readInit(v: unknown, problem: Problem, option = 'init'): { init: Initializer; weights?: RnnWeights } {
  if (v === undefined) return { init: 'normal-1e-1' };
  if (v instanceof Model) {
    const w = v.weights;
    const { n, m } = problem.series;
    if (w.r !== problem.r || w.n !== n || w.m !== m) {
      throw new OptionError(option, `a Model with r=${w.r}, n=${w.n}, m=${w.m}`, `does not fit the data and hidden size (r=${problem.r}, n=${n}, m=${m})`);
    }
    if (JSON.stringify(v.activation) !== JSON.stringify(problem.activation)) {
      throw new OptionError(option, `a Model with activation ${formatActivation(v.activation)}`, `differs from the activation option (${formatActivation(problem.activation)})`);
    }
    return { init: 'normal-1e-1', weights: w as RnnWeights };
  }
  return { init: checkChoice(option, v, INITIALIZERS) };
}

export function readSeed(v: unknown, option = 'seed'): number {
  if (v === undefined) return 1;
  return checkInteger(option, v, 0, MAX_SEED);
}

function checkCheckpointOption(v: unknown): CheckpointOptions | undefined {
  if (v === undefined) return undefined;
  checkObject(v, 'checkpoint');
  checkKnownKeys(v, ['save', 'everySeconds'], 'checkpoint.');
  if (typeof v.save !== 'function') throw new OptionError('checkpoint.save', v.save, 'must be a function that persists the JSON text');
  if (v.everySeconds !== undefined && !(typeof v.everySeconds === 'number' && v.everySeconds >= 0)) throw new OptionError('checkpoint.everySeconds', v.everySeconds, 'must be a number ≥ 0');
  return v as unknown as CheckpointOptions;
}

function nonNegative(option: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new OptionError(option, v, 'must be a finite number ≥ 0');
  return v;
}

/** The validation steps V of a split of the training part (T1 steps), or an OptionError naming `option`. */
function readValidationSteps(option: string, v: unknown, T1: number): number {
  const V = v ?? defaultValidationSteps(T1);
  try {
    checkValidationSteps(V as number, T1);
  } catch (err) {
    if (err instanceof ParameterError) throw new OptionError(option, V, `must be ${err.allowed}`);
    throw err;
  }
  return V as number;
}

/**
 * The earlyStop option resolved: an AlmEarlyStop with the baselines' interval. Spelt out here
 * (not as AlmEarlyStop) so that the package's declarations reach no engine module.
 */
export interface ResolvedEarlyStop {
  validationSteps: number;
  every: number;
  rule: EarlyStopRule;
  restore: EarlyStopRestore;
}

/** Checks the earlyStop option and resolves its defaults for a cap of `capEvaluations` evaluations. */
export function readEarlyStop(
  v: unknown,
  T1: number,
  defaults: { validationSteps?: number; every: number },
  capEvaluations: (every: number) => number,
  baseline: boolean,
): ResolvedEarlyStop | undefined {
  if (v === undefined) return undefined;
  checkObject(v, 'earlyStop');
  checkKnownKeys(v, baseline ? [...EARLY_STOP_KEYS, 'every'] : EARLY_STOP_KEYS, 'earlyStop.');
  const validationSteps = readValidationSteps('earlyStop.validationSteps', v.validationSteps ?? defaults.validationSteps, T1);
  const every = v.every === undefined ? defaults.every : checkInteger('earlyStop.every', v.every, 1);
  const given: { patience?: number; minDelta?: number; warmupEvals?: number } = {};
  if (v.patience !== undefined) given.patience = checkInteger('earlyStop.patience', v.patience, 1);
  if (v.warmupEvals !== undefined) given.warmupEvals = checkInteger('earlyStop.warmupEvals', v.warmupEvals, 0);
  if (v.minDelta !== undefined) {
    if (!(typeof v.minDelta === 'number' && v.minDelta >= 0 && v.minDelta < 1)) throw new OptionError('earlyStop.minDelta', v.minDelta, 'must be a number in [0, 1)');
    given.minDelta = v.minDelta;
  }
  const restore = v.restore === undefined ? 'retrain' : checkChoice('earlyStop.restore', v.restore, ['retrain', 'best'] as const);
  return { validationSteps, every, restore, rule: resolveEarlyStopRule(capEvaluations(every), given) };
}

/** Checks the options train() and trainGrid() share about how a run goes: stopping rules, callbacks, checkpoints, backend. */
function checkRunOptions(options: TrainOptions | GridOptions): void {
  nonNegative('feasTol', options.feasTol);
  if (options.patience !== undefined) checkInteger('patience', options.patience, 0);
  checkFunction('onIteration', options.onIteration);
  checkFunction('onSweeps', options.onSweeps);
  checkCheckpointOption(options.checkpoint);
  validateBackendOptions(options);
}

/** One trial of a call, with what its result and checkpoint need. */
interface PreparedTrial extends AlmTrial {
  config: RunConfig;
}

function makeTrial(data: PreparedData, params: AlmParams, init: { init: Initializer; weights?: RnnWeights }, seed: number, testHidden: TestHidden, earlyStop?: AlmEarlyStop): PreparedTrial {
  const { problem } = data;
  const { n, m } = problem.series;
  const initial = init.weights ?? initializeWeights(init.init, problem.r, n, m, new Rng(initSeed(seed)));
  const config: RunConfig = {
    dataset: data.fingerprint,
    hidden: problem.r,
    activation: formatActivation(problem.activation),
    init: init.init,
    seed,
    standardize: problem.standardization ? 'whole' : 'none',
    testHidden,
    params,
    ...(earlyStop ? { earlyStop: earlyStopConfig(earlyStop) } : {}),
  };
  return { problem, params, initial, config };
}

/** JSON with every object's keys sorted, so that two equal settings compare equal whatever their key order. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : value === Infinity ? 'Infinity' : value,
  );
}

/** Applies a checkpoint to the trials, refusing one made from other data or options. */
function applyResume(trials: PreparedTrial[], text: string): void {
  if (typeof text !== 'string') throw new OptionError('resume', text, 'must be the JSON text a checkpoint.save received');
  const cp = batchCheckpointFromJson(text, 'resume');
  if (cp.trials.length !== trials.length) throw new OptionError('resume', `a checkpoint of ${cp.trials.length} trials`, `does not match this call's ${trials.length}`);
  cp.trials.forEach((saved: Checkpoint, i) => {
    const t = trials[i];
    if (saved.config.dataset.startsWith(ARRAYS_PREFIX)) {
      if (saved.config.dataset !== t.config.dataset) throw new OptionError('resume', 'a checkpoint of other data', 'was made from other data or another split/standardisation; pass the same inputs, targets and options');
    } else {
      // The CLI's or the page's: it names a data set. The shapes are all that can be checked.
      const { r, n, m } = saved.initial;
      const { series, T1 } = t.problem;
      // An early-stopped run's checkpoint is of its run on the fit part: its validation steps fewer.
      const V = saved.config.earlyStop?.validationSteps ?? 0;
      if (r !== t.problem.r || n !== series.n || m !== series.m || saved.state.h.length !== (T1 - V) * r) {
        const steps = (count: number) => `${count} training steps${V > 0 ? ` less ${V} validation steps` : ''}`;
        throw new OptionError('resume', `a checkpoint of ${saved.config.dataset} (r=${r}, n=${n}, m=${m}, ${steps(saved.state.h.length / r + V)})`,
          `does not fit this data and hidden size (r=${t.problem.r}, n=${series.n}, m=${series.m}, ${steps(T1)})`);
      }
    }
    // What defines the run, whoever wrote the checkpoint: the outer cap may grow, to go on further.
    const defining = (c: RunConfig) => ({ hidden: c.hidden ?? saved.initial.r, activation: c.activation, init: c.init, seed: c.seed, testHidden: c.testHidden, params: { ...c.params, outer: undefined }, earlyStop: c.earlyStop });
    const a = canonicalJson(defining(saved.config)), b = canonicalJson(defining(t.config));
    if (a !== b) throw new OptionError('resume', 'a checkpoint of other options', `was made with other options (trial ${i}: ${a} against ${b})`);
    t.initial = saved.initial;
    t.resume = { loop: saved.loop, state: saved.state };
  });
}

function toResult(r: AlmResult, trial: PreparedTrial, line: string): TrainResult {
  const s = summarizeResult(r);
  const { series, T1, standardization, activation } = trial.problem;
  const model = new Model({ weights: r.weights, activation, standardization, columns: { inputs: series.inputNames, targets: series.targetNames } });
  return {
    model,
    trainErr: s.trainErr,
    testErr: T1 < series.T ? s.testErr : null,
    feasVio: s.feasVio,
    gamma: s.gamma,
    outerIterations: s.outerIterations,
    sweeps: s.sweeps,
    seconds: s.seconds,
    stopReason: s.stopReason,
    history: r.history,
    backend: line,
    trainSteps: T1,
    testSteps: series.T - T1,
  };
}

/** Runs ALM trials on a resolved backend with the API's callbacks; disposes of what it created. */
async function withBackend<T>(platform: Platform, options: BackendOptions, trials: number, body: (backend: BcdBackend, line: string) => Promise<T>): Promise<T> {
  const resolved = await resolveBackend(platform, options, trials);
  options.log?.(resolved.line);
  try {
    return await body(resolved.backend, resolved.line);
  } finally {
    if (resolved.owned) resolved.backend.dispose();
  }
}

type Control = RunControl<IterationReport>;

/** The engine's run options of a call; `stage` tags the progress reports of an early-stopped run's fit or retraining. */
function runOptions(options: TrainOptions, control: Control, trials: PreparedTrial[], stage?: EarlyStopStage) {
  const cp = options.checkpoint;
  let lastSave = -Infinity;
  return {
    signal: control.signal as AbortSignal,
    pauseGate: control.pauseGate,
    testHidden: options.testHidden ?? 'carry',
    feasTol: options.feasTol,
    patience: options.patience,
    onSweeps: options.onSweeps,
    onIteration: (it: AlmIteration, trial: number, weights: RnnWeights) => {
      const report: IterationReport = { ...it, trial, ...(stage ? { stage } : {}) };
      if (options.onIteration) {
        const { series, standardization, activation } = trials[trial].problem;
        options.onIteration(report, new Model({ weights, activation, standardization, columns: { inputs: series.inputNames, targets: series.targetNames } }));
      }
      control.emit(report);
    },
    checkpointDue: cp ? () => performance.now() - lastSave >= (cp.everySeconds ?? 0) * 1000 : () => false,
    onCheckpoint: cp
      ? async (loops: AlmResult['loopState'][], states: Parameters<NonNullable<Parameters<typeof runAlmBatch>[2]>['onCheckpoint'] & {}>[1]) => {
          lastSave = performance.now();
          const json = batchCheckpointToJson({ trials: trials.map((t, i) => ({ config: t.config, initial: t.initial, loop: loops[i], state: states[i] })) });
          await cp.save(json);
        }
      : undefined,
  };
}

// The API's calls, each bound to a platform (Node or browser) by the package's entries. They are
// separate functions, not one object of them, so that a bundle keeps only the calls it uses (an
// app that only trains carries no baseline code).

/**
 * Trains an Elman RNN on the data with the augmented Lagrangian method. Returns a TrainingRun:
 * `await` it for the TrainResult, iterate it for per-iteration progress, or pause/resume/stop it.
 */
export function trainOn(platform: Platform, options: TrainOptions): TrainingRun<TrainResult, IterationReport> {
  checkObject(options, 'train() options');
  checkKnownKeys(options, ALM_KEYS, '');
  const data = prepareData(options, 'train()');
  const params = readParams(options.params);
  const init = readInit(options.init, data.problem);
  const seed = readSeed(options.seed);
  checkRunOptions(options);
  const earlyStop = readEarlyStop(options.earlyStop, data.problem.T1, { every: 1 }, () => params.outer, false);
  const trial = makeTrial(data, params, init, seed, options.testHidden ?? 'carry', earlyStop);
  if (options.resume !== undefined) applyResume([trial], options.resume);
  return new TrainingRun<TrainResult, IterationReport>(
    (control) =>
      withBackend(platform, options, 1, async (backend, line) => {
        const run = runOptions(options, control, [trial], earlyStop ? 'fit' : undefined);
        if (!earlyStop) {
          const [r] = await runAlmBatch(backend, [trial], run);
          if (r.loopState.failure) throw numericalError(r.loopState.failure.message);
          return toResult(r, trial, line);
        }
        const selection = await fitEarlyStopped(backend, [trial], earlyStop, run);
        const failure = selection.fits[0].loopState.failure;
        if (failure) throw numericalError(failure.message);
        const { outcomes, finals } = await finishEarlyStopped(backend, [trial], selection, earlyStop, runOptions(options, control, [trial], 'retrain'));
        if (finals[0].loopState.failure) throw numericalError(finals[0].loopState.failure.message);
        return { ...toResult(finals[0], trial, line), earlyStop: outcomes[0] };
      }),
    options.signal,
  );
}

/**
 * Trains a grid of ALM trials — every combination of `inits` × `taus` × `seeds` — as one
 * batch; with `select: 'validation'` chooses one on a validation split and retrains it.
 */
export function trainGridOn(platform: Platform, options: GridOptions): TrainingRun<GridResult, IterationReport> {
  checkObject(options, 'trainGrid() options');
  checkKnownKeys(options, GRID_KEYS, '');
  const data = prepareData(options, 'trainGrid()');
  const params = readParams(options.params);
  const list = <T>(option: string, v: readonly T[] | undefined, fallback: T[], check: (x: unknown, o: string) => T): T[] => {
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || v.length === 0) throw new OptionError(option, v, 'must be a non-empty array');
    const out = v.map((x, i) => check(x, `${option}[${i}]`));
    const seen = new Set(out.map((x) => JSON.stringify(x)));
    if (seen.size !== out.length) throw new OptionError(option, v, 'lists a value twice');
    return out;
  };
  const inits = list<Initializer>('inits', options.inits, ['normal-1e-1'], (x, o) => checkChoice(o, x, INITIALIZERS));
  const taus = list('taus', options.taus, [params.tau], (x, o) => {
    if (!(typeof x === 'number' && Number.isFinite(x) && x > 0)) throw new OptionError(o, x, 'must be a finite number > 0');
    return x;
  });
  const seeds = list('seeds', options.seeds, [1], (x, o) => readSeed(x, o));
  const select = options.select === undefined ? 'none' : checkChoice('select', options.select, ['none', 'validation'] as const);
  let V = select === 'validation' ? readValidationSteps('validationSteps', options.validationSteps, data.problem.T1) : defaultValidationSteps(data.problem.T1);
  const count = inits.length * taus.length * seeds.length;
  if (count > MAX_TRIALS) throw new OptionError('inits × taus × seeds', `${count} trials`, `must make at most ${MAX_TRIALS} trials: run the grid in parts`);
  checkRunOptions(options);
  const earlyStop = readEarlyStop(options.earlyStop, data.problem.T1, { validationSteps: options.validationSteps, every: 1 }, () => params.outer, false);
  if (earlyStop && select === 'validation' && options.validationSteps !== undefined && earlyStop.validationSteps !== options.validationSteps) {
    throw new OptionError('earlyStop.validationSteps', earlyStop.validationSteps, `differs from validationSteps (${options.validationSteps}): selection and early stopping share one validation split; give one of them`);
  }
  if (earlyStop) V = earlyStop.validationSteps;
  const settings: GridTrialSettings[] = [];
  // init outermost, then τ, then seed: the order of `alm-rnn train`'s grids.
  for (const init of inits) for (const tau of taus) for (const seed of seeds) settings.push({ init, tau, seed });
  const testHidden = options.testHidden ?? 'carry';
  const trials = settings.map((s) => makeTrial(data, { ...params, tau: s.tau }, { init: s.init }, s.seed, testHidden, earlyStop));
  if (options.resume !== undefined) {
    if (select === 'validation') throw new OptionError('resume', 'a checkpoint', 'cannot continue a selection on validation (it has two stages); resume the grid without select');
    applyResume(trials, options.resume);
  }
  return new TrainingRun<GridResult, IterationReport>(
    (control) =>
      withBackend(platform, options, trials.length, async (backend, line) => {
        const run = runOptions(options, control, trials, earlyStop ? 'fit' : undefined);
        const retrain = runOptions(options, control, trials, 'retrain');
        if (earlyStop) {
          // Each trial stops on its own; its score is its best validation error, and it is retrained for its own k*.
          const selection = await fitEarlyStopped(backend, trials, earlyStop, run);
          const fitted = (i: number) => ({ valErr: selection.scores[i], earlyStop: earlyStopOutcome(selection.fits[i], earlyStop.restore) });
          if (select === 'none') {
            const { outcomes, finals } = await finishEarlyStopped(backend, trials, selection, earlyStop, retrain);
            return {
              trials: finals.map((r, i) => ({ ...gridTrial(r, trials[i], settings[i], line), valErr: selection.scores[i], earlyStop: outcomes[i] })),
              validationSteps: V,
              backend: line,
            };
          }
          const chosen = selection.chosen;
          const { outcomes, finals } = await finishEarlyStopped(backend, trials, selection, earlyStop, retrain, [chosen]);
          return {
            trials: selection.fits.map((r, i) => ({ ...gridTrial(r, trials[i], settings[i], line), ...fitted(i) })),
            selected: { index: chosen, ...settings[chosen], ...toResult(finals[0], trials[chosen], line), valErr: selection.scores[chosen], earlyStop: outcomes[0] },
            validationSteps: V,
            backend: line,
          };
        }
        if (select === 'none') {
          const results = await runAlmBatch(backend, trials, run);
          return { trials: results.map((r, i) => gridTrial(r, trials[i], settings[i], line)), backend: line };
        }
        const { onCheckpoint: _c, checkpointDue: _d, ...plain } = run;
        const selection = await selectOnValidation(backend, trials, V, plain);
        const chosen = selection.chosen;
        const final = await runAlm(backend, trials[chosen].problem, trials[chosen].params, trials[chosen].initial, plain);
        return {
          trials: selection.fits.map((r, i) => ({ ...gridTrial(r, trials[i], settings[i], line), valErr: selection.scores[i] })),
          selected: { index: chosen, ...settings[chosen], valErr: selection.scores[chosen], ...toResult(final, trials[chosen], line) },
          validationSteps: V,
          backend: line,
        };
      }),
    options.signal,
  );
}

/** Trains the same kind of model by backpropagation through time with a gradient method (GD, GDC, GDNM, SGD, Adam). */
export function trainBaselineOn(platform: Platform, options: BaselineTrainOptions): TrainingRun<BaselineTrainResult, EpochReport> {
  checkObject(options, 'trainBaseline() options');
  checkKnownKeys(options, BASELINE_KEYS, '');
  const data = prepareData(options, 'trainBaseline()');
  const method = checkChoice('method', options.method, METHODS);
  if (!(typeof options.learningRate === 'number' && options.learningRate > 0 && Number.isFinite(options.learningRate))) {
    throw new OptionError('learningRate', options.learningRate, 'must be a finite number > 0');
  }
  const epochs = checkInteger('epochs', options.epochs ?? 1000, 1, MAX_EPOCHS);
  const init = readInit(options.init, data.problem);
  const seed = readSeed(options.seed);
  const loss = options.loss === undefined ? 'sum' : checkChoice('loss', options.loss, BASELINE_LOSSES);
  const tau = options.tau ?? 0;
  if (!(typeof tau === 'number' && tau >= 0 && Number.isFinite(tau))) throw new OptionError('tau', tau, 'must be a finite number ≥ 0 (0: no regularisation)');
  if (options.clip !== undefined && !(typeof options.clip === 'number' && options.clip > 0)) throw new OptionError('clip', options.clip, 'must be a number > 0');
  if (options.batch !== undefined) checkInteger('batch', options.batch, 1, data.problem.T1);
  checkFunction('onEpoch', options.onEpoch);
  if (options.evaluateEvery !== undefined) checkInteger('evaluateEvery', options.evaluateEvery, 1);
  if (options.cpuKernels !== undefined) validateBackendOptions({ cpuKernels: options.cpuKernels });
  const earlyStop = readEarlyStop(options.earlyStop, data.problem.T1, { every: defaultEvaluationInterval(epochs) }, (every) => Math.floor(epochs / every), true);
  const trial = makeTrial(data, DEFAULT_PARAMS, init, seed, options.testHidden ?? 'carry');
  const { problem } = data;
  const { n, m } = problem.series;
  return new TrainingRun<BaselineTrainResult, EpochReport>(async (control) => {
    const started = performance.now();
    let out;
    let outcome: EarlyStopOutcome | undefined;
    try {
      const internal: InternalBaselineOptions = {
        problem,
        method: method as Method,
        lr: options.learningRate,
        epochs,
        clip: method === 'gdc' ? options.clip ?? 1 : undefined,
        momentum: options.momentum,
        batch: options.batch,
        loss: loss as BaselineLoss,
        lambdas: tau > 0 ? baselineLambdas(tau, problem.r, n, m) : undefined,
        initialWeights: trial.initial,
        seed,
        testHidden: options.testHidden ?? 'carry',
        evaluateEvery: options.evaluateEvery,
        kernels: options.cpuKernels,
        signal: control.signal as AbortSignal,
        pauseGate: control.pauseGate,
        onEpoch: (e) => {
          options.onEpoch?.(e);
          control.emit(e);
        },
      };
      if (earlyStop) {
        const es: BaselineEarlyStop = { validationSteps: earlyStop.validationSteps, every: earlyStop.every, rule: earlyStop.rule, restore: earlyStop.restore };
        const result = await trainBaselineEarlyStopped(internal, es);
        out = result;
        outcome = result.outcome;
      } else {
        out = await trainBaselineInternal(internal);
      }
    } catch (err) {
      if (err instanceof ParameterError) throw new OptionError(err.parameter, err.value, `is out of range: must be ${err.allowed}`);
      throw err;
    }
    const { trainErr, testErr } = evaluate(out.weights, problem, options.testHidden ?? 'carry');
    const model = new Model({ weights: out.weights, activation: problem.activation, standardization: problem.standardization, columns: { inputs: problem.series.inputNames, targets: problem.series.targetNames } });
    const last = out.history[out.history.length - 1];
    return {
      model,
      trainErr,
      testErr: problem.T1 < problem.series.T ? testErr : null,
      epochs: last?.epoch ?? 0,
      stopReason: out.stopped,
      history: out.history,
      seconds: (performance.now() - started) / 1000,
      trainSteps: problem.T1,
      testSteps: problem.series.T - problem.T1,
      ...(outcome ? { earlyStop: outcome } : {}),
    };
  }, options.signal);
}

/** Creates a backend to reuse across calls (their `backend` option); the caller disposes of it. */
export async function createBackendOn(platform: Platform, options: BackendOptions = {}): Promise<BcdBackend> {
  const resolved = await resolveBackend(platform, options, Number.POSITIVE_INFINITY);
  options.log?.(resolved.line);
  return resolved.backend;
}


/** λ1…λ5 of τ as the ALM's R has them, on A, W, V, b, c. */
function baselineLambdas(tau: number, r: number, n: number, m: number) {
  const l = lambdasFor({ tau, lambda6: 0 }, r, n, m);
  return { A: l.l1, W: l.l2, V: l.l3, b: l.l4, c: l.l5 };
}

/** The settings that vary across a grid's trials. */
export interface GridTrialSettings {
  /** The trial's initialiser. */
  init: Initializer;
  /** The trial's τ. */
  tau: number;
  /** The trial's seed of the initial weights. */
  seed: number;
}

/** Options of trainGrid(): train()'s, with lists in place of init, τ and seed. */
export interface GridOptions extends Omit<TrainOptions, 'init' | 'seed'> {
  /** Initialisers (default [`normal-1e-1`]). */
  inits?: Initializer[];
  /** Values of τ (default [params.tau ?? 1]). */
  taus?: number[];
  /** Seeds of the initial weights, each an integer from 0 to 2³¹−2 (default [1]); inits × taus × seeds at most 10 000 trials. */
  seeds?: number[];
  /**
   * `validation`: choose one trial on a validation split and retrain it on the whole training
   * part (default `none`). With earlyStop a trial's score is its best validation error, and the
   * chosen one is retrained for its k* (or its best iterate kept).
   */
  select?: 'none' | 'validation';
  /** Steps at the end of the training part held out for selection (default a tenth of it). */
  validationSteps?: number;
}

/** One trial of a grid. */
export interface GridTrialResult extends TrainResult, GridTrialSettings {
  /**
   * With select 'validation' or earlyStop: the mean squared error on the validation steps of its
   * fit (with earlyStop, of its best iterate, k*'s), Infinity when it diverged.
   */
  valErr?: number;
  /**
   * When this trial's linear algebra broke down (stopReason `failed`): why, and what to change.
   * It ended alone, keeping its last completed iterate; the other trials went on.
   */
  failure?: string;
}

/** The outcome of trainGrid(). */
export interface GridResult {
  /**
   * One result per trial, in grid order (init outermost, then τ, then seed). With selection: the
   * fits on the fit part. With earlyStop and no selection: each trial's final model (retrained
   * for its own k*, or its best iterate).
   */
  trials: GridTrialResult[];
  /** With select 'validation': the chosen setting retrained on the whole training part. */
  selected?: GridTrialResult & {
    /** The chosen trial's index in `trials`. */
    index: number };
  /** With select 'validation' or earlyStop: the validation steps held out. */
  validationSteps?: number;
  /** Which backend computed, and why (the same line `log` receives). */
  backend: string;
}

function gridTrial(r: AlmResult, trial: PreparedTrial, settings: GridTrialSettings, line: string): GridTrialResult {
  if (r.loopState.failure) {
    const res = toResult({ ...r, weights: r.loopState.failure.weights }, trial, line);
    return { ...res, ...settings, stopReason: 'failed', failure: r.loopState.failure.message };
  }
  return { ...toResult(r, trial, line), ...settings };
}

const GRID_KEYS = [...ALM_KEYS.filter((k) => k !== 'init' && k !== 'seed'), 'inits', 'taus', 'seeds', 'select', 'validationSteps'] as const;

/** Options of trainBaseline(). */
export interface BaselineTrainOptions extends Omit<CommonOptions, 'backend' | 'workers' | 'log'> {
  /** The gradient method: `gd`, `gdc` (clipped), `gdnm` (Nesterov momentum), `sgd` (mini-batches), `adam`. */
  method: Method;
  /** Learning rate η. */
  learningRate: number;
  /** Epochs (default 1000). */
  epochs?: number;
  /** Initial weights: an initialiser (default `normal-1e-1`) or a Model. */
  init?: InitOption;
  /** Seed of the initial weights and the mini-batch order: an integer from 0 to 2³¹−2 (default 1). */
  seed?: number;
  /** Regularisation scale τ of λ1…λ5 as in the ALM (default 0: none). */
  tau?: number;
  /** Gradient-norm threshold of gdc (default 1). */
  clip?: number;
  /** Momentum of gdnm (default 0.9). */
  momentum?: number;
  /** Mini-batch window length in steps (sgd, adam). */
  batch?: number;
  /** The data term: `sum` over the outputs (default, the ALM's TrainErr) or `keras-mse` (divided by m). */
  loss?: BaselineLoss;
  /** Evaluate TrainErr and TestErr every this many epochs (default 1). */
  evaluateEvery?: number;
  /** Called after every evaluated epoch. */
  onEpoch?: (report: EpochReport) => void;
  /**
   * Early stopping on the validation split (docs/method.md §5.5), over epochs: train on the
   * training part minus its last `validationSteps`, score the validation error every `every`
   * epochs, stop by the rule, then retrain on the whole training part for exactly k* epochs (or
   * keep the best weights: `restore: 'best'`). The test part is never looked at. onEpoch
   * reports come first from the run on the fit part (their TestErr is the validation error),
   * then from the retraining. Absent: no early stopping.
   */
  earlyStop?: BaselineEarlyStopOptions;
}

/** The outcome of trainBaseline(). */
export interface BaselineTrainResult {
  /** The trained model (its weights after the last epoch run). */
  model: Model;
  /** TrainErr of the final weights, in the standardised units trained in. */
  trainErr: number;
  /** TestErr of the final weights (null when there is no test part). */
  testErr: number | null;
  /** Epochs run. */
  epochs: number;
  /** `epochs` (ran them all), `aborted` (stop() or the signal) or `diverged`. */
  stopReason: BaselineStop;
  /** One entry per evaluated epoch. */
  history: EpochReport[];
  /** Wall-clock seconds of the training. */
  seconds: number;
  /** Steps trained on (T1). */
  trainSteps: number;
  /** Steps tested on (0 without a test part). */
  testSteps: number;
  /** With the earlyStop option: k* (the epoch with the lowest validation error), that error, the epoch where the run on the fit part stopped, and which model was kept. */
  earlyStop?: EarlyStopOutcome;
}

const BASELINE_KEYS = [...COMMON_KEYS.filter((k) => k !== 'backend' && k !== 'workers' && k !== 'log'), 'method', 'learningRate', 'epochs', 'init', 'seed', 'tau', 'clip', 'momentum', 'batch', 'loss', 'evaluateEvery', 'onEpoch', 'earlyStop'] as const;

export type { AlmIteration, StopReason, EpochReport, BaselineStop, Method, BaselineLoss, Initializer, TestHidden, Activation, AlmParams, EarlyStopOutcome, EarlyStopRestore, EarlyStopStage };
export { DataError, UserInputError };
