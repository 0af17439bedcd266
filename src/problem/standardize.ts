// Standardisation (mean 0, population std 1 per column) and the train/test split point.
import { DataError, ParameterError } from '../errors.ts';
import type { Series, Standardization } from './types.ts';

/** Which steps the statistics come from: the whole series (the paper) or the first T1 steps. */
export type StandardizeMode = 'whole' | 'train';

/** Options of standardize. */
export interface StandardizeOptions {
  mode: StandardizeMode;
  /** Number of training steps; required for mode 'train'. */
  T1?: number;
  /** Standardise every column (default) or only the targets (inputs keep mean 0, std 1 in the record). */
  columns?: 'all' | 'targets';
}

/** A standardised series together with the map that produced it. */
export interface StandardizeResult {
  series: Series;
  standardization: Standardization;
}

/** Relative size below which a column's std counts as zero. */
const CONSTANT_TOLERANCE = 1e-12;

/** Mean and population std (divide by N) of column `col` of a rows×width matrix over rows [0, count). */
export function columnStats(data: Float64Array, width: number, col: number, count: number): { mean: number; std: number; maxAbs: number } {
  let sum = 0;
  let maxAbs = 0;
  for (let t = 0; t < count; t++) {
    const v = data[t * width + col];
    sum += v;
    if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
  }
  const mean = sum / count;
  let ss = 0;
  for (let t = 0; t < count; t++) {
    const d = data[t * width + col] - mean;
    ss += d * d;
  }
  return { mean, std: Math.sqrt(ss / count), maxAbs };
}

/** Per-column mean/std over the first `count` rows; a constant column is a DataError naming it. */
function statsOf(data: Float64Array, width: number, count: number, names: string[], range: string): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < width; j++) {
    const s = columnStats(data, width, j, count);
    if (s.std === 0 || s.std < CONSTANT_TOLERANCE * s.maxAbs) {
      throw new DataError(
        `column "${names[j]}" is constant over ${range} (value ${s.mean}), so it cannot be standardised; ` +
          'remove the column or pass --no-standardize',
      );
    }
    mean.push(s.mean);
    std.push(s.std);
  }
  return { mean, std };
}

/** Returns (v − mean) / std applied column-wise to a rows×width matrix. */
function mapColumns(data: Float64Array, width: number, mean: number[], std: number[]): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const j = i % width;
    out[i] = (data[i] - mean[j]) / std[j];
  }
  return out;
}

/** Standardises a series to mean 0 and std 1 per column, with statistics of the whole series or its first T1 steps. */
export function standardize(series: Series, options: StandardizeOptions): StandardizeResult {
  const { T, n, m } = series;
  let count = T;
  let range = `all ${T} steps`;
  if (options.mode === 'train') {
    const T1 = options.T1;
    if (T1 === undefined || !Number.isInteger(T1) || T1 < 2 || T1 > T) {
      throw new ParameterError('T1', T1, `an integer in [2, ${T}] is needed to standardise on the training part`);
    }
    count = T1;
    range = `the first ${T1} (training) steps`;
  } else if (options.mode !== 'whole') {
    throw new ParameterError('standardize', options.mode, "one of 'whole', 'train'");
  }
  const targetsOnly = options.columns === 'targets';
  const inputStats = targetsOnly
    ? { mean: new Array<number>(n).fill(0), std: new Array<number>(n).fill(1) }
    : statsOf(series.x, n, count, series.inputNames, range);
  const targetStats = statsOf(series.y, m, count, series.targetNames, range);
  const standardization: Standardization = {
    inputMean: inputStats.mean,
    inputStd: inputStats.std,
    targetMean: targetStats.mean,
    targetStd: targetStats.std,
  };
  return { series: applyStandardization(series, standardization), standardization };
}

/** Applies a given standardisation to a series (e.g. new data mapped like the training data). */
export function applyStandardization(series: Series, s: Standardization): Series {
  if (s.inputMean.length !== series.n || s.targetMean.length !== series.m) {
    throw new DataError(
      `standardisation is for ${s.inputMean.length} inputs and ${s.targetMean.length} targets, ` +
        `but the series has ${series.n} inputs and ${series.m} targets`,
    );
  }
  const out: Series = {
    ...series,
    x: mapColumns(series.x, series.n, s.inputMean, s.inputStd),
    y: mapColumns(series.y, series.m, s.targetMean, s.targetStd),
    inputNames: [...series.inputNames],
    targetNames: [...series.targetNames],
  };
  if (series.labels) out.labels = [...series.labels];
  return out;
}

/** Maps standardised targets or predictions (rows×m) back to the original units. */
export function unstandardizeTargets(y: Float64Array, s: Standardization): Float64Array {
  const m = s.targetMean.length;
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const k = i % m;
    out[i] = y[i] * s.targetStd[k] + s.targetMean[k];
  }
  return out;
}

/** Number of training steps T1 = round(T·trainFraction), which must leave at least one train and one test step. */
export function splitPoint(T: number, trainFraction: number): number {
  if (!Number.isInteger(T) || T < 2) {
    throw new ParameterError('train-fraction', trainFraction, `a series of ${T} steps cannot be split: at least 2 steps are needed`);
  }
  if (!Number.isFinite(trainFraction) || trainFraction <= 0 || trainFraction >= 1) {
    throw new ParameterError('train-fraction', trainFraction, 'a number strictly between 0 and 1');
  }
  const T1 = Math.round(T * trainFraction);
  if (T1 < 1 || T1 > T - 1) {
    const lo = (0.5 / T).toPrecision(3);
    const hi = (1 - 0.5 / T).toPrecision(3);
    throw new ParameterError(
      'train-fraction',
      trainFraction,
      `round(${T}·${trainFraction}) = ${T1} must leave at least 1 training and 1 test step of the ${T}; use a value in [${lo}, ${hi})`,
    );
  }
  return T1;
}
