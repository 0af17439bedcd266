// Runs described as the command line describes them: a RunConfig names its data set (a
// registered name or a CSV file), its model, initialisation, seed and parameters; it is what a
// checkpoint file stores and what `alm-rnn train --resume` reads. A front end that keeps its
// runs in this form (the demo page, the CLI itself) trains, races and selects through the
// functions here and gets exactly what the CLI computes: each trial prepared by prepareRun, as
// `alm-rnn train` prepares it, then the same engine calls. train() and trainGrid() are the level
// above, for data in memory; these are for front ends that take the CLI's settings and write its files.
import { runAlmBatch, summarizeResult, type AlmResult, type AlmRunOptions, type AlmTrial } from '../alm/alm.ts';
import type { AlmSummary } from '../alm/loop-state.ts';
import { batchCheckpointToJson, type Checkpoint } from '../alm/checkpoint.ts';
import { earlyStopFromConfig, earlyStopOutcome, finishEarlyStopped, fitEarlyStopped } from '../alm/early-stop.ts';
import { checkValidationSteps, lowestScore as lowestOf, selectOnValidation, type ValidationSelection } from '../alm/selection.ts';
import { describeProblem, prepareRun, type RunConfig } from '../alm/setup.ts';
import type { BcdBackend } from '../backends/backend.ts';
import { trainBaseline as trainBaselineOnProblem, trainBaselineEarlyStopped } from '../baselines/train.ts';
import { METHODS, type Method } from '../baselines/optimizers.ts';
import type { BaselineStop, EpochReport } from '../baselines/report.ts';
import { ParameterError } from '../errors.ts';
import { formatActivation, parseActivation } from '../problem/activations.ts';
import type { LoadedDataset } from '../problem/datasets.ts';
import { defaultEvaluationInterval, initialEarlyStop, type EarlyStopOutcome, type EarlyStopStage } from '../problem/early-stop.ts';
import { evaluate } from '../problem/model.ts';
import type { Activation, Problem, RnnWeights, Standardization } from '../problem/types.ts';
import { validationProblem } from '../problem/validation.ts';
import type { AlmIteration } from '../alm/iteration.ts';
import { checkObject, OptionError } from './errors.ts';
import { Model } from './model.ts';
import type { AbortSignalLike } from './run.ts';
import { readEarlyStop, type BaselineEarlyStopOptions, type EarlyStopOptions } from './train.ts';

export type { RunConfig, TrialLists } from '../alm/setup.ts';
export { trialGrid, trialFileName, checkTrialCount, isSeed, MAX_SEED, MAX_TRIALS } from '../alm/setup.ts';
export { CHECKPOINT_FORMAT, BATCH_CHECKPOINT_FORMAT, checkpointFromJson, checkpointToJson, batchCheckpointFromJson, batchCheckpointToJson } from '../alm/checkpoint.ts';
export type { Checkpoint, BatchCheckpoint } from '../alm/checkpoint.ts';
export type { AlmLoopState, AlmSummary } from '../alm/loop-state.ts';
export type { BcdState } from '../backends/backend.ts';
export type { StandardizeChoice } from '../problem/datasets.ts';
export type { Series } from '../problem/types.ts';
export { defaultValidationSteps } from '../problem/validation.ts';
export { presetSettings, baselineGrid } from '../experiments/settings.ts';
export type { BaselineCandidate, ExperimentSettings, PresetName } from '../experiments/settings.ts';
export type { CsvOptions } from '../problem/csv.ts';

/**
 * The index of the lowest score, the earlier one on a tie (all non-finite: 0): how a selection on
 * validation chooses among trials, and a baseline among learning rates.
 */
export function lowestScore(scores: readonly number[]): number {
  if (!Array.isArray(scores)) throw new OptionError('scores', scores, 'must be an array of numbers');
  return lowestOf(scores);
}

