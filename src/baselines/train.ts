// Training loop of the gradient baselines: BPTT gradients (bptt.ts) fed to one of the
// optimisers (optimizers.ts), with per-epoch TrainErr / TestErr from the shared forward pass.
//
// An epoch is one pass over the training steps: one full-batch step for gd, gdc, gdnm (and
// adam without `batch`), or ⌈T1/batch⌉ mini-batch steps for sgd (and adam with `batch`),
// the windows visited in a seeded random order. Mini-batch construction: see bptt.ts.
import type { CpuKernelsChoice } from '../backends/cpu/kernels-choice.ts';
import { ParameterError } from '../errors.ts';
import { evaluate, type TestHidden } from '../problem/model.ts';
import { Rng } from '../problem/rng.ts';
import { cloneWeights, zeroWeights, type Problem, type RnnWeights } from '../problem/types.ts';
import {
  bpttLossAndGradient, bpttWindow, createBpttWorkspace, hiddenStateAt, NO_LAMBDAS, regularization,
  type Lambdas,
} from './bptt.ts';
import { createOptimizer, METHODS, type Method, type OptimizerSpec } from './optimizers.ts';
import {
  initialEarlyStop, recordEvaluation, type EarlyStopOutcome, type EarlyStopRestore, type EarlyStopStage, type EarlyStopRule, type EarlyStopState,
} from '../problem/early-stop.ts';
import { validationProblem } from '../problem/validation.ts';
import { BASELINE_LOSSES, type BaselineLoss, type BaselineStop, type EpochReport } from './report.ts';

export { BASELINE_LOSSES, type BaselineLoss, type BaselineStop, type EpochReport } from './report.ts';

/** What a baseline needs of a problem (a full Problem fits). */
export type BaselineProblem = Pick<Problem, 'series' | 'T1' | 'r' | 'activation'> & Partial<Pick<Problem, 'name'>>;

/** Options of trainBaseline. */
export interface BaselineOptions {
  problem: BaselineProblem;
  method: Method;
  /** Learning rate η. */
  lr: number;
  /** Gradient-norm threshold (gdc only). */
  clip?: number;
  /** Momentum μ (gdnm only; default 0.9). */
  momentum?: number;
  /** Mini-batch window length in steps (sgd: default min(32, T1); adam: default full batch; others: full batch only). */
  batch?: number;
  /** Number of epochs. */
  epochs: number;
  /**
   * TrainErr and TestErr (one forward pass over the whole series each, often dearer than the
   * epoch itself) are computed after every `evaluateEvery`-th epoch and after the last; default
   * 1, every epoch. Between them a non-finite loss or weight still ends the run as diverged.
   */
  evaluateEvery?: number;
  /** λ1..λ5 on A, W, V, b, c; missing entries are 0. */
  lambdas?: Partial<Lambdas>;
  /** The data term (default `sum`, the ALM's): see BASELINE_LOSSES. */
  loss?: BaselineLoss;
  /** Adam settings (defaults: tfjs / Keras). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Starting weights (copied, not modified). */
  initialWeights: RnnWeights;
  /** Seed of the mini-batch order. */
  seed?: number;
  /** How TestErr's hidden state starts (default: carried on from training, as in the paper). */
  testHidden?: TestHidden;
  /** Called after every evaluated epoch (evaluateEvery), and once with epoch 0 for the initial weights. */
  onEpoch?: (report: EpochReport) => void;
  /** Stops training at the next epoch (or mini-batch) boundary. */
  signal?: AbortSignal;
  /** Awaited where training yields to the event loop (about every 50 ms): a page pauses training by returning a promise it resolves on resume. */
  pauseGate?: () => Promise<void>;
  /** BPTT's kernels: 'wasm' (WebAssembly SIMD) or 'js'; default: setDefaultCpuKernels (wasm). */
  kernels?: CpuKernelsChoice;
  /**
   * Early stopping's rule (src/problem/early-stop.ts), applied at every evaluated epoch from
   * the first (evaluateEvery) with TestErr as the validation error: the caller made the test
   * part the validation part (trainBaselineEarlyStopped does). A run it stops ends `early-stop`.
   */
  earlyStop?: EarlyStopRule;
}

/** Result of trainBaseline. */
export interface BaselineResult {
  weights: RnnWeights;
  /** Reports for epoch 0 (initial weights), every evaluated epoch, and the last epoch run. */
  history: EpochReport[];
  stopped: BaselineStop;
  /** With the earlyStop option: the rule's state at the end. */
  earlyStop?: EarlyStopState;
}

