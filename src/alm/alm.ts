// The ALM outer loop of Algorithm 3.1 (docs/method.md §5), written once against the backend
// interface and over a batch of trials: multipliers, penalty rule, tolerance schedule,
// warm-start rule, caps, events. The backend holds every trial's state; this loop sees one
// scalar per trial, plus the weights once per outer iteration to report TrainErr and TestErr.
// The trials run in lockstep over sweeps; each keeps its own loop state, and a trial that is
// done (its certificate fired in this outer iteration, or its run has ended) is frozen, so its
// result is exactly what it would be alone. A single run is a batch of one.
import type { BackendInfo, BcdBackend, BcdProblem, BcdState, ConstraintNorms, TrialFailure } from '../backends/backend.ts';
import { NumericalError } from '../errors.ts';
import { evaluate, type TestHidden } from '../problem/model.ts';
import type { Problem, RnnWeights } from '../problem/types.ts';
import { initialEarlyStop, recordEvaluation, type EarlyStopRule, type EarlyStopState } from '../problem/early-stop.ts';
import { lambdasFor, validateParams, type AlmParams } from './params.ts';
import type { AlmIteration, StopReason } from './iteration.ts';
import type { AlmLoopState, AlmSummary } from './loop-state.ts';

export type { AlmIteration, StopReason } from './iteration.ts';
export type { AlmLoopState, AlmSummary } from './loop-state.ts';

/** The relative improvement of FeasVio or TrainErr that counts as progress for `patience`. */
export const PROGRESS_TOLERANCE = 1e-6;

/**
 * Outer iterations since FeasVio or TrainErr last improved by a relative PROGRESS_TOLERANCE on
 * the best value before it (0 when the last iteration improved one of them).
 */
export function iterationsWithoutProgress(history: readonly AlmIteration[]): number {
  let bestFeas = Infinity, bestTrain = Infinity, last = 0;
  history.forEach((it, i) => {
    const better = (v: number, best: number) => v < best && (best === Infinity || v < best * (1 - PROGRESS_TOLERANCE));
    const improved = better(it.feasVio, bestFeas) || better(it.trainErr, bestTrain);
    bestFeas = Math.min(bestFeas, it.feasVio);
    bestTrain = Math.min(bestTrain, it.trainErr);
    if (improved) last = i + 1;
  });
  return history.length - last;
}

/** The outcome of runAlm: the reported scalars (AlmSummary's; γ is in loopState), the weights and the history. */
export interface AlmResult extends Omit<AlmSummary, 'gamma'> {
  weights: RnnWeights;
  /** This trial's own computation in seconds (AlmIteration.ownSeconds), where the backend tracks it. */
  ownSeconds?: number;
  history: AlmIteration[];
  /** The loop state after the last completed outer iteration (for checkpoints). */
  loopState: AlmLoopState;
}

/** The reported scalars of a result. */
export function summarizeResult(result: AlmResult): AlmSummary {
  const { trainErr, testErr, feasVio, outerIterations, sweeps, seconds, stopReason } = result;
  return { trainErr, testErr, feasVio, outerIterations, sweeps, seconds, stopReason, gamma: result.loopState.gamma };
}

