// The model file: trained Elman RNN weights as JSON, format "alm-rnn/elman@1".
//
//   { "format": "alm-rnn/elman@1", "activation": "relu" | "leaky" | "elu", "omega"?: number,
//     "r", "n", "m", "W": number[][] (r×r), "V" (r×n), "b": number[] (r), "A" (m×r), "c" (m),
//     "standardization"?: { inputMean, inputStd, targetMean, targetStd },
//     "columns"?: { inputs: string[] (n), targets: string[] (m) } }
//
// "columns" names the data's columns, so that `alm-rnn predict` finds them in a new file.
// Matrices are arrays of rows: W[i][j] is row i, column j. "omega" is required for "leaky".
import { DataError, excerpt } from '../errors.ts';
import type { Activation, RnnWeights, Standardization } from './types.ts';

/** The format tag written into and required from every model file. */
export const MODEL_FORMAT = 'alm-rnn/elman@1';

/** The JSON shape of a model file. */
export interface ModelFileJson {
  /** Always MODEL_FORMAT. */
  format: typeof MODEL_FORMAT;
  /** The activation σ. */
  activation: 'relu' | 'leaky' | 'elu';
  /** The leaky-ReLU slope ω (activation `leaky` only). */
  omega?: number;
  /** Hidden units. */
  r: number;
  /** Inputs. */
  n: number;
  /** Targets. */
  m: number;
  /** W, r×r, as rows. */
  W: number[][];
  /** V, r×n, as rows. */
  V: number[][];
  /** b, r. */
  b: number[];
  /** A, m×r, as rows. */
  A: number[][];
  /** c, m. */
  c: number[];
  /** How the training data were standardised, when they were (the weights are in those units). */
  standardization?: Standardization;
  /** The column names trained on, when known. */
  columns?: ModelColumns;
}

/** The names of the columns a model was trained on. */
export interface ModelColumns {
  /** Names of the n input columns. */
  inputs: string[];
  /** Names of the m target columns. */
  targets: string[];
}

/** A model read back from a file. */
export interface ModelFile {
  weights: RnnWeights;
  activation: Activation;
  standardization?: Standardization;
  columns?: ModelColumns;
}

/** Builds the model-file object for the given weights, activation and (optional) standardisation. */
export function modelToJson(weights: RnnWeights, activation: Activation, standardization?: Standardization, columns?: ModelColumns): ModelFileJson {
  const { r, n, m } = weights;
  const out: ModelFileJson = {
    format: MODEL_FORMAT,
    activation: activation.kind,
    r, n, m,
    W: toRows(weights.W, r, r),
    V: toRows(weights.V, r, n),
    b: Array.from(weights.b),
    A: toRows(weights.A, m, r),
    c: Array.from(weights.c),
  };
  if (activation.kind === 'leaky') out.omega = activation.omega;
  if (standardization) {
    out.standardization = {
      inputMean: [...standardization.inputMean],
      inputStd: [...standardization.inputStd],
      targetMean: [...standardization.targetMean],
      targetStd: [...standardization.targetStd],
    };
  }
  if (columns) out.columns = { inputs: [...columns.inputs], targets: [...columns.targets] };
  return out;
}

/** Validates a parsed model file and converts it to weights; throws DataError naming the bad field. */
export function modelFromJson(obj: unknown): ModelFile {
  if (!isRecord(obj)) throw new DataError('model file: expected a JSON object at the top level');
  if (obj.format !== MODEL_FORMAT) {
    throw new DataError(`model file: field "format" must be "${MODEL_FORMAT}", got ${describe(obj.format)}`);
  }
  const r = dimension(obj, 'r');
  const n = dimension(obj, 'n');
  const m = dimension(obj, 'm');
  const activation = readActivation(obj);
  const weights: RnnWeights = {
    r, n, m,
    W: matrix(obj, 'W', r, r),
    V: matrix(obj, 'V', r, n),
    b: vector(obj.b, 'b', r),
    A: matrix(obj, 'A', m, r),
    c: vector(obj.c, 'c', m),
  };
  const result: ModelFile = { weights, activation };
  if (obj.standardization !== undefined) result.standardization = readStandardization(obj.standardization, n, m);
  if (obj.columns !== undefined) result.columns = readColumns(obj.columns, n, m);
  return result;
}

