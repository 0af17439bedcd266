// Cross-checks against TensorFlow.js (pure-JS CPU backend, float32): the same SimpleRNN + Dense
// model trained from the same initial weights on the same data must follow our loss
// trajectory, and a model exported by tfjs-export.ts must predict what our forward pass does.
//
// Loss convention: Keras's / tfjs's meanSquaredError averages over the m outputs as well as
// over time, so it equals our loss (sum over outputs, mean over steps) divided by m. The
// trajectory check trains tfjs on m × meanSquaredError, so both sides minimise the same
// function with the same gradients; one test asserts the factor on its own.
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bpttLossAndGradient } from '../../src/baselines/bptt.ts';
import { toTfjsArtifacts } from '../../src/baselines/tfjs-export.ts';
import { writeTfjsModel } from '../../src/baselines/tfjs-write.ts';
import { trainBaseline, type BaselineOptions } from '../../src/baselines/train.ts';
import { UserInputError } from '../../src/errors.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { modelToJson } from '../../src/problem/model-file.ts';
import { forward } from '../../src/problem/model.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { Activation, Problem, RnnWeights, Standardization } from '../../src/problem/types.ts';
import { randomProblem } from './helpers.ts';

const [T, T1, n, m, r] = [40, 36, 3, 2, 6];
const STEPS = 20;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Rounds every entry to float32, so that both sides start from identical numbers. */
function f32<T extends Float64Array>(a: T): T {
  for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]);
  return a;
}

function transpose(a: Float64Array, rows: number, cols: number): number[] {
  const out = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** A problem and initial weights (Glorot, plus small nonzero biases) rounded to float32. */
function setup(act: Activation, seed: number): { problem: Problem; w0: RnnWeights } {
  const problem = randomProblem(T, T1, n, m, r, act, seed);
  f32(problem.series.x);
  f32(problem.series.y);
  const rng = new Rng(seed + 1);
  const w0 = initializeWeights('glorot', r, n, m, rng);
  rng.fillNormal(w0.b, 0.1);
  rng.fillNormal(w0.c, 0.1);
  for (const a of [w0.W, w0.V, w0.b, w0.A, w0.c]) f32(a);
  return { problem, w0 };
}

/** The tfjs model: SimpleRNN(r, σ, return_sequences) → Dense(m), holding our weights. */
function tfModel(w: RnnWeights, act: 'relu' | 'elu'): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.simpleRNN({ units: r, activation: act, returnSequences: true, inputShape: [null, n] }));
  model.add(tf.layers.dense({ units: m }));
  model.setWeights([
    tf.tensor2d(transpose(w.V, r, n), [n, r]),
    tf.tensor2d(transpose(w.W, r, r), [r, r]),
    tf.tensor1d(Array.from(w.b)),
    tf.tensor2d(transpose(w.A, m, r), [r, m]),
    tf.tensor1d(Array.from(w.c)),
  ]);
  return model;
}

function seriesTensors(problem: Problem, steps: number): { x: tf.Tensor3D; y: tf.Tensor3D } {
  const s = problem.series;
  return {
    x: tf.tensor3d(Array.from(s.x.subarray(0, steps * n)), [1, steps, n]),
    y: tf.tensor3d(Array.from(s.y.subarray(0, steps * m)), [1, steps, m]),
  };
}

function maxRelDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.abs(b[i])));
}

describe('tfjs cross-check of the BPTT baselines', () => {
  it('tfjs meanSquaredError is our loss divided by m', () => {
    const { problem, w0 } = setup({ kind: 'relu' }, 21);
    const { x, y } = seriesTensors(problem, T1);
    const model = tfModel(w0, 'relu');
    const keras = tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor3D).dataSync()[0];
    const ours = bpttLossAndGradient(w0, problem.activation, problem.series.x, problem.series.y, T1).loss;
    expect(Math.abs(keras * m - ours) / ours).toBeLessThan(1e-6);
    model.dispose();
  });

  const cases: { act: 'relu' | 'elu'; method: 'adam' | 'gdnm' | 'gd'; lr: number; tfOpt: () => tf.Optimizer }[] = [
    { act: 'relu', method: 'adam', lr: 0.01, tfOpt: () => tf.train.adam(0.01) },
    { act: 'elu', method: 'adam', lr: 0.01, tfOpt: () => tf.train.adam(0.01) },
    { act: 'relu', method: 'gdnm', lr: 0.01, tfOpt: () => tf.train.momentum(0.01, 0.9, true) },
    { act: 'elu', method: 'gd', lr: 0.05, tfOpt: () => tf.train.sgd(0.05) },
  ];
  it.each(cases)('$method ($act): tfjs follows our loss trajectory over 20 full-batch steps', async ({ act, method, lr, tfOpt }) => {
    const { problem, w0 } = setup({ kind: act }, act === 'relu' ? 31 : 41);
    const ours = await trainBaseline({ problem, method, lr, momentum: 0.9, epochs: STEPS, initialWeights: w0 } as BaselineOptions);
    const ourLoss = ours.history.map((h) => h.loss); // loss before step k = history[k - 1]

    const model = tfModel(w0, act);
    const { x, y } = seriesTensors(problem, T1);
    // m × Keras MSE = (1/T1) Σ_t ||y_t − ŷ_t||², our loss.
    model.compile({ optimizer: tfOpt(), loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.meanSquaredError(yt, yp).mul(m) });
    const fit = await model.fit(x, y, { epochs: STEPS, batchSize: 1, shuffle: false, verbose: 0 });
    const tfLoss = fit.history.loss as number[]; // one batch per epoch: the loss before that epoch's step
    const finalTf = (model.evaluate(x, y) as tf.Scalar).dataSync()[0];

    expect(tfLoss).toHaveLength(STEPS);
    expect(ourLoss[STEPS]).toBeLessThan(0.9 * ourLoss[0]);
    const worst = maxRelDiff([...tfLoss, finalTf], ourLoss);
    // float32 arithmetic in tfjs against float64 here: agreement to about 1e-6 is typical.
    expect(worst).toBeLessThan(1e-4);
    // The trained weights agree too (Dense kernel = Aᵀ).
    const A = model.getWeights()[3].dataSync();
    const ourA = transpose(ours.weights.A, m, r);
    for (let i = 0; i < A.length; i++) expect(Math.abs(A[i] - ourA[i])).toBeLessThan(1e-4);
    console.info(`tfjs ${method}/${act}: max relative loss difference over ${STEPS} steps = ${worst.toExponential(2)}`);
    model.dispose();
  });
});