/** Trains the Elman RNN of `problem` by BPTT with the chosen gradient method. */
export async function trainBaseline(opts: BaselineOptions): Promise<BaselineResult> {
  const { problem } = opts;
  const { series, T1, r, activation } = problem;
  const { n, m, x, y } = series;
  validate(opts);
  const lambdas: Lambdas = { ...NO_LAMBDAS, ...opts.lambdas };
  // keras-mse: ∇(E/m + λR) = (1/m) ∇(E + mλR), so the gradient is computed with mλ and scaled by 1/m.
  const dataScale = opts.loss === 'keras-mse' ? 1 / m : 1;
  const gradLambdas: Lambdas = dataScale === 1 ? lambdas : scaleLambdas(lambdas, m);
  const optimizer = createOptimizer(optimizerSpec(opts));
  const batch = batchLength(opts);
  const weights = cloneWeights(opts.initialWeights);
  const grad = zeroWeights(r, n, m);
  const ws = createBpttWorkspace(r, n, m, batch, opts.kernels);
  const h0 = new Float64Array(r);
  const hTmp = new Float64Array(r);
  const windowStarts: number[] = [];
  for (let s = 0; s < T1; s += batch) windowStarts.push(s);
  const rng = new Rng(opts.seed ?? 0);
  const evalProblem: Problem = { ...problem, name: problem.name ?? 'baseline' };
  const start = performance.now();
  let lastYield = start;
  const history: EpochReport[] = [];

  const report = (epoch: number): EpochReport => {
    const errs = evaluate(weights, evalProblem, opts.testHidden ?? 'carry');
    const rep: EpochReport = {
      epoch,
      loss: errs.trainErr * dataScale + regularization(weights, lambdas),
      trainErr: errs.trainErr,
      testErr: errs.testErr,
      seconds: (performance.now() - start) / 1000,
    };
    history.push(rep);
    opts.onEpoch?.(rep);
    return rep;
  };

  const evaluateEvery = opts.evaluateEvery ?? 1;
  let earlyStop = opts.earlyStop ? initialEarlyStop() : undefined;
  let stopped: BaselineStop = 'epochs';
  if (!Number.isFinite(report(0).loss)) stopped = 'diverged';
  /** Whether the last step's loss (at the weights before it) was finite. */
  let stepLossFinite = true;
  for (let epoch = 1; epoch <= opts.epochs && stopped === 'epochs'; epoch++) {
    if (opts.signal?.aborted) {
      stopped = 'aborted';
      break;
    }
    if (windowStarts.length === 1) {
      stepLossFinite = Number.isFinite(bpttLossAndGradient(weights, activation, x, y, T1, gradLambdas, grad, ws).loss);
      if (dataScale !== 1) scaleWeights(grad, dataScale);
      optimizer.step(weights, grad);
    } else {
      shuffle(windowStarts, rng);
      stepLossFinite = true;
      for (const from of windowStarts) {
        const to = Math.min(from + batch, T1);
        hiddenStateAt(weights, activation, x, from, h0, hTmp);
        stepLossFinite = Number.isFinite(bpttWindow(weights, activation, x, y, from, to, h0, gradLambdas, grad, ws).loss) && stepLossFinite;
        if (dataScale !== 1) scaleWeights(grad, dataScale);
        optimizer.step(weights, grad);
        if (performance.now() - lastYield > 50) {
          await yieldToEventLoop();
          if (opts.pauseGate) await opts.pauseGate();
          lastYield = performance.now();
          if (opts.signal?.aborted) break;
        }
      }
    }
    const blewUp = !stepLossFinite || !allFinite(weights);
    if (blewUp || epoch % evaluateEvery === 0 || epoch === opts.epochs) {
      const rep = report(epoch);
      if (!Number.isFinite(rep.loss) || blewUp) stopped = 'diverged';
      else if (earlyStop && opts.earlyStop) {
        earlyStop = recordEvaluation(earlyStop, epoch, rep.testErr, weights, opts.earlyStop);
        if (earlyStop.stoppedAt !== undefined && epoch < opts.epochs) stopped = 'early-stop';
      }
    }
    if (performance.now() - lastYield > 50) {
      await yieldToEventLoop();
      if (opts.pauseGate) await opts.pauseGate();
      lastYield = performance.now();
    }
  }
  if (stopped === 'epochs' && opts.signal?.aborted) stopped = 'aborted';
  return { weights, history, stopped, ...(earlyStop ? { earlyStop } : {}) };
}

/** Early stopping's settings for a baseline, resolved. */
export interface BaselineEarlyStop {
  /** V: the steps at the end of the training part held out for validation. */
  validationSteps: number;
  /** E: the validation error is scored every E epochs. */
  every: number;
  rule: EarlyStopRule;
  restore: EarlyStopRestore;
}

/** The outcome of trainBaselineEarlyStopped: the final model's run, and what early stopping found. */
export interface BaselineEarlyStopResult extends BaselineResult {
  earlyStop: EarlyStopState;
  outcome: EarlyStopOutcome;
  /** The run on the fit part (its TestErr is the validation error). */
  fit: BaselineResult;
}

/**
 * A baseline with early stopping (docs/method.md §5.5): trained on the training part minus its
 * last V steps, scored on those V steps every E epochs until the rule stops it; then retrained
 * on the whole training part for exactly k* epochs (bit-identical to a plain run of k* epochs),
 * or, with restore `best`, the fit run's best weights kept. The test part is never looked at.
 */
