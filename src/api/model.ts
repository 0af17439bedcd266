// A trained model as the API hands it out: predicts and evaluates in the data's raw units
// (its standardisation applied to the inputs and undone on the outputs), converts to and from
// the model file format `alm-rnn/elman@1` (the JSON the CLI reads and writes) and to TF.js.
import { toTfjsArtifacts, type TfjsArtifacts, type TfjsExportOptions } from '../baselines/tfjs-export.ts';
import { DataError } from '../errors.ts';
import { formatActivation } from '../problem/activations.ts';
import { modelFromJson, modelToJson, type ModelFile, type ModelFileJson } from '../problem/model-file.ts';
import { predictSeries, type Prediction } from '../problem/predict.ts';
import { cloneWeights, type Activation, type RnnWeights, type Series, type Standardization } from '../problem/types.ts';
import { readMatrix, type Matrix } from './data.ts';
import { OptionError } from './errors.ts';

/** Options of Model.predict and Model.evaluate. */
export interface PredictOptions {
  /**
   * The first `warmup` rows only carry the hidden state in: predictions (and errors) start at
   * row `warmup` (default 0; the hidden state always starts at 0 before row 0).
   */
  warmup?: number;
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

  /** @internal Use Model.fromJSON, or the model a training call returns. */
  constructor(file: ModelFile) {
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
    const { yHat, steps } = this.run(inputs, undefined, options);
    if (Array.isArray(inputs) && Array.isArray(inputs[0])) {
      const m = this.weights.m;
      return Array.from({ length: steps }, (_, t) => Array.from(yHat.subarray(t * m, (t + 1) * m)));
    }
    return yHat;
  }

  /** The model's errors against `targets` (raw units, and in the units it was trained in). */
  evaluate(inputs: Matrix, targets: Matrix, options: PredictOptions = {}): Evaluation {
    const { errors, steps } = this.run(inputs, targets, options);
    const { perTarget, raw, standardized } = errors!;
    return { mse: raw, perTarget, mseStandardized: standardized ?? raw, steps };
  }

  /** Checks the arrays and runs the model over them as `alm-rnn predict` runs a file (predictSeries). */
  private run(inputs: Matrix, targets: Matrix | undefined, options: PredictOptions): Prediction {
    const { n, m } = this.weights;
    const x = readMatrix('inputs', inputs, { cols: n });
    const warmup = options.warmup ?? 0;
    if (!(Number.isInteger(warmup) && warmup >= 0 && warmup < x.rows)) {
      throw new OptionError('warmup', warmup, `must be an integer in [0, ${x.rows - 1}] for ${x.rows} rows`);
    }
    const y = targets === undefined ? undefined : readMatrix('targets', targets, { cols: m });
    if (y && y.rows !== x.rows) throw new OptionError('targets', targets, `has ${y.rows} rows but inputs has ${x.rows}`);
    const series: Series = {
      T: x.rows, n, m: y ? m : 0, x: x.data, y: y?.data ?? new Float64Array(0),
      inputNames: [...this.inputNames], targetNames: y ? [...this.targetNames] : [],
    };
    const file = { weights: this.weights as RnnWeights, activation: this.activation, standardization: this.standardization, columns: { inputs: [...this.inputNames], targets: [...this.targetNames] } };
    return predictSeries(file, series, 'inputs', warmup);
  }
}
