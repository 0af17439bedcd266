// What the outer loop (alm.ts) reports: one record per outer iteration, and why a run ended.
// Apart from the loop itself so that the public API's declarations carry these records
// without the loop's own options (AbortSignal, backend state).

/** What happened in one outer iteration k. */
export interface AlmIteration {
  /** The outer iteration, from 1. */
  k: number;
  /** γ_{k−1}, the penalty the sweeps of this iteration used. */
  gamma: number;
  /** γ_k, after the penalty rule. */
  gammaNext: number;
  /** ε_k after the tolerance update. */
  eps: number;
  /** FeasVio of s^k: max(||C1||, ||C2||). */
  feasVio: number;
  /** ||C1(s^k)||, the residual of u = Ψ(h)w. */
  c1: number;
  /** ||C2(s^k)||, the residual of h = σ(u). */
  c2: number;
  /** ||ξ^k|| after the multiplier update. */
  xiNorm: number;
  /** ||ζ^k|| after the multiplier update. */
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
  /** TrainErr of s^k's weights (standardised units). */
  trainErr: number;
  /** TestErr of s^k's weights (NaN without a test part). */
  testErr: number;
  /** Seconds since the start of the run (across resumes). */
  seconds: number;
  /**
   * Seconds of this trial's own computation (across resumes), where the backend tracks it
   * (BcdBackend.trialSeconds: the CPU): in a batch, what the trial would have taken alone on
   * one core, where `seconds` is the whole batch's clock.
   */
  ownSeconds?: number;
}

/**
 * Why a run ended: the outer cap, the user, FeasVio below feasTol, no progress of FeasVio and
 * TrainErr for `patience` iterations, early stopping's rule on the validation error (the loop
 * state's earlyStop.stoppedAt says where), or a numerical breakdown of its own (the other trials
 * of its batch go on).
 */
export type StopReason = 'outer-cap' | 'stopped' | 'converged' | 'no-progress' | 'early-stop' | 'failed';

