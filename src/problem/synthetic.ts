// The synthetic data of the paper's Table 1: a random ReLU Elman RNN driven by U(−1, 1)
// inputs, with Gaussian output noise; outputs standardised over the whole series afterwards.
import { ParameterError } from '../errors.ts';
import { forward } from './model.ts';
import { Rng } from './rng.ts';
import { columnStats } from './standardize.ts';
import type { RnnWeights, Series, Standardization } from './types.ts';
import { zeroWeights } from './types.ts';

/** Sizes and scales of a synthetic data set. */
export interface SyntheticSizes {
  /** Time steps. */
  T: number;
  /** Inputs. */
  n: number;
  /** Targets. */
  m: number;
  /** Hidden units of the generating RNN. */
  r: number;
  /** Standard deviation of A, W, V, b, c (default 0.8, the small set's). */
  weightStd?: number;
  /** Standard deviation of the output noise (default 1e−3, the small set's). */
  noiseStd?: number;
}

/**
 * The two sets of Table 1 (fields as in SyntheticSizes).
 * @property __type.small.__type.T time steps
 * @property __type.small.__type.n inputs
 * @property __type.small.__type.m targets
 * @property __type.small.__type.r hidden units of the generating RNN
 * @property __type.small.__type.weightStd standard deviation of the weights
 * @property __type.small.__type.noiseStd standard deviation of the output noise
 * @property __type.large.__type.T time steps
 * @property __type.large.__type.n inputs
 * @property __type.large.__type.m targets
 * @property __type.large.__type.r hidden units of the generating RNN
 * @property __type.large.__type.weightStd standard deviation of the weights
 * @property __type.large.__type.noiseStd standard deviation of the output noise
 */
export const SYNTHETIC_PRESETS = {
  /** The small set: T=10, n=5, m=3, r=4. */
  small: { T: 10, n: 5, m: 3, r: 4, weightStd: 0.8, noiseStd: 1e-3 },
  /** The large set: T=500, n=80, m=30, r=100. */
  large: { T: 500, n: 80, m: 30, r: 100, weightStd: 0.05, noiseStd: 1e-5 },
} as const satisfies Record<string, Required<SyntheticSizes>>;

/** Name of a Table 1 preset. */
export type SyntheticPreset = keyof typeof SYNTHETIC_PRESETS;

/** A generated series with the weights that produced it. */
export interface SyntheticData {
  /** Inputs U(−1, 1) as drawn; outputs standardised to mean 0, variance 1 over all T steps. */
  series: Series;
  /** The true RNN; it maps x to the outputs before standardisation (plus noise). */
  weights: RnnWeights;
  /** Output standardisation applied after generation (inputs: mean 0, std 1, i.e. untouched). */
  standardization: Standardization;
  /** The sizes and scales used. */
  sizes: Required<SyntheticSizes>;
}

/** Checks and completes custom sizes; names the offending field. */
function resolveSizes(spec: SyntheticPreset | SyntheticSizes): Required<SyntheticSizes> {
  if (typeof spec === 'string') {
    const preset = SYNTHETIC_PRESETS[spec];
    if (!preset) throw new ParameterError('synthetic preset', spec, `one of ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
    return { ...preset };
  }
  const sizes = { weightStd: 0.8, noiseStd: 1e-3, ...spec };
  for (const key of ['T', 'n', 'm', 'r'] as const) {
    const v = sizes[key];
    if (!Number.isInteger(v) || v < 1) throw new ParameterError(key, v, 'a positive integer');
  }
  if (sizes.T < 2) throw new ParameterError('T', sizes.T, 'an integer ≥ 2');
  if (!(sizes.weightStd > 0) || !Number.isFinite(sizes.weightStd)) throw new ParameterError('weightStd', sizes.weightStd, 'a finite number > 0');
  if (!(sizes.noiseStd >= 0) || !Number.isFinite(sizes.noiseStd)) throw new ParameterError('noiseStd', sizes.noiseStd, 'a finite number ≥ 0');
  return sizes;
}

/** Generates a Table 1 series (preset or custom sizes) from a seed; the same seed gives the same data. */
export function generateSynthetic(spec: SyntheticPreset | SyntheticSizes, seed: number): SyntheticData {
  const sizes = resolveSizes(spec);
  const { T, n, m, r, weightStd, noiseStd } = sizes;
  const rng = new Rng(seed);
  // Draw order: A, W, V, b, c, inputs (time-major), noise (time-major).
  const weights = zeroWeights(r, n, m);
  rng.fillNormal(weights.A, weightStd);
  rng.fillNormal(weights.W, weightStd);
  rng.fillNormal(weights.V, weightStd);
  rng.fillNormal(weights.b, weightStd);
  rng.fillNormal(weights.c, weightStd);
  const x = rng.fillUniform(new Float64Array(T * n), -1, 1);
  const noise = rng.fillNormal(new Float64Array(T * m), noiseStd);

  const { yHat } = forward(weights, { kind: 'relu' }, x, T);
  const y = new Float64Array(T * m);
  const targetMean: number[] = [];
  const targetStd: number[] = [];
  for (let i = 0; i < T * m; i++) y[i] = yHat[i] + noise[i];
  for (let k = 0; k < m; k++) {
    const { mean, std } = columnStats(y, m, k, T);
    const s = std > 0 ? std : 1; // only possible without noise and with a dead output
    for (let t = 0; t < T; t++) y[t * m + k] = (y[t * m + k] - mean) / s;
    targetMean.push(mean);
    targetStd.push(s);
  }
  const series: Series = {
    T, n, m, x, y,
    inputNames: Array.from({ length: n }, (_, j) => `x${j + 1}`),
    targetNames: Array.from({ length: m }, (_, k) => `y${k + 1}`),
  };
  const standardization: Standardization = {
    inputMean: new Array<number>(n).fill(0),
    inputStd: new Array<number>(n).fill(1),
    targetMean,
    targetStd,
  };
  return { series, weights, standardization, sizes };
}