export async function trainBaselineEarlyStopped(opts: BaselineOptions, es: BaselineEarlyStop): Promise<BaselineEarlyStopResult> {
  const onEpoch = opts.onEpoch;
  // The callback is told which run an epoch belongs to (the histories stay as they are).
  const staged = (stage: EarlyStopStage) => (onEpoch ? { onEpoch: (e: EpochReport) => onEpoch({ ...e, stage }) } : {});
  const fit = await trainBaseline({
    ...opts,
    problem: validationProblem(opts.problem, es.validationSteps),
    evaluateEvery: es.every,
    earlyStop: es.rule,
    ...staged('fit'),
  });
  const state = fit.earlyStop ?? initialEarlyStop();
  // Stopped by the user: the run has no k* yet; keep the best so far rather than start a retraining.
  const restore: EarlyStopRestore = fit.stopped === 'aborted' ? 'best' : es.restore;
  const lastEpoch = fit.history[fit.history.length - 1]?.epoch ?? 0;
  const outcome: EarlyStopOutcome = { k: state.bestK, valErr: state.bestErr, stoppedAt: state.stoppedAt ?? lastEpoch, restore };
  if (restore === 'best') {
    return { ...fit, weights: state.bestWeights ?? fit.weights, earlyStop: state, outcome, fit };
  }
  const { earlyStop: _rule, ...plain } = opts;
  const final = await trainBaseline({ ...plain, epochs: state.bestK, ...staged('retrain') });
  return { ...final, earlyStop: state, outcome, fit };
}

function validate(opts: BaselineOptions): void {
  const { problem } = opts;
  const { series, T1, r } = problem;
  if (!(METHODS as readonly string[]).includes(opts.method)) throw new ParameterError('method', opts.method, METHODS.join(', '));
  if (!(Number.isInteger(T1) && T1 >= 1 && T1 <= series.T)) throw new ParameterError('T1', T1, `an integer in [1, ${series.T}]`);
  if (!(Number.isInteger(opts.epochs) && opts.epochs >= 0)) throw new ParameterError('epochs', opts.epochs, 'an integer ≥ 0');
  if (opts.evaluateEvery !== undefined && !(Number.isInteger(opts.evaluateEvery) && opts.evaluateEvery >= 1)) {
    throw new ParameterError('evaluateEvery', opts.evaluateEvery, 'an integer ≥ 1');
  }
  const w = opts.initialWeights;
  if (w.r !== r || w.n !== series.n || w.m !== series.m) {
    throw new ParameterError('initialWeights', `r=${w.r}, n=${w.n}, m=${w.m}`, `weights for r=${r}, n=${series.n}, m=${series.m}`);
  }
  for (const [k, v] of Object.entries(opts.lambdas ?? {})) {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new ParameterError(`lambdas.${k}`, v, 'a finite number ≥ 0');
  }
  if (opts.batch !== undefined) {
    if (!(Number.isInteger(opts.batch) && opts.batch >= 1)) throw new ParameterError('batch', opts.batch, 'an integer ≥ 1');
    if ((opts.method === 'gd' || opts.method === 'gdc' || opts.method === 'gdnm') && opts.batch < T1) {
      throw new ParameterError('batch', opts.batch, `${opts.method} is full-batch: omit batch or give ≥ T1 = ${T1} (use sgd or adam for mini-batches)`);
    }
  }
  if (opts.loss !== undefined && !(BASELINE_LOSSES as readonly string[]).includes(opts.loss)) {
    throw new ParameterError('loss', opts.loss, BASELINE_LOSSES.join(' or '));
  }
  if (opts.method === 'gdc' && opts.clip === undefined) throw new ParameterError('clip', undefined, 'a finite number > 0 (required by gdc)');
}

function optimizerSpec(opts: BaselineOptions): OptimizerSpec {
  switch (opts.method) {
    case 'gd':
    case 'sgd':
      return { method: opts.method, lr: opts.lr };
    case 'gdc':
      return { method: 'gdc', lr: opts.lr, clip: opts.clip as number };
    case 'gdnm':
      return { method: 'gdnm', lr: opts.lr, momentum: opts.momentum ?? 0.9 };
    case 'adam':
      return { method: 'adam', lr: opts.lr, beta1: opts.beta1, beta2: opts.beta2, epsilon: opts.epsilon };
  }
}

function batchLength(opts: BaselineOptions): number {
  const T1 = opts.problem.T1;
  if (opts.batch !== undefined) return Math.min(opts.batch, T1);
  return opts.method === 'sgd' ? Math.min(32, T1) : T1;
}

function allFinite(w: RnnWeights): boolean {
  for (const a of [w.W, w.V, w.b, w.A, w.c]) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

function scaleLambdas(l: Lambdas, s: number): Lambdas {
  return { A: l.A * s, W: l.W * s, V: l.V * s, b: l.b * s, c: l.c * s };
}

function scaleWeights(g: RnnWeights, s: number): void {
  for (const a of [g.W, g.V, g.b, g.A, g.c]) for (let i = 0; i < a.length; i++) a[i] *= s;
}

function shuffle(a: number[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