/** Options of a run (one trial or a batch). */
export interface AlmRunOptions {
  /** Called after every completed outer iteration, once per trial that ran it, with that trial's weights s^k. */
  onIteration?: (it: AlmIteration, trial: number, weights: RnnWeights) => void;
  /**
   * Called after every completed outer iteration k with every trial's iteration (undefined: the
   * trial's run had ended) and every trial's weights s^k (what a stop at this point keeps).
   */
  onOuterIteration?: (k: number, iterations: Array<AlmIteration | undefined>, weights: RnnWeights[]) => void;
  /** Called after every completed outer iteration with every trial's loop and state; may persist them. */
  onCheckpoint?: (loops: AlmLoopState[], states: BcdState[]) => void | Promise<void>;
  /** Asked before each onCheckpoint: false skips it (and the read-back of every trial's state). Default: always due. */
  checkpointDue?: () => boolean;
  /** Called after each batch of sweeps inside an iteration (for progress bars). */
  onSweeps?: (k: number, sweepsInIteration: number) => void;
  /** Aborting stops the run after the current batch of sweeps. */
  signal?: AbortSignal;
  /** Awaited between batches of sweeps: a page pauses a run by returning a promise it resolves on resume. */
  pauseGate?: () => Promise<void>;
  /** How the test part's hidden state starts (default carry, the paper's formula). */
  testHidden?: TestHidden;
  /** Stop a trial once its FeasVio ≤ this (and, with the certificate rule, its certificate ≤ ε); 0 disables. */
  feasTol?: number;
  /** Stop a trial when neither its FeasVio nor its TrainErr improved (PROGRESS_TOLERANCE) over this many outer iterations; 0 or absent disables. */
  patience?: number;
  /** Called once the backend has loaded the batch (on WebGPU: the kernels are compiled), with the seconds it took. */
  onLoaded?: (seconds: number) => void;
  /**
   * Early stopping (src/problem/early-stop.ts): after every outer iteration each trial's TestErr
   * is scored as its validation error (the caller made the test part the validation part, as
   * src/alm/selection.ts does), and a trial the rule stops ends with stopReason `early-stop`.
   */
  earlyStop?: EarlyStopRule;
}

/**
 * Unit roundoffs of ||u|| below which FeasVio is taken to be at the backend's rounding floor.
 * u, h and the weights are stored rounded and Ψ(h)w adds K products, so the violation of an
 * iterate cannot get much below a few roundings of ||u||; once there the decrease test (3.8)
 * fails by chance and γ would grow every iteration while nothing improves (docs/method.md §5.3).
 */
export const FLOOR_ROUNDINGS = 4;

/**
 * The violation at or below which γ is held: params.feasFloor, or FLOOR_ROUNDINGS unit
 * roundoffs of ||u|| when the backend reports both (for f32 this is what matters; for float64
 * the default feasFloor is the larger).
 */
export function violationFloor(params: AlmParams, info: BackendInfo, norms: ConstraintNorms): number {
  const rounding = info.unitRoundoff !== undefined && norms.uNorm !== undefined ? FLOOR_ROUNDINGS * info.unitRoundoff * norms.uNorm : 0;
  return Math.max(params.feasFloor, rounding);
}

/** One trial of a batch: its problem, its parameters, its initial weights (s^0 is built from them). */
export interface AlmTrial {
  problem: Problem;
  params: AlmParams;
  initial: RnnWeights;
  /** Continue from a checkpoint instead of starting at k = 0 (the backend state is restored too). */
  resume?: { loop: AlmLoopState; state: BcdState };
  /**
   * This trial's own cap on outer iterations, at most params.outer (which the batch shares): it
   * ends after stopAfter iterations as a run with outer = stopAfter would (early stopping's
   * retraining of each trial for its own k*).
   */
  stopAfter?: number;
}

/** The parameters every trial of a batch must share: the loop runs them in lockstep. */
export const SHARED_PARAMS = ['outer', 'inner', 'checkEvery', 'innerStop'] as const;

/** Refuses a batch whose trials differ in a shared parameter or in shape. */
function checkTrials(trials: readonly AlmTrial[]): void {
  if (trials.length === 0) throw new RangeError('runAlmBatch: a batch needs at least one trial');
  const p0 = trials[0].params;
  trials.forEach((t, i) => {
    validateParams(t.params);
    for (const key of SHARED_PARAMS) {
      if (t.params[key] !== p0[key]) {
        throw new RangeError(`trial ${i} has ${key} = ${t.params[key]}, trial 0 has ${p0[key]}: the trials of a batch share ${SHARED_PARAMS.join(', ')}`);
      }
    }
    if (t.problem.T1 !== trials[0].problem.T1) {
      throw new RangeError(`trial ${i} trains on ${t.problem.T1} steps, trial 0 on ${trials[0].problem.T1}: the trials of a batch share one shape`);
    }
  });
}

