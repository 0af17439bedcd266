// A trained model as the API hands it out: predicts and evaluates in the data's raw units
// (its standardisation applied to the inputs and undone on the outputs), converts to and from
// the model file format `alm-rnn/elman@1` (the JSON the CLI reads and writes) and to TF.js.
import { toTfjsArtifacts, type TfjsArtifacts, type TfjsExportOptions } from '../baselines/tfjs-export.ts';
import { DataError } from '../errors.ts';
import { formatActivation } from '../problem/activations.ts';
import { modelFromJson, modelToJson, type ModelFile, type ModelFileJson } from '../problem/model-file.ts';
import { predictionsToCsv as predictionTableToCsv, predictSeries, type Prediction } from '../problem/predict.ts';
import { cloneWeights, type Activation, type RnnWeights, type Series, type Standardization } from '../problem/types.ts';
import { readMatrix, readNames, type Matrix, type ReadMatrix } from './data.ts';
import { checkKnownKeys, checkObject, OptionError } from './errors.ts';

/** Options of Model.predict and Model.evaluate. */
export interface PredictOptions {
  /**
   * The first `warmup` rows only carry the hidden state in: predictions (and errors) start at
   * row `warmup` (default 0; the hidden state always starts at 0 before row 0).
   */
  warmup?: number;
}

/** Options of Model.predictTable. */
export interface TablePredictOptions extends PredictOptions {
  /** The table's name in error messages, e.g. its file name (default "table"). */
  source?: string;
}

/**
 * Named columns, as readCsv of `alm-rnn/datasets` gives them: the model finds its input
 * columns, and its target columns when they are there, by name among all of them (the split
 * into `inputs` and `targets` does not matter).
 */
export interface TableData {
  /** Columns, one row per step (T×k). */
  inputs: Matrix;
  /** Names of the `inputs` columns. */
  inputNames: string[];
  /** More columns, one row per step (T×l). */
  targets?: Matrix;
  /** Names of the `targets` columns (required with `targets`). */
  targetNames?: string[];
}

/** What Model.predictTable computed. */
export interface TablePrediction {
  /** Steps predicted (rows − warmup). */
  steps: number;
  /** Rows that only carried the hidden state in: predictions start at row `warmup`. */
  warmup: number;
  /** The model's target names, in the order of the predictions' columns. */
  targetNames: string[];
  /** steps×m predictions in raw units, row-major. */
  predictions: Float64Array;
  /** steps×m targets from the table, row-major, when it has every target column. */
  targets?: Float64Array;
  /** The errors against those targets, when it has them. */
  evaluation?: Evaluation;
}

/** A label per predicted step (a CSV's date column), written as the first column of predictionsToCsv. */
export interface PredictionLabels {
  /** The column's header. */
  name: string;
  /** One label per predicted step (rows after the warm-up). */
  values: readonly string[];
}

/**
 * The predictions of Model.predictTable as CSV text, what `alm-rnn predict` writes: the label
 * column when given, then NAME_pred (and NAME, when the table had the targets) per target, one
 * row per predicted step, numbers in raw units as JavaScript prints them (they read back exactly).
 */
export function predictionsToCsv(prediction: TablePrediction, labels?: PredictionLabels): string {
  checkObject(prediction, 'prediction');
  if (!(prediction.predictions instanceof Float64Array) || !Array.isArray(prediction.targetNames)) {
    throw new OptionError('prediction', prediction, 'must be what Model.predictTable returned');
  }
  if (labels !== undefined && !(typeof labels === 'object' && labels !== null && typeof labels.name === 'string' && Array.isArray(labels.values) && labels.values.length >= prediction.steps)) {
    throw new OptionError('labels', labels, `must be { name, values } with a label for each of the ${prediction.steps} steps`);
  }
  return predictionTableToCsv(prediction, labels);
}