/** A run: its description, and its data as prepared for it (`prepareDataset` of `alm-rnn/datasets`). */
export interface PreparedRun {
  /** What the run is: data set, model, initialisation, seed, parameters (and early stopping's settings: earlyStopSettings). */
  config: RunConfig;
  /** The data `config` names, split and standardised as `alm-rnn train` prepares it. */
  data: LoadedDataset;
  /**
   * Initial weights in place of those `config.init` and `config.seed` draw: a model to continue
   * from (`alm-rnn train --init-from`), a checkpoint's s^0, or inspectRun's `initial` (drawn once).
   */
  initial?: RnnWeights;
  /**
   * Where a checkpoint left this run (its entry of batchCheckpointFromJson; `initial` must then
   * be that entry's `initial`): trainRuns goes on from there and ends bit-identical to a run that
   * was never stopped. With early stopping it continues the run on the fit part.
   */
  resume?: RunResumePoint;
}

/** A run's state in a checkpoint: its outer loop and its iterate. */
export type RunResumePoint = Pick<Checkpoint, 'loop' | 'state'>;

/** What a run trains, as trainRuns prepares it (inspectRun). */
export interface RunInfo {
  /** Steps of the series. */
  T: number;
  /** Steps trained on (the rest are tested on). */
  T1: number;
  /** Inputs per step. */
  n: number;
  /** Targets per step. */
  m: number;
  /** Hidden size (the config's, else the data set's). */
  r: number;
  /** The activation, spelt as a RunConfig spells it (`relu`, `leaky:0.1`, `elu`). */
  activation: string;
  /** The initial weights: the run's `initial`, or those its init and seed draw. */
  initial: RnnWeights;
  /** One line about the data and the model, as `alm-rnn train` prints it: "sp500: T=… (train …, test …), n=…, m=…, r=…, relu". */
  description: string;
}

/**
 * Prepares a run as trainRuns will (the hidden size, the memory the weights need, the shape of
 * given initial weights are checked: a bad run is refused before any backend exists) and says
 * what it trains. Pass `initial` back in the run so that trainRuns does not draw the weights again.
 */
export function inspectRun(run: PreparedRun): RunInfo {
  checkRun(run, 'run');
  const { problem, initial } = prepareRun(run.config, run.data, run.initial);
  const { series } = problem;
  return {
    T: series.T, T1: problem.T1, n: series.n, m: series.m, r: problem.r,
    activation: formatActivation(problem.activation), initial, description: describeProblem(problem),
  };
}

/**
 * The Model of a run's weights (its outcome's, or any iterate's): the run's activation, its
 * data's standardisation and column names. Its `toJSON()` is the file `alm-rnn train --out` writes.
 */
export function runModel(run: PreparedRun, weights: RnnWeights): Model {
  checkRun(run, 'run');
  const { series, standardization } = run.data;
  return modelFromWeights(weights, run.config.activation, { standardization, inputNames: series.inputNames, targetNames: series.targetNames });
}

/**
 * Early stopping's settings as a RunConfig records them (its `earlyStop` field), resolved for a
 * run with `trainSteps` training steps and a cap of `outer` outer iterations: V defaults to a
 * tenth of the training part, patience and the warm-up to a tenth of the cap, minDelta to 1e-6
 * (docs/method.md §5.5). Put the result in every run's config: trainRuns then stops each run
 * early, and its checkpoints record the settings. A bad value is an OptionError naming
 * `earlyStop.<field>`.
 */
export function earlyStopSettings(options: EarlyStopOptions, trainSteps: number, outer: number): NonNullable<RunConfig['earlyStop']> {
  if (!(Number.isInteger(trainSteps) && trainSteps >= 1)) throw new OptionError('trainSteps', trainSteps, 'must be an integer ≥ 1');
  if (!(Number.isInteger(outer) && outer >= 1)) throw new OptionError('outer', outer, 'must be an integer ≥ 1');
  const es = readEarlyStop(options ?? {}, trainSteps, { every: 1 }, () => outer, false)!;
  return { validationSteps: es.validationSteps, ...es.rule, restore: es.restore };
}

