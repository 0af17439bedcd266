// Runs described as the command line describes them: a RunConfig names its data set (a
// registered name or a CSV file), its model, initialisation, seed and parameters; it is what a
// checkpoint file stores and what `alm-rnn train --resume` reads. A front end that keeps its
// runs in this form (the demo page) trains, races and selects through the functions here and
// gets exactly what the CLI computes: each trial prepared by prepareRun, as `alm-rnn train`
// prepares it, then the same engine calls. train() and trainGrid() are the level above, for data
// in memory; these are for front ends that take the CLI's settings and write its files.
import { runAlmBatch, summarizeResult, type AlmRunOptions, type AlmTrial } from '../alm/alm.ts';
import type { AlmSummary } from '../alm/loop-state.ts';
import { checkValidationSteps, lowestScore as lowestOf, selectOnValidation } from '../alm/selection.ts';
import { prepareRun, type RunConfig } from '../alm/setup.ts';
import type { BcdBackend } from '../backends/backend.ts';
import { trainBaseline as trainBaselineOnProblem, trainBaselineEarlyStopped } from '../baselines/train.ts';
import { earlyStopOutcome, finishEarlyStopped, fitEarlyStopped } from '../alm/early-stop.ts';
import { defaultEvaluationInterval, initialEarlyStop, type EarlyStopOutcome, type EarlyStopStage } from '../problem/early-stop.ts';
import { METHODS, type Method } from '../baselines/optimizers.ts';
import type { BaselineStop, EpochReport } from '../baselines/report.ts';
import { ParameterError } from '../errors.ts';
import { parseActivation } from '../problem/activations.ts';
import type { LoadedDataset } from '../problem/datasets.ts';
import { evaluate } from '../problem/model.ts';
import type { Activation, Problem, RnnWeights, Standardization } from '../problem/types.ts';
import { validationProblem } from '../problem/validation.ts';
import type { AlmIteration } from '../alm/iteration.ts';
import { checkObject, OptionError } from './errors.ts';
import { readEarlyStop, type BaselineEarlyStopOptions, type EarlyStopOptions } from './train.ts';
import { Model } from './model.ts';
import type { AbortSignalLike } from './run.ts';

export type { RunConfig, TrialLists } from '../alm/setup.ts';
export { trialGrid, trialFileName, checkTrialCount, isSeed, MAX_SEED, MAX_TRIALS } from '../alm/setup.ts';
export { CHECKPOINT_FORMAT, checkpointFromJson, checkpointToJson } from '../alm/checkpoint.ts';
export type { Checkpoint } from '../alm/checkpoint.ts';
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
  /** What the run is: data set, model, initialisation, seed, parameters. */
  config: RunConfig;
  /** The data `config` names, split and standardised as `alm-rnn train` prepares it. */
  data: LoadedDataset;
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
  /**
   * Called after every outer iteration of every trial (by its index in `runs`); with earlyStop,
   * `stage` says which run it comes from (`fit`: its testErr is the validation error).
   */
  onIteration?: (iteration: AlmIteration, trial: number, stage?: EarlyStopStage) => void;
  /**
   * Early stopping on the validation split, as train()'s earlyStop (docs/method.md §5.5): each
   * trial trains on its training part minus the last `validationSteps`, scored after every outer
   * iteration, and stops by the rule on its own; then it is retrained on the whole training part
   * for its k* (or keeps its best iterate, `restore: 'best'`). With `validationSteps` as well
   * (the same V; the first stage of a selection), only the fit runs are made: each trial's valErr
   * is its best validation error, its weights its best iterate with `restore: 'best'` (its final
   * model) or else its last iterate, and the caller retrains the one it chooses for its
   * `earlyStop.k` (a plain run with `params.outer = k`, which gives the same weights).
   */
  earlyStop?: EarlyStopOptions;
}