/** Errors of a model against targets, from Model.evaluate. */
export interface Evaluation {
  /** Mean over the steps of ||y_t − ŷ_t||² in raw units (the sum over the targets of perTarget). */
  mse: number;
  /** Mean squared error of each target column, raw units. */
  perTarget: number[];
  /** The same mean in the standardised units the model was trained in (the paper's TrainErr/TestErr units); equals mse without standardisation. */
  mseStandardized: number;
  /** Steps the errors are over (rows − warmup). */
  steps: number;
}

/** A trained Elman RNN: h_t = σ(W h_{t−1} + V x_t + b), ŷ_t = A h_t + c. */
export class Model {
  /** The weights (standardised units when `standardization` is set). */
  readonly weights: Readonly<RnnWeights>;
  /** The activation σ. */
  readonly activation: Activation;
  /** How the training data were standardised (undone by predict), when they were. */
  readonly standardization?: Readonly<Standardization>;
  /** Names of the n input columns. */
  readonly inputNames: readonly string[];
  /** Names of the m target columns. */
  readonly targetNames: readonly string[];

  /** Whether the model file named its columns (one without names takes a table's columns in order). */
  readonly #namesColumns: boolean;

  /** @internal Use Model.fromJSON, or the model a training call returns. */
  constructor(file: ModelFile) {
    this.#namesColumns = file.columns !== undefined;
    this.weights = cloneWeights(file.weights);
    this.activation = file.activation;
    this.standardization = file.standardization;
    const { n, m } = file.weights;
    this.inputNames = file.columns?.inputs ?? Array.from({ length: n }, (_, j) => `x${j + 1}`);
    this.targetNames = file.columns?.targets ?? Array.from({ length: m }, (_, k) => `y${k + 1}`);
  }

  /**
   * Reads a model file's JSON (the object, or its text); throws a DataError naming what is wrong
   * (another format, a missing or malformed field).
   */
  static fromJSON(json: unknown): Model {
    let obj = json;
    if (typeof json === 'string') {
      try {
        obj = JSON.parse(json);
      } catch (err) {
        throw new DataError(`model file: not valid JSON (${(err as Error).message})`);
      }
    }
    return new Model(modelFromJson(obj));
  }

  /** Hidden size r. */
  get hidden(): number {
    return this.weights.r;
  }

  /** The model file object (format `alm-rnn/elman@1`); `JSON.stringify(model)` gives the file's text. */
  toJSON(): ModelFileJson {
    return modelToJson(this.weights, this.activation, this.standardization, { inputs: [...this.inputNames], targets: [...this.targetNames] });
  }

  /** The model as a TF.js LayersModel (SimpleRNN + Dense): model.json, weight specs and data. */
  toTfjs(options: TfjsExportOptions = {}): TfjsArtifacts {
    return toTfjsArtifacts(this.toJSON(), options);
  }

  /** One line describing the model, e.g. "Elman RNN r=20, n=8, m=1, relu, standardised". */
  toString(): string {
    const { r, n, m } = this.weights;
    return `Elman RNN r=${r}, n=${n}, m=${m}, ${formatActivation(this.activation)}${this.standardization ? ', standardised' : ''}`;
  }

  /**
   * Predicts the targets of every step (from row `warmup` on) of a series of inputs in raw
   * units, running from h₀ = 0. Rows in, rows out; row-major values in, row-major values out.
   */
  predict(inputs: ReadonlyArray<ReadonlyArray<number>>, options?: PredictOptions): number[][];
  predict(inputs: Float64Array | Float32Array | ReadonlyArray<number>, options?: PredictOptions): Float64Array;
  predict(inputs: Matrix, options: PredictOptions = {}): number[][] | Float64Array {
    const { n, m } = this.weights;
    const x = readMatrix('inputs', inputs, { cols: n });
    const { predictions, steps } = this.run({ T: x.rows, n, m: 0, x: x.data, y: new Float64Array(0), inputNames: [...this.inputNames], targetNames: [] }, 'inputs', options);
    if (Array.isArray(inputs) && Array.isArray(inputs[0])) {
      return Array.from({ length: steps }, (_, t) => Array.from(predictions.subarray(t * m, (t + 1) * m)));
    }
    return predictions;
  }