/** What trainRuns and trainBaselineRun take besides the runs: stopping, pausing, progress. */
export interface RunControlOptions {
  /** Stops the training after its current batch of sweeps (epoch); the results so far still arrive. */
  signal?: AbortSignalLike;
  /** Awaited between batches of sweeps (about every 50 ms in a baseline): resolve it to go on, so a page can hold a run. */
  pauseGate?: () => Promise<void>;
}

/** Options of trainRuns. */
export interface TrainRunsOptions extends RunControlOptions {
  /** Where the sweeps run: a backend from createBackend (the caller disposes of it). */
  backend: BcdBackend;
  /**
   * Select on a validation split, as `alm-rnn train --select validation`: every trial trains
   * on its training part minus these last steps and is scored on them (TrainErr then covers the fit part).
   */
  validationSteps?: number;
  /** Called before training with each trial's TrainErr at its initial weights (where every curve starts). */
  onStart?: (initialTrainErr: number[]) => void;
  /** Called once the backend has loaded the batch (on WebGPU: kernels compiled), with the seconds it took. */
  onLoaded?: (seconds: number) => void;
  /** Called after each batch of sweeps inside outer iteration k, with the sweeps done in it. */
  onSweeps?: (k: number, sweeps: number) => void;
  /** Called after every outer iteration of every trial (by its index in `runs`). */
  /**
   * Called after every outer iteration of every trial (by its index in `runs`); under early
   * stopping `stage` says which run it comes from (`fit`: on the fit part, its testErr the
   * validation error; `retrain`: the retraining for k*).
   */
  onIteration?: (iteration: AlmIteration, trial: number, stage?: EarlyStopStage) => void;
  /**
   * Called after every outer iteration k of the batch with each run's iteration (undefined where
   * that run had ended) and each run's weights s^k: what a stop at this point keeps.
   */
  onOuterIteration?: (k: number, iterations: ReadonlyArray<AlmIteration | undefined>, weights: RnnWeights[]) => void;
  /**
   * Stop a run when neither its FeasVio nor its TrainErr improved (by 1e-6, relative) over this
   * many outer iterations (`alm-rnn train --patience`); absent or 0: off. Not with early
   * stopping, whose rule has a patience of its own.
   */
  patience?: number;
  /**
   * Receives the batch's checkpoint after every outer iteration, as JSON text (format
   * `alm-rnn/checkpoint@2`: each run's config, s^0, outer loop and iterate; what
   * batchCheckpointFromJson reads back); awaited before the runs go on. With early stopping it
   * covers the runs on the fit part. Not with validationSteps (a selection is not continued).
   */
  onCheckpoint?: (json: string) => void | Promise<void>;
  /**
   * With early stopping (the runs' `config.earlyStop`): called once every run on its fit part
   * has ended, with each one's outcome (`valErr` its best validation error, `earlyStop` its k*);
   * returns the indices of the runs to finish (default all): how a selection on validation
   * retrains only the one it chose. It may throw to end the call (nothing is finished then).
   */
  onFitted?: (fits: RunOutcome[]) => readonly number[] | void;
}

/** One trial's outcome of trainRuns. */
export interface RunOutcome extends AlmSummary {
  /** The weights at its last completed outer iteration (with a failure: the last one before it). */
  weights: RnnWeights;
  /** One entry per completed outer iteration. */
  history: AlmIteration[];
  /** With validationSteps or early stopping: the mean squared error on the validation steps (with early stopping its best one, at k*; Infinity: diverged or failed). */
  valErr?: number;
  /** When its linear algebra broke down: why, and what to change (the other trials went on). */
  failure?: string;
  /** With early stopping: k*, its validation error, where the run on the fit part stopped, and which model was kept. */
  earlyStop?: EarlyStopOutcome;
  /** With early stopping, on a finished run: the run on the fit part it was finished from (its history's TestErr is the validation error). */
  fit?: RunOutcome;
}