/** Trains problem's RNN with the ALM on `backend`, from `initial` weights: a batch of one. */
export async function runAlm(
  backend: BcdBackend,
  problem: Problem,
  params: AlmParams,
  initial: RnnWeights,
  options: AlmRunOptions & { resume?: AlmTrial['resume'] } = {},
): Promise<AlmResult> {
  const { resume, ...rest } = options;
  const [result] = await runAlmBatch(backend, [{ problem, params, initial, resume }], rest);
  // Alone, a breakdown ends the run as an error, as it always has.
  if (result.loopState.failure) throw numericalError(result.loopState.failure.message);
  return result;
}

/** A NumericalError carrying a message made elsewhere (another thread, a checkpoint). */
export function numericalError(message: string): NumericalError {
  const err = new NumericalError(message);
  err.message = message;
  return err;
}

/** What a backend loads for a problem: its training part, with the regularisation of `params`. */
export function bcdProblemOf(problem: Problem, params: Pick<AlmParams, 'tau' | 'lambda6' | 'mu'>): BcdProblem {
  const { series, T1, r } = problem;
  const { n, m } = series;
  return {
    T: T1, n, m, r,
    x: series.x.subarray(0, T1 * n),
    y: series.y.subarray(0, T1 * m),
    activation: problem.activation,
    lambdas: lambdasFor(params, r, n, m),
    mu: params.mu,
  };
}

