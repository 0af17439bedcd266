// The Elman forward pass and the error measures of the paper (TrainErr, TestErr).
import { activate } from './activations.ts';
import type { Activation, Problem, RnnWeights, Series } from './types.ts';

/** Predictions ŷ (T×m) and hidden states h (T×r) of running the RNN over a whole series from h_0 = 0. */
export interface ForwardResult {
  yHat: Float64Array;
  h: Float64Array;
}

/**
 * Runs h_t = σ(W h_{t−1} + V x_t + b), ŷ_t = A h_t + c over every step of `x` (T×n).
 * `resetAt`, when given, restarts the hidden state at 0 before that 0-based step
 * (the authors' script does this at the first test step).
 */
export function forward(w: RnnWeights, act: Activation, x: Float64Array, T: number, resetAt?: number): ForwardResult {
  const { r, n, m, W, V, b, A, c } = w;
  const h = new Float64Array(T * r);
  const yHat = new Float64Array(T * m);
  for (let t = 0; t < T; t++) {
    const carry = t > 0 && t !== resetAt;
    const hOff = t * r;
    const prevOff = (t - 1) * r;
    const xOff = t * n;
    for (let i = 0; i < r; i++) {
      let s = b[i];
      const wi = i * r;
      if (carry) for (let j = 0; j < r; j++) s += W[wi + j] * h[prevOff + j];
      const vi = i * n;
      for (let j = 0; j < n; j++) s += V[vi + j] * x[xOff + j];
      h[hOff + i] = activate(act, s);
    }
    for (let k = 0; k < m; k++) {
      let s = c[k];
      const ak = k * r;
      for (let j = 0; j < r; j++) s += A[ak + j] * h[hOff + j];
      yHat[t * m + k] = s;
    }
  }
  return { yHat, h };
}

/** Mean over steps [from, to) of ||y_t − ŷ_t||². */
export function meanSquaredError(y: Float64Array, yHat: Float64Array, m: number, from: number, to: number): number {
  if (to <= from) return NaN;
  let sum = 0;
  for (let i = from * m; i < to * m; i++) {
    const d = y[i] - yHat[i];
    sum += d * d;
  }
  return sum / (to - from);
}

/** How the test part's hidden state starts: carried on from training (the paper) or reset to 0 (the authors' script). */
export type TestHidden = 'carry' | 'reset';

/** TrainErr and TestErr of the paper for the given weights. */
export interface Errors {
  trainErr: number;
  testErr: number;
}

/** TrainErr over steps 1..T1 and TestErr over T1+1..T, running forward from h_0 = 0. */
export function evaluate(w: RnnWeights, problem: Problem, testHidden: TestHidden = 'carry'): Errors {
  const s: Series = problem.series;
  const { yHat } = forward(w, problem.activation, s.x, s.T, testHidden === 'reset' ? problem.T1 : undefined);
  return {
    trainErr: meanSquaredError(s.y, yHat, s.m, 0, problem.T1),
    testErr: meanSquaredError(s.y, yHat, s.m, problem.T1, s.T),
  };
}