/** One trial's outcome of trainRuns. */
export interface RunOutcome extends AlmSummary {
  /** The weights at its last completed outer iteration (with a failure: the last one before it). */
  weights: RnnWeights;
  /** With validationSteps: the mean squared error on the validation steps (Infinity: diverged or failed). */
  valErr?: number;
  /** When its linear algebra broke down: why, and what to change (the other trials went on). */
  failure?: string;
  /** With earlyStop: k*, its validation error, where the fit run stopped, and which model was kept. */
  earlyStop?: EarlyStopOutcome;
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
 * validation steps, as `--select validation` does before it retrains the chosen one; with
 * `earlyStop`, stops each trial early on the validation split (see the option). The trials
 * share the caps (outer, inner, checkEvery, innerStop), the shape and how TestErr starts.
 */
export async function trainRuns(runs: readonly PreparedRun[], options: TrainRunsOptions): Promise<RunOutcome[]> {
  if (!Array.isArray(runs) || runs.length === 0) throw new OptionError('runs', runs, 'must be a non-empty array of { config, data }');
  runs.forEach((r, i) => checkRun(r, `runs[${i}]`));
  checkObject(options, 'trainRuns() options');
  if (typeof options.backend !== 'object' || options.backend === null || !('info' in options.backend)) throw new OptionError('backend', options.backend, 'must be a backend from createBackend()');
  checkControl(options);
  const testHidden = runs[0].config.testHidden;
  runs.forEach((r, i) => {
    if (r.config.testHidden !== testHidden) throw new OptionError(`runs[${i}].config.testHidden`, r.config.testHidden, `must be the batch's (${testHidden}, as runs[0])`);
  });
  const prepared = runs.map((r) => prepareRun(r.config, r.data));
  const trials: AlmTrial[] = prepared.map((p, i) => ({ problem: p.problem, params: runs[i].config.params, initial: p.initial }));
  let V = options.validationSteps;
  for (const t of trials) checkValidation(V, t.problem.T1);
  const T1 = Math.min(...trials.map((t) => t.problem.T1));
  const earlyStop = readEarlyStop(options.earlyStop, T1, { validationSteps: V, every: 1 }, () => trials[0].params.outer, false);
  if (earlyStop && V !== undefined && earlyStop.validationSteps !== V) {
    throw new OptionError('earlyStop.validationSteps', earlyStop.validationSteps, `differs from validationSteps (${V}): selection and early stopping share one validation split; give one of them`);
  }
  const fitOnly = V !== undefined;
  // (readEarlyStop checked V against the shortest training part.)
  if (earlyStop) V = earlyStop.validationSteps;
  // TrainErr of the initial weights on what each trial trains on (the fit part when selecting), as its iterations report it.
  const trained = trials.map((t) => (V !== undefined ? validationProblem(t.problem, V) : t.problem));
  options.onStart?.(trials.map((t, i) => evaluate(t.initial, trained[i], testHidden).trainErr));
  const onIteration = options.onIteration;
  const almOptions = (stage?: EarlyStopStage): AlmRunOptions => ({
    signal: options.signal as AbortSignal | undefined,
    pauseGate: options.pauseGate,
    testHidden,
    onLoaded: options.onLoaded,
    onSweeps: options.onSweeps,
    onIteration: onIteration ? (it, i) => (stage ? onIteration(it, i, stage) : onIteration(it, i)) : undefined,
  });
  let scores: number[] | undefined;
  let results;
  let outcomes: EarlyStopOutcome[] | undefined;
  if (earlyStop) {
    const selection = await fitEarlyStopped(options.backend, trials, earlyStop, almOptions('fit'));
    scores = selection.scores;
    if (fitOnly && earlyStop.restore === 'retrain') {
      outcomes = selection.fits.map((fit) => earlyStopOutcome(fit, 'retrain'));
      results = selection.fits;
    } else {
      // Each trial retrained for its k*, or (restore best) its best iterate: the final models.
      ({ outcomes, finals: results } = await finishEarlyStopped(options.backend, trials, selection, earlyStop, almOptions('retrain')));
    }
  } else if (V !== undefined) {
    const selection = await selectOnValidation(options.backend, trials, V, almOptions());
    results = selection.fits;
    scores = selection.scores;
  } else {
    results = await runAlmBatch(options.backend, trials, almOptions());
  }
  return results.map((r, i) => ({
    ...summarizeResult(r),
    weights: r.weights,
    ...(scores ? { valErr: scores[i] } : {}),
    ...(r.loopState.failure ? { failure: r.loopState.failure.message } : {}),
    ...(outcomes ? { earlyStop: outcomes[i] } : {}),
  }));
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
