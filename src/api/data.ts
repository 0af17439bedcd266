// Data handed to the API in memory — rows (number[][]) or row-major typed arrays — checked and
// turned into the engine's Series: shapes, finiteness and names, each refusal naming the
// option and the offending row and column.
import type { Series } from '../problem/types.ts';
import { describeValue, OptionError } from './errors.ts';

/**
 * A matrix of T rows (time steps) and k columns: rows as `number[][]`, or row-major values as a
 * `Float64Array` / `Float32Array` / `number[]` (then the column count comes from the call: one
 * column for targets unless stated). A single column may also be given as a flat array.
 */
export type Matrix = ReadonlyArray<ReadonlyArray<number>> | Float64Array | Float32Array | ReadonlyArray<number>;

/** A matrix read into row-major float64 values. */
export interface ReadMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

function isRows(v: Matrix): v is ReadonlyArray<ReadonlyArray<number>> {
  return Array.isArray(v) && v.length > 0 && Array.isArray(v[0]);
}

/**
 * Reads `value` (the option `option`) as a matrix; `cols` is the column count of flat values
 * (undefined: inferred from `rows` when given, else 1). Every value must be a finite number.
 */
export function readMatrix(option: string, value: unknown, shape: { cols?: number; rows?: number } = {}): ReadMatrix {
  if (value === undefined || value === null) throw new OptionError(option, undefined, 'is required (rows as number[][], or row-major values as a Float64Array)');
  if (!(Array.isArray(value) || value instanceof Float64Array || value instanceof Float32Array)) {
    throw new OptionError(option, value, 'must be rows (number[][]) or row-major values (Float64Array, Float32Array or number[])');
  }
  const m = value as Matrix;
  if (m.length === 0) throw new OptionError(option, value, 'is empty (it needs one row per time step)');
  if (isRows(m)) {
    const cols = m[0].length;
    if (cols === 0) throw new OptionError(`${option}[0]`, m[0], 'is an empty row (each row holds one value per column)');
    const data = new Float64Array(m.length * cols);
    m.forEach((row, t) => {
      if (!Array.isArray(row)) throw new OptionError(`${option}[${t}]`, row, 'must be a row (an array of numbers) like the rows before it');
      if (row.length !== cols) throw new OptionError(`${option}[${t}]`, row, `has ${row.length} values where row 0 has ${cols}: every row needs the same number of columns`);
      for (let j = 0; j < cols; j++) {
        const x = row[j];
        if (typeof x !== 'number' || !Number.isFinite(x)) throw new OptionError(`${option}[${t}][${j}]`, x, 'must be a finite number');
        data[t * cols + j] = x;
      }
    });
    if (shape.cols !== undefined && shape.cols !== cols) throw new OptionError(option, value, `has ${cols} columns, but ${shape.cols} were stated`);
    return { rows: m.length, cols, data };
  }
  const flat = m as ArrayLike<number>;
  let cols = shape.cols;
  if (cols === undefined) {
    if (shape.rows !== undefined && shape.rows > 0 && flat.length % shape.rows === 0) cols = flat.length / shape.rows;
    else cols = 1;
  }
  if (!(Number.isInteger(cols) && cols >= 1)) throw new OptionError(`${option} columns`, cols, 'must be an integer ≥ 1');
  if (flat.length % cols !== 0) {
    throw new OptionError(option, value, `holds ${flat.length} values, not a whole number of rows of ${cols} columns`);
  }
  const data = new Float64Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const x = flat[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new OptionError(`${option}[${Math.floor(i / cols)}][${i % cols}]`, x, `must be a finite number (flat index ${i})`);
    }
    data[i] = x;
  }
  return { rows: flat.length / cols, cols, data };
}

/** Reads a list of column names (or makes x1…xk / y1…yk), checking count and uniqueness. */
export function readNames(option: string, value: unknown, count: number, prefix: string): string[] {
  if (value === undefined) return Array.from({ length: count }, (_, j) => `${prefix}${j + 1}`);
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && s.length > 0)) {
    throw new OptionError(option, value, 'must be an array of non-empty strings');
  }
  if (value.length !== count) throw new OptionError(option, value, `names ${value.length} columns, the data have ${count}`);
  const seen = new Set<string>();
  for (const name of value as string[]) {
    if (seen.has(name)) throw new OptionError(option, value, `names the column ${describeValue(name)} twice`);
    seen.add(name);
  }
  return [...(value as string[])];
}

/** The data of a training call: inputs and targets of equal length, with their column names. */
export interface SeriesData {
  /** Inputs x_t, one row per step (T×n). */
  inputs: Matrix;
  /** Targets y_t, one row per step (T×m). */
  targets: Matrix;
  /** Names of the n input columns (default x1…xn); kept in the model file. */
  inputNames?: string[];
  /** Names of the m target columns (default y1…ym); kept in the model file. */
  targetNames?: string[];
}

/** Builds a Series from the call's data, refusing mismatched lengths. */
export function readSeries(data: SeriesData): Series {
  const targets = readMatrix('targets', data.targets, { cols: data.targetNames?.length });
  const inputs = readMatrix('inputs', data.inputs, { rows: targets.rows, cols: data.inputNames?.length });
  if (inputs.rows !== targets.rows) {
    throw new OptionError('inputs', data.inputs, `has ${inputs.rows} rows (steps) but targets has ${targets.rows}: give one input row and one target row per time step`);
  }
  return {
    T: targets.rows,
    n: inputs.cols,
    m: targets.cols,
    x: inputs.data,
    y: targets.data,
    inputNames: readNames('inputNames', data.inputNames, inputs.cols, 'x'),
    targetNames: readNames('targetNames', data.targetNames, targets.cols, 'y'),
  };
}
