// A saved model run over a new series: its columns found in the file, the inputs mapped with
// the model's standardisation, the forward pass from h₀ = 0 (optionally carried through a
// warm-up prefix), and the predictions mapped back to raw units, with the errors against the
// targets when the file has them. Pure (no fs), so it runs in the browser too. The public Model
// (src/api/model.ts) checks its arguments and runs this; `alm-rnn predict` runs the Model.
import { DataError, excerptList, NonFinitePredictionError } from '../errors.ts';
import { forward } from './model.ts';
import type { ModelFile } from './model-file.ts';
import type { Series } from './types.ts';

/** Per-step predictions in raw units and, when the targets were there, the targets and errors. */
export interface Prediction {
  /** Steps predicted (T − warmup). */
  steps: number;
  /** Rows of the file the predictions start at (0-based step = warmup). */
  warmup: number;
  targetNames: string[];
  /** steps×m predictions, raw units. */
  predictions: Float64Array;
  /** steps×m targets, raw units, when the file has them. */
  targets?: Float64Array;
  /** When the targets are there: mean squared error per target (raw units), and the mean of ||y_t − ŷ_t||² in raw and standardised units. */
  errors?: { perTarget: number[]; raw: number; standardized?: number };
}

/** The model's n inputs (and, when present, its m targets) taken from a parsed series, by name or by position. */
export function selectColumns(model: ModelFile, series: Series, source: string): { x: Float64Array; y?: Float64Array; targetNames: string[] } {
  const { n, m } = model.weights;
  const byName = new Map<string, { data: Float64Array; width: number; col: number }>();
  series.inputNames.forEach((name, j) => byName.set(name, { data: series.x, width: series.n, col: j }));
  series.targetNames.forEach((name, k) => byName.set(name, { data: series.y, width: series.m, col: k }));
  const all = [...series.inputNames, ...series.targetNames];
  const gather = (names: string[]): Float64Array => {
    const out = new Float64Array(series.T * names.length);
    names.forEach((name, j) => {
      const c = byName.get(name)!;
      for (let t = 0; t < series.T; t++) out[t * names.length + j] = c.data[t * c.width + c.col];
    });
    return out;
  };

  let inputs: string[];
  let targets: string[];
  if (model.columns) {
    inputs = model.columns.inputs;
    targets = model.columns.targets;
    const missing = inputs.filter((name) => !byName.has(name));
    if (missing.length > 0) {
      throw new DataError(`${source} has no column ${excerptList(missing, true)} that the model takes as input; its columns: ${excerptList(all)}`);
    }
    const present = targets.filter((name) => byName.has(name));
    if (present.length > 0 && present.length < targets.length) {
      const absent = targets.filter((name) => !byName.has(name));
      throw new DataError(`${source} has some of the model's targets but not ${excerptList(absent, true)}: give all of them (for errors) or none`);
    }
    if (present.length === 0) return { x: gather(inputs), targetNames: targets };
    return { x: gather(inputs), y: gather(targets), targetNames: targets };
  }
  // A model file without column names: the numeric columns in order, n inputs then m targets.
  if (all.length === n) return { x: gather(all), targetNames: Array.from({ length: m }, (_, k) => `y${k + 1}`) };
  if (all.length === n + m) {
    inputs = all.slice(0, n);
    targets = all.slice(n);
    return { x: gather(inputs), y: gather(targets), targetNames: targets };
  }
  throw new DataError(
    `${source} has ${all.length} numeric columns, but the model (which does not name its columns) takes ${n} inputs: ` +
      `give ${n} columns (inputs only) or ${n + m} (inputs, then the ${m} target${m === 1 ? '' : 's'})`,
  );
}

/**
 * Runs the model over the series; predictions from step `warmup` on (the earlier steps carry the
 * hidden state in). `warmup` must be an integer in [0, T − 1] (Model checks it). Predictions that
 * are not finite throw a NonFinitePredictionError naming the first.
 */
export function predictSeries(model: ModelFile, series: Series, source: string, warmup = 0): Prediction {
  const { n, m } = model.weights;
  const { x, y, targetNames } = selectColumns(model, series, source);
  const s = model.standardization;
  const xs = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) xs[i] = s ? (x[i] - s.inputMean[i % n]) / s.inputStd[i % n] : x[i];
  const { yHat: yHatStd } = forward(model.weights, model.activation, xs, series.T);
  const steps = series.T - warmup;
  const predictions = new Float64Array(steps * m);
  let firstBad = -1;
  let bad = 0;
  for (let i = 0; i < predictions.length; i++) {
    const k = i % m;
    const v = yHatStd[warmup * m + i];
    predictions[i] = s ? v * s.targetStd[k] + s.targetMean[k] : v;
    if (!Number.isFinite(predictions[i])) {
      if (firstBad < 0) firstBad = i;
      bad++;
    }
  }
  if (firstBad >= 0) {
    throw new NonFinitePredictionError(source, warmup + Math.floor(firstBad / m), targetNames[firstBad % m], predictions[firstBad], bad, predictions.length);
  }
  const out: Prediction = { steps, warmup, targetNames, predictions };
  if (y) {
    const targets = y.slice(warmup * m);
    out.targets = targets;
    const perTarget = new Array<number>(m).fill(0);
    let std = 0;
    for (let i = 0; i < predictions.length; i++) {
      const k = i % m;
      const d = targets[i] - predictions[i];
      perTarget[k] += (d * d) / steps;
      if (s) std += (d / s.targetStd[k]) ** 2 / steps;
    }
    out.errors = { perTarget, raw: perTarget.reduce((a, b) => a + b, 0) };
    if (s) out.errors.standardized = std;
  }
  return out;
}

/** What predictionsToCsv writes: per-step predictions (and targets) of named target columns. */
export interface PredictionTable {
  steps: number;
  targetNames: readonly string[];
  /** steps×m, row-major. */
  predictions: Float64Array;
  /** steps×m, row-major, when the targets are known. */
  targets?: Float64Array;
}

/**
 * The predictions as CSV: the label column when there is one (a name, and a label per step),
 * then NAME_pred (and NAME when the targets are there) per target.
 */
export function predictionsToCsv(p: PredictionTable, labels?: { name: string; values: readonly string[] }): string {
  const m = p.targetNames.length;
  const header = [...(labels ? [labels.name] : []), ...p.targetNames.flatMap((name) => (p.targets ? [`${name}_pred`, name] : [`${name}_pred`]))];
  const lines = [header.map(csvField).join(',')];
  for (let t = 0; t < p.steps; t++) {
    const row: string[] = labels ? [csvField(labels.values[t])] : [];
    for (let k = 0; k < m; k++) {
      row.push(String(p.predictions[t * m + k]));
      if (p.targets) row.push(String(p.targets[t * m + k]));
    }
    lines.push(row.join(','));
  }
  return lines.join('\n') + '\n';
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