function checkControl(options: RunControlOptions): void {
  const { signal, pauseGate } = options;
  if (signal !== undefined && !(typeof signal === 'object' && signal !== null && 'aborted' in signal)) throw new OptionError('signal', signal, 'must be an AbortSignal');
  if (pauseGate !== undefined && typeof pauseGate !== 'function') throw new OptionError('pauseGate', pauseGate, 'must be a function returning a promise');
}

function checkRun(run: unknown, option: string): PreparedRun {
  checkObject(run, option);
  const r = run as Partial<PreparedRun>;
  if (typeof r.config !== 'object' || r.config === null) throw new OptionError(`${option}.config`, r.config, 'must be a RunConfig');
  if (typeof r.data !== 'object' || r.data === null || typeof r.data.T1 !== 'number') throw new OptionError(`${option}.data`, r.data, 'must be the data set from prepareDataset');
  return r as PreparedRun;
}

function checkValidation(V: number | undefined, T1: number, option = 'validationSteps'): void {
  if (V === undefined) return;
  try {
    checkValidationSteps(V, T1);
  } catch (err) {
    if (err instanceof ParameterError) throw new OptionError(option, V, `must be ${err.allowed}`);
    throw err;
  }
}

/**
 * Trains ALM trials, each a run described as the CLI describes one (each on its own data: a
 * seed draws its own synthetic series, as in `alm-rnn train --seed 1-4`), as one batch on
 * `options.backend`; with `validationSteps`, trains them on the fit part and scores each on the
 * validation steps, as `--select validation` does before it retrains the chosen one. Runs whose
 * config has `earlyStop` (all of them, with the same settings) stop early on their validation
 * split and are then retrained for their k* (or keep their best iterate), as
 * `alm-rnn train --early-stop validation` does. A run with `resume` continues its checkpoint.
 * The trials share the caps (outer, inner, checkEvery, innerStop), the shape and how TestErr starts.
 */
