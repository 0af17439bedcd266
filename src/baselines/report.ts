// What a baseline training reports (per epoch, and why it stopped) and the losses it can
// minimise: apart from the training loop (train.ts) so that the public API's declarations carry
// them without the loop's own options and kernels.
import type { EarlyStopStage } from '../problem/early-stop.ts';

/**
 * The data term a baseline minimises: `sum`, the squared error summed over the m outputs and
 * averaged over the steps (the ALM's TrainErr, docs/method.md §1); or `keras-mse`, Keras' "mse",
 * averaged over the outputs too: the data term divided by m, with the λ terms as they are (Keras
 * adds its regularisation losses to the mean loss). For gd that divides the learning rate of the
 * data term by m; Adam is nearly blind to the scale. TrainErr and TestErr stay in the `sum` units.
 */
export const BASELINE_LOSSES = ['sum', 'keras-mse'] as const;
/** The data term a baseline minimises: `sum` (the ALM's) or `keras-mse` (divided by m). @useDeclaredType */
export type BaselineLoss = (typeof BASELINE_LOSSES)[number];

/** Progress after one epoch. */
export interface EpochReport {
  /** The epoch, from 1. */
  epoch: number;
  /** The training objective: TrainErr (divided by m for keras-mse) + the λ terms. */
  loss: number;
  /** TrainErr of the current weights (standardised units). */
  trainErr: number;
  /** TestErr of the current weights (NaN without a test part). */
  testErr: number;
  /** Wall-clock seconds since training started. */
  seconds: number;
  /** With early stopping, in the onEpoch reports: which run this epoch belongs to (`fit`: its testErr is the validation error). Absent otherwise. */
  stage?: EarlyStopStage;
}

/** Why training stopped: it ran its epochs, the user stopped it, it diverged, or early stopping ended it (on the validation split). */
export type BaselineStop = 'epochs' | 'aborted' | 'diverged' | 'early-stop';