/** Trains every trial's RNN with the ALM on `backend`, in lockstep over sweeps; one result per trial. */
export async function runAlmBatch(backend: BcdBackend, trials: readonly AlmTrial[], options: AlmRunOptions = {}): Promise<AlmResult[]> {
  checkTrials(trials);
  const B = trials.length;
  const shared = trials[0].params;
  const loadStarted = performance.now();
  await backend.load(
    trials.map(({ problem, params }) => bcdProblemOf(problem, params)),
    trials.map((t) => t.initial),
  );
  options.onLoaded?.((performance.now() - loadStarted) / 1000);

  const loops: AlmLoopState[] = new Array(B);
  for (let i = 0; i < B; i++) {
    const resume = trials[i].resume;
    if (resume) {
      await backend.writeState(i, resume.state);
      loops[i] = structuredClone(resume.loop);
    }
  }
  if (trials.some((t) => !t.resume)) {
    const norms = await backend.constraintNorms();
    const lagrangians = await backend.lagrangian(trials.map((t) => t.params.gamma0));
    for (let i = 0; i < B; i++) {
      if (trials[i].resume) continue;
      const p = trials[i].params;
      loops[i] = {
        k: 0,
        gamma: p.gamma0,
        eps: p.eps0,
        prevViolation: Math.max(norms[i].c1, norms[i].c2),
        lastLagrangian: lagrangians[i],
        sweeps: 0,
        seconds: 0,
        history: [],
      };
    }
  }

  // Each trial's last completed iterate: what a trial that breaks down keeps.
  const lastWeights: RnnWeights[] = trials.map((t, i) => loops[i].failure?.weights ?? t.resume?.state.weights ?? t.initial);
  const startedAt = performance.now() - Math.max(...loops.map((l) => l.seconds)) * 1000;
  // A resumed trial's own clock goes on from where its checkpoint left it.
  const ownBefore = loops.map((l) => l.history[l.history.length - 1]?.ownSeconds ?? 0);
  const elapsed = (): number => (performance.now() - startedAt) / 1000;
  const testHidden = options.testHidden ?? 'carry';
  const feasTol = options.feasTol ?? 0;
  const patience = options.patience ?? 0;
  const cap = trials.map((t) => Math.min(t.stopAfter ?? shared.outer, shared.outer));
  const running = (i: number): boolean => loops[i].k < cap[i] && loops[i].stopReason === undefined;
  let stoppedByUser = false;
  /** Stopped inside an outer iteration: the state holds sweeps that are no outer iterate. */
  let interrupted = false;

  while (!stoppedByUser && loops.some((_, i) => running(i))) {
    // The trials whose runs go on share k: they started together, or resumed from one checkpoint.
    const active = loops.map((_, i) => running(i));
    const k = Math.min(...loops.filter((_, i) => active[i]).map((l) => l.k)) + 1;
    const gamma = loops.map((l) => l.gamma);
    // Warm-start rule (3.13): keep s^{k−1} if its L is at most Γ, else restart from s^0.
    const warm = loops.map((l, i) => k > 1 && l.lastLagrangian <= trials[i].params.Gamma);
    const restart = active.map((a, i) => a && k > 1 && !warm[i]);
    if (restart.some(Boolean)) await backend.resetToInitial(restart);

    // The inner loop: each trial sweeps until the cap, or until its certificate fires (then it is frozen).
    const sweeping = active.slice();
    /**
     * Trials that broke down end here, keeping their last completed iterate; their state goes
     * back to s^0 so that the batch's checkpoints stay well-formed. The others go on.
     */
    const fail = async (failures: TrialFailure[]): Promise<void> => {
      if (failures.length === 0) return;
      const failed = new Array<boolean>(B).fill(false);
      for (const f of failures) {
        failed[f.trial] = true;
        sweeping[f.trial] = false;
        active[f.trial] = false;
        loops[f.trial].stopReason = 'failed';
        loops[f.trial].failure = { message: f.message, weights: lastWeights[f.trial] };
      }
      await backend.resetToInitial(failed);
    };
    const sweeps = new Array<number>(B).fill(0);
    const certificate = new Array<number | null>(B).fill(null);
    let done = 0;
    while (done < shared.inner && sweeping.some(Boolean)) {
      const batch = Math.min(shared.checkEvery, shared.inner - done);
      await fail((await backend.sweep(batch, gamma, sweeping)) ?? []);
      done += batch;
      for (let i = 0; i < B; i++) if (sweeping[i]) sweeps[i] = done;
      options.onSweeps?.(k, done);
      if (shared.innerStop === 'certificate') {
        const certs = await backend.certificate(gamma, sweeping);
        for (let i = 0; i < B; i++) {
          if (!sweeping[i]) continue;
          certificate[i] = certs[i];
          if (certs[i] <= loops[i].eps) sweeping[i] = false;
        }
      }
      await yieldToEventLoop();
      if (options.pauseGate) await options.pauseGate();
      if (options.signal?.aborted && done < shared.inner && sweeping.some(Boolean)) {
        stoppedByUser = true;
        interrupted = true;
        break;
      }
    }
    if (stoppedByUser) {
      // An interrupted iteration is not an outer iterate: the last completed one stands.
      for (let i = 0; i < B; i++) if (active[i]) loops[i].sweeps += sweeps[i];
      break;
    }

    const norms = await backend.constraintNorms();
    // A solve that broke down without throwing (f32 on the GPU) leaves NaN behind: say so here, not as a NaN γ later.
    await fail(norms.flatMap((nm, i) => (active[i] && !(Number.isFinite(nm.c1) && Number.isFinite(nm.c2))
      ? [{ trial: i, message: new NumericalError(`the iterate is no longer finite after the sweeps of outer iteration ${k}: a linear solve broke down`).message }]
      : [])));
    // Every trial still running broke down in this iteration: nothing is left to complete it.
    if (!active.some(Boolean)) continue;
    const mult = await backend.updateMultipliers(gamma, active);
    const gammaNext = gamma.slice();
    const atFloor = new Array<boolean>(B).fill(false);
    for (let i = 0; i < B; i++) {
      if (!active[i]) continue;
      const p = trials[i].params;
      const violation = Math.max(norms[i].c1, norms[i].c2);
      // Penalty rule (3.8)–(3.9), holding γ once the violation sits at the rounding floor.
      atFloor[i] = violation <= violationFloor(p, backend.info, norms[i]);
      if (!atFloor[i] && !(violation <= p.eta1 * loops[i].prevViolation)) {
        gammaNext[i] = Math.min(Math.max(gamma[i] / p.eta2, mult[i].xi ** p.eta3, mult[i].zeta ** p.eta3), p.gammaMax);
      }
    }
    const lagrangians = await backend.lagrangian(gammaNext);
    const weights = await backend.readWeights();
    for (let i = 0; i < B; i++) if (active[i]) lastWeights[i] = weights[i];
    const seconds = elapsed();
    const own = await backend.trialSeconds?.();
    const iterations = new Array<AlmIteration | undefined>(B);
    for (let i = 0; i < B; i++) {
      if (!active[i]) {
        loops[i].seconds = seconds;
        continue;
      }
      const p = trials[i].params;
      const violation = Math.max(norms[i].c1, norms[i].c2);
      const eps = p.eta4 * loops[i].eps;
      const errors = evaluate(weights[i], trials[i].problem, testHidden);
      const it: AlmIteration = {
        k, gamma: gamma[i], gammaNext: gammaNext[i], eps,
        feasVio: violation, c1: norms[i].c1, c2: norms[i].c2,
        xiNorm: mult[i].xi, zetaNorm: mult[i].zeta,
        lagrangian: lagrangians[i], sweeps: sweeps[i], warm: warm[i], certificate: certificate[i], atFloor: atFloor[i],
        trainErr: errors.trainErr, testErr: errors.testErr,
        seconds,
        ...(own ? { ownSeconds: ownBefore[i] + own[i] } : {}),
      };
      iterations[i] = it;
      const previousEarlyStop = loops[i].earlyStop;
      loops[i] = {
        k, gamma: gammaNext[i], eps, prevViolation: violation, lastLagrangian: lagrangians[i],
        sweeps: loops[i].sweeps + sweeps[i], seconds, history: [...loops[i].history, it],
      };
      if (options.earlyStop) {
        loops[i].earlyStop = recordEvaluation(previousEarlyStop ?? initialEarlyStop(), k, it.testErr, weights[i], options.earlyStop);
      }
      if (feasTol > 0 && violation <= feasTol && (shared.innerStop === 'cap' || (certificate[i] ?? Infinity) <= eps)) {
        loops[i].stopReason = 'converged';
      } else if (patience > 0 && k < cap[i] && iterationsWithoutProgress(loops[i].history) >= patience) {
        loops[i].stopReason = 'no-progress';
      } else if (loops[i].earlyStop?.stoppedAt !== undefined && k < cap[i]) {
        loops[i].stopReason = 'early-stop';
      }
    }
    for (let i = 0; i < B; i++) if (iterations[i]) options.onIteration?.(iterations[i]!, i, weights[i]);
    options.onOuterIteration?.(k, iterations, weights);
    if (options.onCheckpoint && (options.checkpointDue?.() ?? true)) {
      const states: BcdState[] = [];
      for (let i = 0; i < B; i++) states.push(await backend.readState(i));
      await options.onCheckpoint(loops, states);
    }
    if (options.signal?.aborted) stoppedByUser = true;
  }

  const current = await backend.readWeights();
  const norms = await backend.constraintNorms();
  const seconds = elapsed();
  const own = await backend.trialSeconds?.();
  return trials.map((t, i) => {
    const loop = loops[i];
    loop.seconds = seconds;
    const failed = loop.failure !== undefined;
    // What a stopped run keeps is its last completed outer iterate, like a failed one.
    const kept = failed || interrupted;
    const weights = loop.failure?.weights ?? (interrupted ? lastWeights[i] : current[i]);
    const errors = evaluate(weights, t.problem, testHidden);
    const stopReason: StopReason = loop.stopReason ?? (stoppedByUser && loop.k < cap[i] ? 'stopped' : 'outer-cap');
    return {
      weights,
      trainErr: errors.trainErr,
      testErr: errors.testErr,
      // A failed trial's backend state is s^0, a stopped one's is mid-iteration: the violation is the last completed iterate's.
      feasVio: kept ? (loop.history[loop.history.length - 1]?.feasVio ?? 0) : Math.max(norms[i].c1, norms[i].c2),
      outerIterations: loop.k,
      sweeps: loop.sweeps,
      seconds,
      ...(own ? { ownSeconds: ownBefore[i] + own[i] } : {}),
      stopReason,
      history: loop.history,
      loopState: loop,
    };
  });
}

let lastYield = 0;

/**
 * Lets pending events (Ctrl-C, clicks, messages) run between batches of sweeps, which the CPU
 * backend computes synchronously; at most every 50 ms, so it costs nothing measurable.
 */
async function yieldToEventLoop(): Promise<void> {
  const now = performance.now();
  if (now - lastYield < 50) return;
  lastYield = now;
  await new Promise<void>((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    }
  });
}
