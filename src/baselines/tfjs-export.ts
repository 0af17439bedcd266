// Export of a trained Elman RNN as a TF.js LayersModel (what `alm-rnn export --format tfjs`
// writes): a Sequential model of
//
//   SimpleRNN(units r, activation σ, return_sequences true, input shape [null, n])
//   Dense(units m)                      (applied to every step of the 3-D sequence output)
//
// TF.js's SimpleRNN computes h_t = σ(x_t·kernel + h_{t−1}·recurrent_kernel + bias) with
// row vectors, so kernel = Vᵀ (n×r), recurrent_kernel = Wᵀ (r×r), bias = b, and the Dense
// layer has kernel = Aᵀ (r×m), bias = c. Weights are stored as little-endian float32 in one
// .bin file. Load with tf.loadLayersModel('file://…/model.json') (tfjs-node), an http URL, or
// tf.io.fromMemory; run on a [batch, T, n] tensor from a zero state.
//
// The model works in the units it was trained in (standardised when the model file carries
// a standardisation, which is then copied into userDefinedMetadata). With `rawUnits` the
// standardisation is folded into the weights instead, so the exported model maps raw inputs
// to raw targets. TF.js has no leaky-ReLU activation for SimpleRNN, so a leaky model cannot be
// exported (UserInputError).
import { UserInputError } from '../errors.ts';
import { modelFromJson, type ModelFile, type ModelFileJson } from '../problem/model-file.ts';
import type { RnnWeights } from '../problem/types.ts';

/** Options of the TF.js export. */
export interface TfjsExportOptions {
  /** Fold the model file's standardisation into the weights (raw inputs → raw targets). */
  rawUnits?: boolean;
  /** Name of the weights file next to model.json (default "weights.bin"). */
  weightsFile?: string;
}

/** One entry of a TF.js weights manifest. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** The model.json of a TF.js LayersModel. */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
  userDefinedMetadata: Record<string, unknown>;
}

/** model.json content and the bytes of its weights file. */
export interface TfjsArtifacts {
  modelJson: TfjsModelJson;
  weightSpecs: TfjsWeightSpec[];
  weightData: ArrayBuffer;
}

/** Layer names used in the exported topology (weights are named "<layer>/kernel" etc.). */
export const TFJS_RNN_LAYER = 'simple_rnn';
export const TFJS_DENSE_LAYER = 'dense';

/** Converts a model file (parsed JSON or ModelFile) into TF.js LayersModel artifacts. */
export function toTfjsArtifacts(model: ModelFile | ModelFileJson | unknown, options: TfjsExportOptions = {}): TfjsArtifacts {
  const file = isModelFile(model) ? model : modelFromJson(model);
  const { activation, standardization } = file;
  if (activation.kind === 'leaky') {
    throw new UserInputError(
      'tfjs export: TF.js SimpleRNN has no leaky-ReLU activation (it offers relu, elu, tanh, …), '
      + 'so a model trained with activation leaky cannot be exported; train with relu or elu to export it',
    );
  }
  let w = file.weights;
  const rawUnits = options.rawUnits === true;
  if (rawUnits) {
    if (!standardization) throw new UserInputError('tfjs export: rawUnits needs a model file with a "standardization" field');
    w = foldStandardization(w, standardization);
  }
  const { r, n, m } = w;
  const weightsFile = options.weightsFile ?? 'weights.bin';
  const specs: TfjsWeightSpec[] = [
    { name: `${TFJS_RNN_LAYER}/kernel`, shape: [n, r], dtype: 'float32' },
    { name: `${TFJS_RNN_LAYER}/recurrent_kernel`, shape: [r, r], dtype: 'float32' },
    { name: `${TFJS_RNN_LAYER}/bias`, shape: [r], dtype: 'float32' },
    { name: `${TFJS_DENSE_LAYER}/kernel`, shape: [r, m], dtype: 'float32' },
    { name: `${TFJS_DENSE_LAYER}/bias`, shape: [m], dtype: 'float32' },
  ];
  const values = [transpose(w.V, r, n), transpose(w.W, r, r), w.b, transpose(w.A, m, r), w.c];
  const total = values.reduce((s, v) => s + v.length, 0);
  const weightData = new ArrayBuffer(total * 4);
  const view = new DataView(weightData);
  let off = 0;
  for (const v of values) {
    for (let i = 0; i < v.length; i++, off += 4) view.setFloat32(off, v[i], true);
  }
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: 'alm-rnn',
    convertedBy: null,
    modelTopology: topology(r, n, m, activation.kind),
    weightsManifest: [{ paths: [weightsFile], weights: specs }],
    userDefinedMetadata: {
      almRnn: {
        format: 'alm-rnn/elman@1',
        activation: activation.kind,
        units: rawUnits ? 'raw' : standardization ? 'standardized' : 'as-trained',
        ...(standardization && !rawUnits ? { standardization } : {}),
      },
    },
  };
  return { modelJson, weightSpecs: specs, weightData };
}

/** Weights that act on raw inputs and give raw targets, for a model trained on standardised data. */
export function foldStandardization(
  w: RnnWeights, s: { inputMean: number[]; inputStd: number[]; targetMean: number[]; targetStd: number[] },
): RnnWeights {
  const { r, n, m } = w;
  const V = new Float64Array(r * n);
  const b = w.b.slice();
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < n; j++) {
      const vij = w.V[i * n + j] / s.inputStd[j];
      V[i * n + j] = vij;
      b[i] -= vij * s.inputMean[j];
    }
  }
  const A = new Float64Array(m * r);
  const c = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    for (let j = 0; j < r; j++) A[k * r + j] = s.targetStd[k] * w.A[k * r + j];
    c[k] = s.targetStd[k] * w.c[k] + s.targetMean[k];
  }
  return { r, n, m, W: w.W.slice(), V, b, A, c };
}

function isModelFile(v: unknown): v is ModelFile {
  return typeof v === 'object' && v !== null && 'weights' in v && 'activation' in v
    && typeof (v as ModelFile).activation === 'object';
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

function topology(r: number, n: number, m: number, activation: 'relu' | 'elu'): Record<string, unknown> {
  const glorot = { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } };
  const zeros = { class_name: 'Zeros', config: {} };
  return {
    class_name: 'Sequential',
    config: {
      name: 'alm_rnn_elman',
      layers: [
        {
          class_name: 'SimpleRNN',
          config: {
            name: TFJS_RNN_LAYER,
            trainable: true,
            batch_input_shape: [null, null, n],
            dtype: 'float32',
            units: r,
            activation,
            use_bias: true,
            kernel_initializer: glorot,
            recurrent_initializer: { class_name: 'Orthogonal', config: { gain: 1, seed: null } },
            bias_initializer: zeros,
            kernel_regularizer: null,
            recurrent_regularizer: null,
            bias_regularizer: null,
            activity_regularizer: null,
            kernel_constraint: null,
            recurrent_constraint: null,
            bias_constraint: null,
            dropout: 0,
            recurrent_dropout: 0,
            return_sequences: true,
            return_state: false,
            go_backwards: false,
            stateful: false,
            unroll: false,
          },
        },
        {
          class_name: 'Dense',
          config: {
            name: TFJS_DENSE_LAYER,
            trainable: true,
            dtype: 'float32',
            units: m,
            activation: 'linear',
            use_bias: true,
            kernel_initializer: glorot,
            bias_initializer: zeros,
            kernel_regularizer: null,
            bias_regularizer: null,
            activity_regularizer: null,
            kernel_constraint: null,
            bias_constraint: null,
          },
        },
      ],
    },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}
