// What the outer loop keeps between iterations, and the scalars every front end reports of a run:
// plain data, apart from alm.ts so that the checkpoint format and the public API's declarations
// describe them without reaching the loop's options (AbortSignal, callbacks).
import type { EarlyStopState } from '../problem/early-stop.ts';
import type { RnnWeights } from '../problem/types.ts';
import type { AlmIteration, StopReason } from './iteration.ts';

/** The orchestrator's own state after a completed outer iteration: with the backend state, a full checkpoint. */
export interface AlmLoopState {
  /** Outer iterations completed. */
  k: number;
  /** The penalty γ for the next outer iteration. */
  gamma: number;
  /** The inner tolerance ε for the next outer iteration. */
  eps: number;
  /** max(||C1||, ||C2||) of the last iterate, for the decrease test (3.8). */
  prevViolation: number;
  /** L of the last iterate with the current multipliers and γ, for the warm-start test. */
  lastLagrangian: number;
  /** BCD sweeps run so far. */
  sweeps: number;
  /** Seconds run so far (over every session of a resumed run). */
  seconds: number;
  /** One entry per completed outer iteration. */
  history: AlmIteration[];
  /** Set when this trial's run ended before the batch's (it converged, made no progress, or failed); absent while it runs. */
  stopReason?: StopReason;
  /** Why it failed, and its last completed iterate's weights (its backend state was reset to s^0). */
  failure?: {
    /** What broke down, and what to change. */
    message: string;
    /** The last completed iterate's weights. */
    weights: RnnWeights;
  };
  /** With AlmRunOptions.earlyStop: the rule's state (stoppedAt set when it ended the run, stopReason `early-stop`). */
  earlyStop?: EarlyStopState;
}

/** The scalars of a run's result that every front end reports. */
export interface AlmSummary {
  /** TrainErr of the last iterate (standardised units). */
  trainErr: number;
  /** TestErr of the last iterate (NaN without a test part). */
  testErr: number;
  /** FeasVio, max(‖C1‖, ‖C2‖), of the last iterate. */
  feasVio: number;
  /** Outer iterations completed. */
  outerIterations: number;
  /** BCD sweeps run in all. */
  sweeps: number;
  /** Wall-clock seconds of the run. */
  seconds: number;
  /** Why the run ended. */
  stopReason: StopReason;
  /** γ after the last completed outer iteration. */
  gamma: number;
}
