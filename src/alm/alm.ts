// The ALM outer loop of Algorithm 3.1 (ALGORITHM.md §5), written once against the backend
// interface: multipliers, penalty rule, tolerance schedule, warm-start rule, caps, events.
// The backend holds the state; this loop sees scalars, plus the weights once per outer
// iteration to report TrainErr and TestErr.
import type { BackendInfo, BcdBackend, BcdState, ConstraintNorms } from '../backends/backend.ts';
import { evaluate, type TestHidden } from '../problem/model.ts';
import type { Problem, RnnWeights } from '../problem/types.ts';
import { lambdasFor, validateParams, type AlmParams } from './params.ts';

/** What happened in one outer iteration k. */
export interface AlmIteration {
  k: number;
  /** γ_{k−1}, the penalty the sweeps of this iteration used. */
  gamma: number;
  /** γ_k, after the penalty rule. */
  gammaNext: number;
  /** ε_k after the tolerance update. */
  eps: number;
  /** FeasVio of s^k: max(||C1||, ||C2||). */
  feasVio: number;
  c1: number;
  c2: number;
  /** ||ξ^k||, ||ζ^k|| after the multiplier update. */
  xiNorm: number;
  zetaNorm: number;
  /** L(s^k; ξ^k, ζ^k, γ_k): the value the next warm-start test compares with Γ. */
  lagrangian: number;
  /** BCD sweeps run in this iteration. */
  sweeps: number;
  /** Whether this iteration started from s^{k−1} (warm) or from s^0. */
  warm: boolean;
  /** The ∂L certificate when it was read (certificate stopping rule), else null. */
  certificate: number | null;
  /** True when the violation was at or below the rounding floor (violationFloor), so γ was held. */
  atFloor: boolean;
  trainErr: number;
  testErr: number;
  /** Seconds since the start of the run (across resumes). */
  seconds: number;
}

/** The orchestrator's own state after a completed outer iteration: with the backend state, a full checkpoint. */
export interface AlmLoopState {
  /** Outer iterations completed. */
  k: number;
  gamma: number;
  eps: number;
  /** max(||C1||, ||C2||) of the last iterate, for the decrease test (3.8). */
  prevViolation: number;
  /** L of the last iterate with the current multipliers and γ, for the warm-start test. */
  lastLagrangian: number;
  sweeps: number;
  seconds: number;
  history: AlmIteration[];
}

/** Why a run ended. */
export type StopReason = 'outer-cap' | 'stopped' | 'converged';

/** The outcome of runAlm. */
export interface AlmResult {
  weights: RnnWeights;
  trainErr: number;
  testErr: number;
  feasVio: number;
  outerIterations: number;
  sweeps: number;
  seconds: number;
  stopReason: StopReason;
  history: AlmIteration[];
  /** The loop state after the last completed outer iteration (for checkpoints). */
  loopState: AlmLoopState;
}

/** The scalars of an AlmResult that every front end reports. */
export type AlmSummary = Pick<AlmResult, 'trainErr' | 'testErr' | 'feasVio' | 'outerIterations' | 'sweeps' | 'seconds' | 'stopReason'> & {
  /** γ after the last completed outer iteration. */
  gamma: number;
};

/** The reported scalars of a result. */
export function summarizeResult(result: AlmResult): AlmSummary {
  const { trainErr, testErr, feasVio, outerIterations, sweeps, seconds, stopReason } = result;
  return { trainErr, testErr, feasVio, outerIterations, sweeps, seconds, stopReason, gamma: result.loopState.gamma };
}

/** Options of runAlm. */
export interface AlmRunOptions {
  /** Called after every completed outer iteration. */
  onIteration?: (it: AlmIteration) => void;
  /** Called after every completed outer iteration with the full state; may persist it. */
  onCheckpoint?: (loop: AlmLoopState, state: BcdState) => void | Promise<void>;
  /** Called after each batch of sweeps inside an iteration (for progress bars). */
  onSweeps?: (k: number, sweepsInIteration: number) => void;
  /** Aborting stops the run after the current batch of sweeps. */
  signal?: AbortSignal;
  /** Awaited between batches of sweeps: a page pauses a run by returning a promise it resolves on resume. */
  pauseGate?: () => Promise<void>;
  /** Continue from a checkpoint instead of starting at k = 0 (the backend state is restored too). */
  resume?: { loop: AlmLoopState; state: BcdState };
  /** How the test part's hidden state starts (default carry, the paper's formula). */
  testHidden?: TestHidden;
  /** Stop once FeasVio ≤ this (and, with the certificate rule, the certificate ≤ ε); 0 disables. */
  feasTol?: number;
}