export async function trainRuns(runs: readonly PreparedRun[], options: TrainRunsOptions): Promise<RunOutcome[]> {
  if (!Array.isArray(runs) || runs.length === 0) throw new OptionError('runs', runs, 'must be a non-empty array of { config, data }');
  runs.forEach((r, i) => checkRun(r, `runs[${i}]`));
  checkObject(options, 'trainRuns() options');
  if (typeof options.backend !== 'object' || options.backend === null || !('info' in options.backend)) throw new OptionError('backend', options.backend, 'must be a backend from createBackend()');
  checkControl(options);
  for (const key of ['onStart', 'onLoaded', 'onSweeps', 'onIteration', 'onOuterIteration', 'onCheckpoint', 'onFitted'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') throw new OptionError(key, options[key], 'must be a function');
  }
  if (options.patience !== undefined && !(Number.isInteger(options.patience) && options.patience >= 0)) throw new OptionError('patience', options.patience, 'must be an integer ≥ 0');
  const testHidden = runs[0].config.testHidden;
  const recorded = runs[0].config.earlyStop;
  runs.forEach((r, i) => {
    if (r.config.testHidden !== testHidden) throw new OptionError(`runs[${i}].config.testHidden`, r.config.testHidden, `must be the batch's (${testHidden}, as runs[0])`);
    if (JSON.stringify(r.config.earlyStop) !== JSON.stringify(recorded)) throw new OptionError(`runs[${i}].config.earlyStop`, r.config.earlyStop, "must be the batch's (as runs[0]'s)");
  });
  const V = options.validationSteps;
  if (V !== undefined) {
    if (recorded) throw new OptionError('validationSteps', V, "cannot be given with early stopping: its split is the runs' config.earlyStop.validationSteps");
    if (options.onCheckpoint) throw new OptionError('onCheckpoint', options.onCheckpoint, 'cannot be given with validationSteps: a selection is not continued from a checkpoint');
    runs.forEach((r, i) => {
      if (r.resume) throw new OptionError(`runs[${i}].resume`, 'a checkpoint', 'cannot be given with validationSteps: a selection is not continued from a checkpoint');
    });
  }
  if (recorded && options.patience) throw new OptionError('patience', options.patience, "cannot be given with early stopping: its rule's patience is config.earlyStop.patience");
  const prepared = runs.map((r) => prepareRun(r.config, r.data, r.initial));
  const trials: AlmTrial[] = prepared.map((p, i) => ({ problem: p.problem, params: runs[i].config.params, initial: p.initial, resume: runs[i].resume }));
  for (const t of trials) checkValidation(V, t.problem.T1);
  if (recorded) for (const t of trials) checkValidation(recorded.validationSteps, t.problem.T1, 'config.earlyStop.validationSteps');
  // TrainErr of the initial weights on what each trial trains on (the fit part when selecting), as its iterations report it.
  const fitSteps = V ?? recorded?.validationSteps;
  const trained = trials.map((t) => (fitSteps !== undefined ? validationProblem(t.problem, fitSteps) : t.problem));
  options.onStart?.(trials.map((t, i) => evaluate(t.initial, trained[i], testHidden).trainErr));
  const onCheckpoint = options.onCheckpoint;
  const almOptions: AlmRunOptions = {
    signal: options.signal as AbortSignal | undefined,
    pauseGate: options.pauseGate,
    testHidden,
    patience: options.patience,
    onLoaded: options.onLoaded,
    onSweeps: options.onSweeps,
    onIteration: options.onIteration ? (it, i) => options.onIteration!(it, i, recorded ? 'fit' : undefined) : undefined,
    onOuterIteration: options.onOuterIteration,
    onCheckpoint: onCheckpoint
      ? (loops, states) => onCheckpoint(batchCheckpointToJson({
          trials: runs.map((r, i) => ({ config: r.config, initial: prepared[i].initial, loop: loops[i], state: states[i] })),
        }))
      : undefined,
  };
  if (recorded) {
    const es = earlyStopFromConfig(recorded);
    const selection = await fitEarlyStopped(options.backend, trials, es, almOptions);
    const fits = selection.fits.map((r, i) => ({ ...outcomeOf(r, selection.scores[i]), earlyStop: earlyStopOutcome(r, es.restore) }));
    const indices = options.onFitted?.(fits) ?? trials.map((_, i) => i);
    if (!Array.isArray(indices) || indices.some((i) => !Number.isInteger(i) || i < 0 || i >= trials.length)) {
      throw new OptionError('onFitted', indices, `must return indices of runs (integers from 0 to ${trials.length - 1})`);
    }
    const { onCheckpoint: _saved, ...plain } = almOptions;
    const retrain: AlmRunOptions = { ...plain, onIteration: options.onIteration ? (it, i) => options.onIteration!(it, indices[i], 'retrain') : undefined };
    const { outcomes, finals } = await finishEarlyStopped(options.backend, trials, selection, es, retrain, indices);
    return finals.map((r, j) => ({ ...outcomeOf(r, selection.scores[indices[j]]), earlyStop: outcomes[j], fit: fits[indices[j]] }));
  }
  let selection: ValidationSelection | undefined;
  let results: AlmResult[];
  if (V !== undefined) {
    selection = await selectOnValidation(options.backend, trials, V, almOptions);
    results = selection.fits;
  } else {
    results = await runAlmBatch(options.backend, trials, almOptions);
  }
  return results.map((r, i) => outcomeOf(r, selection?.scores[i]));
}

/** A run's result as trainRuns reports it. */
function outcomeOf(r: AlmResult, valErr: number | undefined): RunOutcome {
  return {
    ...summarizeResult(r),
    weights: r.weights,
    history: r.history,
    ...(valErr !== undefined ? { valErr } : {}),
    ...(r.loopState.failure ? { failure: r.loopState.failure.message } : {}),
  };
}

/** Options of trainBaselineRun. */
export interface BaselineRunOptions extends RunControlOptions {
  /** The gradient method: `gd`, `gdc`, `gdnm`, `sgd`, `adam`. */
  method: Method;
  /** Learning rate η. */
  learningRate: number;
  /** Epochs to run. */
  epochs: number;
  /** Gradient-norm threshold of gdc (default 1). */
  clip?: number;
  /** Mini-batch window length in steps (sgd, adam; default: sgd min(32, T1), adam the full batch). */
  batch?: number;
  /**
   * Score a learning rate as the experiments' selection does: train on the training part minus
   * these last steps; valErr is the error on them (the test part is never seen).
   */
  validationSteps?: number;
  /** Called after every epoch, and once with epoch 0 for the initial weights (with earlyStop: tagged with its `stage`). */
  onEpoch?: (report: EpochReport) => void;
  /**
   * Early stopping on the validation split over epochs, as trainBaseline()'s earlyStop: train on
   * the training part minus the last `validationSteps`, score every `every` epochs, stop by the
   * rule, then retrain on the whole training part for k* epochs (or keep the best weights,
   * `restore: 'best'`). With `validationSteps` as well (the same V; scoring a learning rate),
   * only the fit run is made: valErr is its best validation error, the weights its best ones
   * with `restore: 'best'`, else its last ones (retrain for `earlyStop.k` epochs: a plain run).
   */
  earlyStop?: BaselineEarlyStopOptions;
}

/** The outcome of trainBaselineRun. */
export interface BaselineRunOutcome {
  /** The weights after the last epoch run. */
  weights: RnnWeights;
  /** One report per epoch, epoch 0 first. */
  history: EpochReport[];
  /** `epochs` (ran them all), `aborted` (the signal) or `diverged`. */
  stopReason: BaselineStop;
  /** With validationSteps: the error on the validation steps (Infinity: diverged or not finite); with earlyStop, the best one (k*'s). */
  valErr?: number;
  /** With earlyStop: k* (an epoch), its validation error, the epoch where the fit run stopped, and which model was kept. */
  earlyStop?: EarlyStopOutcome;
}

/**
 * Trains a run's model by backpropagation through time with a gradient method, from the initial
 * weights the ALM trial of the same RunConfig starts from (its init and seed), on its data: the
 * baselines a race or the experiments compare the method with.
 */
export async function trainBaselineRun(run: PreparedRun, options: BaselineRunOptions): Promise<BaselineRunOutcome> {
  checkRun(run, 'run');
  checkObject(options, 'trainBaselineRun() options');
  checkControl(options);
  if (!(METHODS as readonly string[]).includes(options.method)) throw new OptionError('method', options.method, `must be one of ${METHODS.join(', ')}`);
  if (!(typeof options.learningRate === 'number' && options.learningRate > 0 && Number.isFinite(options.learningRate))) throw new OptionError('learningRate', options.learningRate, 'must be a finite number > 0');
  if (!(Number.isInteger(options.epochs) && options.epochs >= 1)) throw new OptionError('epochs', options.epochs, 'must be an integer ≥ 1');
  const { problem, initial } = prepareRun(run.config, run.data);
  const V = options.validationSteps;
  checkValidation(V, problem.T1);
  const every = defaultEvaluationInterval(options.epochs);
  const earlyStop = readEarlyStop(options.earlyStop, problem.T1, { validationSteps: V, every }, (e) => Math.floor(options.epochs / e), true);
  if (earlyStop && V !== undefined && earlyStop.validationSteps !== V) {
    throw new OptionError('earlyStop.validationSteps', earlyStop.validationSteps, `differs from validationSteps (${V}): the learning rate's score and early stopping share one validation split; give one of them`);
  }
  const settings = {
    method: options.method,
    lr: options.learningRate,
    epochs: options.epochs,
    ...(options.method === 'gdc' ? { clip: options.clip ?? 1 } : {}),
    ...(options.batch !== undefined ? { batch: options.batch } : {}),
    initialWeights: initial,
    seed: run.config.seed,
    testHidden: run.config.testHidden,
    signal: options.signal as AbortSignal | undefined,
    pauseGate: options.pauseGate,
  };
  if (earlyStop && V === undefined) {
    const es = { validationSteps: earlyStop.validationSteps, every: earlyStop.every, rule: earlyStop.rule, restore: earlyStop.restore };
    const out = await trainBaselineEarlyStopped({ ...settings, problem, onEpoch: options.onEpoch }, es);
    return { weights: out.weights, history: out.history, stopReason: out.stopped, valErr: out.outcome.valErr, earlyStop: out.outcome };
  }
  const trainedOn: Problem = V !== undefined ? validationProblem(problem, V) : problem;
  const staged = earlyStop && options.onEpoch ? (e: EpochReport) => options.onEpoch!({ ...e, stage: 'fit' }) : options.onEpoch;
  const out = await trainBaselineOnProblem({
    ...settings,
    problem: trainedOn,
    onEpoch: staged,
    ...(earlyStop ? { earlyStop: earlyStop.rule, evaluateEvery: earlyStop.every } : {}),
  });
  const result: BaselineRunOutcome = { weights: out.weights, history: out.history, stopReason: out.stopped };
  if (earlyStop) {
    const state = out.earlyStop ?? initialEarlyStop();
    result.valErr = state.bestErr;
    result.earlyStop = { k: state.bestK, valErr: state.bestErr, stoppedAt: state.stoppedAt ?? out.history[out.history.length - 1].epoch, restore: earlyStop.restore };
    if (earlyStop.restore === 'best') result.weights = state.bestWeights ?? out.weights;
  } else if (V !== undefined) {
    // The fit problem's "test part" is the validation part: its TestErr is the score.
    const score = out.history[out.history.length - 1].testErr;
    result.valErr = out.stopped === 'diverged' || !Number.isFinite(score) ? Infinity : score;
  }
  return result;
}

/** Where a model from bare weights came from: the data's standardisation and column names. */
export interface ModelOrigin {
  /** How the data were standardised (predict undoes it); absent: the weights work in raw units. */
  standardization?: Standardization;
  /** Names of the n input columns (default x1…xn). */
  inputNames?: readonly string[];
  /** Names of the m target columns (default y1…ym). */
  targetNames?: readonly string[];
}

/**
 * A Model from bare weights (a checkpoint's, a race trial's): `predict` runs it, `toJSON` gives
 * the model file `alm-rnn train --out` writes.
 */
export function modelFromWeights(weights: RnnWeights, activation: string | Activation, origin: ModelOrigin = {}): Model {
  checkObject(weights, 'weights');
  const { r, n, m } = weights;
  const sizes: [keyof RnnWeights, number][] = [['W', r * r], ['V', r * n], ['b', r], ['A', m * r], ['c', m]];
  for (const [key, length] of sizes) {
    const v = weights[key] as unknown;
    if (!(v instanceof Float64Array) || v.length !== length) throw new OptionError(`weights.${key}`, v, `must be a Float64Array of ${length} values (r=${r}, n=${n}, m=${m})`);
  }
  let act: Activation;
  try {
    act = typeof activation === 'string' ? parseActivation(activation) : parseActivation(activation.kind === 'leaky' ? `leaky:${activation.omega}` : activation.kind);
  } catch {
    throw new OptionError('activation', activation, 'must be "relu", "elu" or "leaky:ω" with ω in (0, 1)');
  }
  const columns = origin.inputNames || origin.targetNames
    ? {
        inputs: [...(origin.inputNames ?? Array.from({ length: n }, (_, j) => `x${j + 1}`))],
        targets: [...(origin.targetNames ?? Array.from({ length: m }, (_, k) => `y${k + 1}`))],
      }
    : undefined;
  return new Model({ weights, activation: act, standardization: origin.standardization, columns });
}