describe('tfjs export', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alm-rnn-tfjs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Loads model.json and its weights from a directory (tfjs has no file:// loader without tfjs-node). */
  function fileHandler(modelPath: string): tf.io.IOHandler {
    return {
      load: async () => {
        const json = JSON.parse(await readFile(modelPath, 'utf8'));
        const manifest = json.weightsManifest[0];
        const bin = await readFile(join(modelPath, '..', manifest.paths[0]));
        return {
          modelTopology: json.modelTopology,
          weightSpecs: manifest.weights,
          weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
          format: json.format,
          generatedBy: json.generatedBy,
          convertedBy: json.convertedBy,
          userDefinedMetadata: json.userDefinedMetadata,
        };
      },
    };
  }

  it.each(['relu', 'elu'] as const)('round trip (%s): the loaded model predicts our test part', async (act) => {
    const { problem, w0 } = setup({ kind: act }, act === 'relu' ? 51 : 61);
    const trained = await trainBaseline({ problem, method: 'adam', lr: 0.01, epochs: 10, initialWeights: w0 });
    const file = JSON.parse(JSON.stringify(modelToJson(trained.weights, problem.activation)));
    const { modelPath } = await writeTfjsModel(file, join(dir, act));
    const loaded = await tf.loadLayersModel(fileHandler(modelPath));
    const { x } = seriesTensors(problem, T);
    const tfPred = (loaded.predict(x) as tf.Tensor).dataSync();
    const ours = forward(trained.weights, problem.activation, problem.series.x, T).yHat;
    let worst = 0;
    for (let i = T1 * m; i < T * m; i++) worst = Math.max(worst, Math.abs(tfPred[i] - ours[i]) / Math.max(1, Math.abs(ours[i])));
    console.info(`tfjs export ${act}: max relative prediction difference on the test part = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
    expect(tfPred.length).toBe(T * m);
    loaded.dispose();
  });

  it('with rawUnits, maps raw inputs to raw targets', async () => {
    const { problem, w0 } = setup({ kind: 'elu' }, 71);
    const std: Standardization = { inputMean: [1, -2, 0.5], inputStd: [2, 0.5, 3], targetMean: [10, -1], targetStd: [4, 0.25] };
    const art = toTfjsArtifacts(modelToJson(w0, problem.activation, std), { rawUnits: true });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: art.modelJson.modelTopology, weightSpecs: art.weightSpecs, weightData: art.weightData,
    }));
    const xs = problem.series.x;
    const raw = Array.from(xs, (v, i) => v * std.inputStd[i % n] + std.inputMean[i % n]);
    const pred = (loaded.predict(tf.tensor3d(raw, [1, T, n])) as tf.Tensor).dataSync();
    const ours = forward(w0, problem.activation, xs, T).yHat;
    for (let i = 0; i < T * m; i++) {
      const expected = ours[i] * std.targetStd[i % m] + std.targetMean[i % m];
      expect(Math.abs(pred[i] - expected)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected)));
    }
    expect(toTfjsArtifacts(modelToJson(w0, problem.activation, std)).modelJson.userDefinedMetadata)
      .toMatchObject({ almRnn: { units: 'standardized', standardization: std } });
    loaded.dispose();
  });

  it('refuses a leaky-ReLU model with a UserInputError', () => {
    const w = initializeWeights('he', r, n, m, new Rng(1));
    expect(() => toTfjsArtifacts(modelToJson(w, { kind: 'leaky', omega: 0.1 }))).toThrow(UserInputError);
    expect(() => toTfjsArtifacts(modelToJson(w, { kind: 'leaky', omega: 0.1 }))).toThrow(/leaky/);
  });
});