function toRows(a: Float64Array, rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) out.push(Array.from(a.subarray(i * cols, (i + 1) * cols)));
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : excerpt(s);
}

function dimension(obj: Record<string, unknown>, field: string): number {
  const v = obj[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new DataError(`model file: field "${field}" must be a positive integer, got ${describe(v)}`);
  }
  return v;
}

function readActivation(obj: Record<string, unknown>): Activation {
  const kind = obj.activation;
  if (kind === 'relu' || kind === 'elu') return { kind };
  if (kind === 'leaky') {
    const omega = obj.omega;
    if (typeof omega !== 'number' || !(omega > 0 && omega < 1)) {
      throw new DataError(`model file: field "omega" must be a number in (0, 1) for a leaky activation, got ${describe(omega)}`);
    }
    return { kind, omega };
  }
  throw new DataError(`model file: field "activation" must be "relu", "leaky" or "elu", got ${describe(kind)}`);
}

function vector(v: unknown, field: string, len: number): Float64Array {
  if (!Array.isArray(v) || v.length !== len) {
    throw new DataError(`model file: field "${field}" must be an array of ${len} numbers, got ${describe(v)}`);
  }
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new DataError(`model file: field "${field}" entry ${i} must be a finite number, got ${describe(x)}`);
    }
    out[i] = x;
  }
  return out;
}

function matrix(obj: Record<string, unknown>, field: string, rows: number, cols: number): Float64Array {
  const v = obj[field];
  if (!Array.isArray(v) || v.length !== rows) {
    throw new DataError(`model file: field "${field}" must be a ${rows}×${cols} array of rows, got ${describe(v)}`);
  }
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(vector(v[i], `${field}[${i}]`, cols), i * cols);
  return out;
}

function readStandardization(v: unknown, n: number, m: number): Standardization {
  if (!isRecord(v)) throw new DataError(`model file: field "standardization" must be an object, got ${describe(v)}`);
  const field = (name: keyof Standardization, len: number, positive: boolean): number[] => {
    const arr = Array.from(vector(v[name], `standardization.${name}`, len));
    if (positive) {
      const bad = arr.findIndex((x) => !(x > 0));
      if (bad >= 0) {
        throw new DataError(`model file: field "standardization.${name}" entry ${bad} must be positive, got ${arr[bad]}`);
      }
    }
    return arr;
  };
  return {
    inputMean: field('inputMean', n, false),
    inputStd: field('inputStd', n, true),
    targetMean: field('targetMean', m, false),
    targetStd: field('targetStd', m, true),
  };
}

function readColumns(v: unknown, n: number, m: number): ModelColumns {
  if (!isRecord(v)) throw new DataError(`model file: field "columns" must be an object, got ${describe(v)}`);
  const names = (field: 'inputs' | 'targets', len: number): string[] => {
    const a = v[field];
    if (!Array.isArray(a) || a.length !== len || a.some((x) => typeof x !== 'string')) {
      throw new DataError(`model file: field "columns.${field}" must be an array of ${len} column names, got ${describe(a)}`);
    }
    // A repeated name would take one column of the data twice (and predict would feed it to two inputs).
    const first = new Map<string, number>();
    (a as string[]).forEach((name, j) => {
      const i = first.get(name);
      if (i !== undefined) {
        throw new DataError(`model file: field "columns.${field}" names the column "${excerpt(name)}" twice (entries ${i} and ${j}): `
          + `each ${field === 'inputs' ? 'input' : 'target'} must be a column of its own; name the columns as in the data the model was trained on`);
      }
      first.set(name, j);
    });
    return a as string[];
  };
  return { inputs: names('inputs', n), targets: names('targets', m) };
}
