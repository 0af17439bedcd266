// Choosing among trials on a validation split (the experiments' protocol, src/problem/validation.ts):
// every trial is trained on its training part minus the last V steps, as one batch, and scored
// by the mean squared error on those V steps with the hidden state carried in; the trial with
// the lowest score is chosen. The test part is never seen. The caller retrains the chosen
// setting on the whole training part. Shared by `alm-rnn train --select validation`, the page,
// and early stopping (src/alm/early-stop.ts), whose run on the fit part is scored the same way.
import type { BcdBackend } from '../backends/backend.ts';
import { evaluate, type TestHidden } from '../problem/model.ts';
import { validationProblem } from '../problem/validation.ts';
import { ParameterError } from '../errors.ts';
import { runAlmBatch, type AlmResult, type AlmRunOptions, type AlmTrial } from './alm.ts';

/** What a selection found. */
export interface ValidationSelection {
  validationSteps: number;
  /** Each trial's validation score; Infinity where the fit diverged (non-finite) or broke down. */
  scores: number[];
  /** The chosen trial: the lowest score, the earlier one on a tie. */
  chosen: number;
  /** The runs on the fit part, one per trial. */
  fits: AlmResult[];
}

/** The index of the lowest score (ties: the earlier; all non-finite: 0). */
export function lowestScore(scores: readonly number[]): number {
  let best = 0;
  scores.forEach((s, i) => {
    if (s < scores[best] || (!Number.isFinite(scores[best]) && Number.isFinite(s))) best = i;
  });
  return best;
}

/** Refuses a V that leaves fewer than 2 steps to fit on. */
export function checkValidationSteps(V: number, T1: number): void {
  if (!(Number.isInteger(V) && V >= 1 && V <= T1 - 2)) {
    throw new ParameterError('--validation-steps', V, `an integer in [1, ${T1 - 2}] (the training part has ${T1} steps; at least 2 must remain to fit on)`);
  }
}

/** Trains every trial on its fit part (one batch on `backend`) and scores it on the validation part. */
export async function selectOnValidation(
  backend: BcdBackend,
  trials: readonly AlmTrial[],
  validationSteps: number,
  options: AlmRunOptions = {},
): Promise<ValidationSelection> {
  return fitOnValidation(backend, trials.map((t) => ({ ...t, resume: undefined })), validationSteps, options);
}

/**
 * selectOnValidation, continuing each trial's `resume` (a checkpoint of its run on the fit
 * part). With options.earlyStop a trial's score is its best validation error (its k*'s), not
 * its last iterate's.
 */
export async function fitOnValidation(
  backend: BcdBackend,
  trials: readonly AlmTrial[],
  validationSteps: number,
  options: AlmRunOptions = {},
): Promise<ValidationSelection> {
  const testHidden: TestHidden = options.testHidden ?? 'carry';
  const fitTrials = trials.map((t) => {
    checkValidationSteps(validationSteps, t.problem.T1);
    return { ...t, problem: validationProblem(t.problem, validationSteps) };
  });
  const fits = await runAlmBatch(backend, fitTrials, options);
  const scores = fits.map((r, i) => {
    if (r.stopReason === 'failed') return Infinity;
    const score = r.loopState.earlyStop?.bestErr ?? evaluate(r.weights, fitTrials[i].problem, testHidden).testErr;
    return Number.isFinite(score) ? score : Infinity;
  });
  return { validationSteps, scores, chosen: lowestScore(scores), fits };
}
