// Early stopping on the validation split (docs/method.md §5.5), one rule for the ALM (scored
// after every outer iteration) and the gradient baselines (scored every E epochs). Each
// evaluation scores the validation MSE (src/problem/validation.ts); the chosen count k* is the
// evaluation with the lowest score. The run stops after `patience` evaluations without a relative
// improvement of `minDelta`, counted only once `warmupEvals` evaluations are behind it: on sp500
// Adam dips on validation while its fit is still poor and GD rises for its first ~150 epochs, so
// the first evaluations must not decide alone.
import { cloneWeights, type RnnWeights } from './types.ts';

/** The rule's settings, all resolved (see resolveEarlyStopRule for the defaults). */
export interface EarlyStopRule {
  /** Evaluations after the warm-up without a relative improvement of minDelta that stop the run (≥ 1). */
  patience: number;
  /** The relative improvement on the best score so far that resets the count (default 1e-6, the ALM's PROGRESS_TOLERANCE). */
  minDelta: number;
  /** Evaluations that are scored but not counted towards patience (default a tenth of the cap's). */
  warmupEvals: number;
}

/** Where a run stands; carried in checkpoints, so a resumed run stops where an unbroken one would. */
export interface EarlyStopState {
  /** Evaluations so far. */
  evals: number;
  /** The lowest validation error so far (Infinity while none was finite). */
  bestErr: number;
  /** k*: the count (outer iteration or epoch) of that evaluation; 0 while none was finite. */
  bestK: number;
  /** The weights of that evaluation (what `restore: 'best'` keeps). */
  bestWeights?: RnnWeights;
  /** Evaluations after the warm-up since the last improvement by minDelta. */
  since: number;
  /** The count at which the rule stopped the run; absent while it runs (or when it ran to its cap). */
  stoppedAt?: number;
}

/** What the final model is: retrained for k* on the whole training part, or the best iterate of the fit-part run. */
export type EarlyStopRestore = 'retrain' | 'best';

/**
 * Which of an early-stopped run's two runs a progress report comes from: `fit`, the run on the
 * fit part (the training part minus its last V steps), whose TestErr is the validation error
 * on those V steps; `retrain`, the retraining on the whole training part for k*, whose TestErr
 * is the test part's. With restore `best` there is no `retrain` stage.
 */
export type EarlyStopStage = 'fit' | 'retrain';

/** What early stopping found for one run (one trial of a grid). */
export interface EarlyStopOutcome {
  /** k*: the outer iteration (ALM) or epoch (baselines) with the lowest validation error; 0 when no iterate had a finite one. */
  k: number;
  /** Its validation error (Infinity when none was finite). */
  valErr: number;
  /** Where the run on the fit part ended (the cap when the rule never fired). */
  stoppedAt: number;
  /** Which final model was kept (`best` also when the user stopped the run on the fit part: it had no k* to retrain for yet). */
  restore: EarlyStopRestore;
}

/** The default relative improvement that counts. */
export const DEFAULT_MIN_DELTA = 1e-6;

/** Evaluations per run the baselines' default scoring interval aims at. */
export const BASELINE_EVALUATIONS = 500;

/** The baselines' default scoring interval E: about BASELINE_EVALUATIONS evaluations per run. */
export function defaultEvaluationInterval(epochs: number): number {
  return Math.max(1, Math.round(epochs / BASELINE_EVALUATIONS));
}

/** The rule with its defaults: warm-up and patience a tenth of the evaluations the cap allows (patience at least 1). */
export function resolveEarlyStopRule(capEvaluations: number, given: Partial<EarlyStopRule> = {}): EarlyStopRule {
  const tenth = Math.round(capEvaluations / 10);
  return {
    patience: given.patience ?? Math.max(1, tenth),
    minDelta: given.minDelta ?? DEFAULT_MIN_DELTA,
    warmupEvals: given.warmupEvals ?? tenth,
  };
}

/** The state before the first evaluation. */
export function initialEarlyStop(): EarlyStopState {
  return { evals: 0, bestErr: Infinity, bestK: 0, since: 0 };
}

/**
 * Records the validation error `valErr` of the weights after `k` outer iterations or epochs;
 * returns the new state, with stoppedAt set when the rule stops the run here. A non-finite
 * score counts as no improvement.
 */
export function recordEvaluation(state: EarlyStopState, k: number, valErr: number, weights: RnnWeights, rule: EarlyStopRule): EarlyStopState {
  const score = Number.isFinite(valErr) ? valErr : Infinity;
  const evals = state.evals + 1;
  const improvedByDelta = score < state.bestErr && (state.bestErr === Infinity || score < state.bestErr * (1 - rule.minDelta));
  const next: EarlyStopState = { ...state, evals };
  // k* is the argmin, even of an improvement too small to reset the count (the earlier on a tie).
  if (score < state.bestErr) {
    next.bestErr = score;
    next.bestK = k;
    next.bestWeights = cloneWeights(weights);
  }
  if (improvedByDelta) next.since = 0;
  else if (evals > rule.warmupEvals) next.since = state.since + 1;
  if (evals > rule.warmupEvals && next.since >= rule.patience) next.stoppedAt = k;
  return next;
}