/**
 * Unit roundoffs of ||u|| below which FeasVio is taken to be at the backend's rounding floor.
 * u, h and the weights are stored rounded and Ψ(h)w adds K products, so the violation of an
 * iterate cannot get much below a few roundings of ||u||; once there the decrease test (3.8)
 * fails by chance and γ would grow every iteration while nothing improves (ALGORITHM.md §5).
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

/** Trains problem's RNN with the ALM on `backend`, from `initial` weights (s^0 is built from them). */
export async function runAlm(
  backend: BcdBackend,
  problem: Problem,
  params: AlmParams,
  initial: RnnWeights,
  options: AlmRunOptions = {},
): Promise<AlmResult> {
  validateParams(params);
  const { series, T1, r } = problem;
  const { n, m } = series;
  await backend.load(
    {
      T: T1, n, m, r,
      x: series.x.subarray(0, T1 * n),
      y: series.y.subarray(0, T1 * m),
      activation: problem.activation,
      lambdas: lambdasFor(params, r, n, m),
      mu: params.mu,
    },
    initial,
  );

  let loop: AlmLoopState;
  if (options.resume) {
    await backend.writeState(options.resume.state);
    loop = structuredClone(options.resume.loop);
  } else {
    const norms = await backend.constraintNorms();
    loop = {
      k: 0,
      gamma: params.gamma0,
      eps: params.eps0,
      prevViolation: Math.max(norms.c1, norms.c2),
      lastLagrangian: await backend.lagrangian(params.gamma0),
      sweeps: 0,
      seconds: 0,
      history: [],
    };
  }

  const startedAt = performance.now() - loop.seconds * 1000;
  const elapsed = (): number => (performance.now() - startedAt) / 1000;
  const testHidden = options.testHidden ?? 'carry';
  let stopReason: StopReason = 'outer-cap';

  while (loop.k < params.outer) {
    const k = loop.k + 1;
    const gamma = loop.gamma;
    // Warm-start rule (3.13): keep s^{k−1} if its L is at most Γ, else restart from s^0.
    const warm = k > 1 && loop.lastLagrangian <= params.Gamma;
    if (k > 1 && !warm) await backend.resetToInitial();

    let done = 0;
    let certificate: number | null = null;
    let interrupted = false;
    while (done < params.inner) {
      const batch = Math.min(params.checkEvery, params.inner - done);
      await backend.sweep(batch, gamma);
      done += batch;
      options.onSweeps?.(k, done);
      if (params.innerStop === 'certificate') {
        certificate = await backend.certificate(gamma);
        if (certificate <= loop.eps) break;
      }
      await yieldToEventLoop();
      if (options.pauseGate) await options.pauseGate();
      if (options.signal?.aborted && done < params.inner) {
        interrupted = true;
        break;
      }
    }
    if (interrupted) {
      // An interrupted iteration is not an outer iterate: the last completed one stands.
      loop.sweeps += done;
      stopReason = 'stopped';
      break;
    }

    const norms = await backend.constraintNorms();
    const violation = Math.max(norms.c1, norms.c2);
    const mult = await backend.updateMultipliers(gamma);
    const eps = params.eta4 * loop.eps;
    // Penalty rule (3.8)–(3.9), holding γ once the violation sits at the rounding floor.
    const atFloor = violation <= violationFloor(params, backend.info, norms);
    let gammaNext = gamma;
    if (!atFloor && !(violation <= params.eta1 * loop.prevViolation)) {
      gammaNext = Math.max(gamma / params.eta2, mult.xi ** params.eta3, mult.zeta ** params.eta3);
      gammaNext = Math.min(gammaNext, params.gammaMax);
    }
    const lagrangian = await backend.lagrangian(gammaNext);
    const errors = evaluate(await backend.readWeights(), problem, testHidden);

    const it: AlmIteration = {
      k, gamma, gammaNext, eps,
      feasVio: violation, c1: norms.c1, c2: norms.c2,
      xiNorm: mult.xi, zetaNorm: mult.zeta,
      lagrangian, sweeps: done, warm, certificate, atFloor,
      trainErr: errors.trainErr, testErr: errors.testErr,
      seconds: elapsed(),
    };
    loop = {
      k, gamma: gammaNext, eps, prevViolation: violation, lastLagrangian: lagrangian,
      sweeps: loop.sweeps + done, seconds: it.seconds, history: [...loop.history, it],
    };
    options.onIteration?.(it);
    if (options.onCheckpoint) await options.onCheckpoint(loop, await backend.readState());

    const feasTol = options.feasTol ?? 0;
    if (feasTol > 0 && violation <= feasTol && (params.innerStop === 'cap' || (certificate ?? Infinity) <= eps)) {
      stopReason = 'converged';
      break;
    }
    if (options.signal?.aborted) {
      stopReason = 'stopped';
      break;
    }
  }

  const weights = await backend.readWeights();
  const errors = evaluate(weights, problem, testHidden);
  const norms = await backend.constraintNorms();
  loop.seconds = elapsed();
  return {
    weights,
    trainErr: errors.trainErr,
    testErr: errors.testErr,
    feasVio: Math.max(norms.c1, norms.c2),
    outerIterations: loop.k,
    sweeps: loop.sweeps,
    seconds: loop.seconds,
    stopReason,
    history: loop.history,
    loopState: loop,
  };
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