  /** The model's errors against `targets` (raw units, and in the units it was trained in). */
  evaluate(inputs: Matrix, targets: Matrix, options: PredictOptions = {}): Evaluation {
    const { n, m } = this.weights;
    const x = readMatrix('inputs', inputs, { cols: n });
    const y = readMatrix('targets', targets, { cols: m });
    if (y.rows !== x.rows) throw new OptionError('targets', targets, `has ${y.rows} rows but inputs has ${x.rows}`);
    const p = this.run({ T: x.rows, n, m, x: x.data, y: y.data, inputNames: [...this.inputNames], targetNames: [...this.targetNames] }, 'inputs', options);
    return evaluation(p.errors!, p.steps);
  }

  /**
   * Runs the model over a table of named columns (what `alm-rnn predict` does with a CSV file):
   * its inputs are found by name (a model file without names takes the columns in order: its n
   * inputs, then its m targets), and the errors are computed when the table has every target
   * column. Throws a DataError naming a missing column, and a NonFinitePredictionError naming
   * the first step and column whose prediction overflows.
   */
  predictTable(table: TableData, options: TablePredictOptions = {}): TablePrediction {
    checkObject(table, 'table');
    checkKnownKeys(table, ['inputs', 'inputNames', 'targets', 'targetNames'], 'table.');
    checkObject(options, 'options');
    checkKnownKeys(options, ['warmup', 'source'], '');
    const source = options.source ?? 'table';
    if (typeof source !== 'string') throw new OptionError('source', source, 'must be a string');
    if (!Array.isArray(table.inputNames)) throw new OptionError('inputNames', table.inputNames, 'must name the columns of inputs');
    const inputNames = readNames('inputNames', table.inputNames, table.inputNames.length, 'x');
    const x = readMatrix('inputs', table.inputs, { cols: inputNames.length });
    let y: ReadMatrix = { rows: x.rows, cols: 0, data: new Float64Array(0) };
    let targetNames: string[] = [];
    if (table.targets !== undefined) {
      if (!Array.isArray(table.targetNames)) throw new OptionError('targetNames', table.targetNames, 'must name the columns of targets');
      targetNames = readNames('targetNames', table.targetNames, table.targetNames.length, 'y');
      y = readMatrix('targets', table.targets, { cols: targetNames.length });
      if (y.rows !== x.rows) throw new OptionError('targets', table.targets, `has ${y.rows} rows but inputs has ${x.rows}`);
    }
    const series: Series = { T: x.rows, n: x.cols, m: y.cols, x: x.data, y: y.data, inputNames, targetNames };
    const p = this.run(series, source, options);
    const out: TablePrediction = { steps: p.steps, warmup: p.warmup, targetNames: p.targetNames, predictions: p.predictions };
    if (p.targets) out.targets = p.targets;
    if (p.errors) out.evaluation = evaluation(p.errors, p.steps);
    return out;
  }

  /** Checks the warm-up and runs the model over the series (predictSeries). */
  private run(series: Series, source: string, options: PredictOptions): Prediction {
    const warmup = options.warmup ?? 0;
    if (!(Number.isInteger(warmup) && warmup >= 0 && warmup < series.T)) {
      throw new OptionError('warmup', warmup, `must be an integer in [0, ${series.T - 1}] for the ${series.T} steps of ${source}`);
    }
    const file: ModelFile = { weights: this.weights as RnnWeights, activation: this.activation, standardization: this.standardization };
    if (this.#namesColumns) file.columns = { inputs: [...this.inputNames], targets: [...this.targetNames] };
    return predictSeries(file, series, source, warmup);
  }
}

function evaluation(errors: NonNullable<Prediction['errors']>, steps: number): Evaluation {
  return { mse: errors.raw, perTarget: errors.perTarget, mseStandardized: errors.standardized ?? errors.raw, steps };
}
