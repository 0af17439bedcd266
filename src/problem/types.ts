// Core data types shared by every part of the engine. Matrices are flat Float64Arrays in
// row-major order; time series are time-major (row t holds step t+1).

/** Activation function σ of the Elman RNN. `omega` is the leaky-ReLU slope in (0, 1). */
export type Activation =
  | {
    /** ReLU: max(0, x). */
    kind: 'relu' }
  | {
    /** Leaky ReLU: x for x ≥ 0, ωx below. */
    kind: 'leaky';
    /** The slope ω in (0, 1). */
    omega: number }
  | {
    /** ELU: x for x ≥ 0, eˣ − 1 below. */
    kind: 'elu' };

/** A multivariate time series: T steps of n inputs and m targets, time-major. */
export interface Series {
  /** Steps. */
  T: number;
  /** Input columns. */
  n: number;
  /** Target columns. */
  m: number;
  /** Inputs, T×n row-major: x[t*n + j] is input j at step t+1. */
  x: Float64Array;
  /** Targets, T×m row-major. */
  y: Float64Array;
  /** Names of the input columns. */
  inputNames: string[];
  /** Names of the target columns. */
  targetNames: string[];
  /** Optional per-step labels (the CSV's date/time column). */
  labels?: string[];
}

/** Affine map applied to each column: standardised = (raw − mean) / std. */
export interface Standardization {
  /** Mean of each input column. */
  inputMean: number[];
  /** Standard deviation of each input column. */
  inputStd: number[];
  /** Mean of each target column. */
  targetMean: number[];
  /** Standard deviation of each target column. */
  targetStd: number[];
}

/** Elman RNN weights: h_t = σ(W h_{t−1} + V x_t + b), ŷ_t = A h_t + c. */
export interface RnnWeights {
  /** Hidden units. */
  r: number;
  /** Inputs. */
  n: number;
  /** Targets (outputs). */
  m: number;
  /** r×r */
  W: Float64Array;
  /** r×n */
  V: Float64Array;
  /** r */
  b: Float64Array;
  /** m×r */
  A: Float64Array;
  /** m */
  c: Float64Array;
}

/** A training problem: a (standardised) series, its train/test split and the model shape. */
export interface Problem {
  series: Series;
  /** Number of training steps; steps T1+1..T are the test part. */
  T1: number;
  r: number;
  activation: Activation;
  /** How the series was standardised, when it was (kept so predictions can be mapped back). */
  standardization?: Standardization;
  /** A short name for reports, e.g. "synthetic-small" or a file name. */
  name: string;
}

/** Copies weights so that later in-place updates cannot alias. */
export function cloneWeights(w: RnnWeights): RnnWeights {
  return {
    r: w.r, n: w.n, m: w.m,
    W: w.W.slice(), V: w.V.slice(), b: w.b.slice(), A: w.A.slice(), c: w.c.slice(),
  };
}

/** Zero weights of the given shape. */
export function zeroWeights(r: number, n: number, m: number): RnnWeights {
  return {
    r, n, m,
    W: new Float64Array(r * r), V: new Float64Array(r * n), b: new Float64Array(r),
    A: new Float64Array(m * r), c: new Float64Array(m),
  };
}
