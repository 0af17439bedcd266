// alm-rnn in the browser: train one small Elman RNN three ways and compare.
//
//   1. on the CPU in this page's thread       (backend 'cpu', workers: 0)
//   2. on the CPU over a pool of Web Workers   (backend 'cpu', workers: 2, a grid of two seeds)
//   3. on the GPU through WebGPU               (backend 'webgpu')
//
// then predict with the trained model, save it as JSON and load it back. The CPU backend
// computes in float64 and is deterministic: trial 0 of the grid (seed 1) has exactly the
// settings of run 1, so it gives the same numbers bit for bit. WebGPU computes in float32, so
// its figures are close to the CPU's, not equal.
import { train, trainGrid, Model } from 'alm-rnn';

const progress = document.getElementById('progress');
const resultBox = document.getElementById('result');
const errorBox = document.getElementById('error');

// ---- Data: one-step-ahead forecasting of a noisy sum of two sines --------------------------
// inputs[t] holds the value at t (one column), targets[t] the value at t + 1. Any arrays work:
// rows as number[][], or row-major values in a Float64Array.
const T = 240;
let noise = 12345; // a small deterministic generator, so every reload trains on the same data
const rand = () => ((noise = (Math.imul(noise, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
const series = Array.from({ length: T + 1 }, (_, t) => Math.sin(0.3 * t) + 0.5 * Math.sin(0.11 * t) + 0.1 * rand());
const inputs = series.slice(0, T).map((v) => [v]);
const targets = series.slice(1).map((v) => [v]);

// ---- Settings shared by every run ----------------------------------------------------------
const common = {
  inputs,
  targets,
  inputNames: ['value'],
  targetNames: ['next value'],
  hidden: 8, // hidden units r
  trainFraction: 0.8, // the first 80% of the steps train, the rest test
  params: { outer: 6, inner: 10 }, // outer ALM iterations × inner block-coordinate sweeps
};

/** Shows which run is going and its last outer iteration. */
function report(label) {
  return (it) => {
    progress.textContent = `${label}: outer iteration ${it.k}/${common.params.outer}` +
      `${it.trial ? ` (trial ${it.trial})` : ''}, TrainErr ${it.trainErr.toExponential(3)}, FeasVio ${it.feasVio.toExponential(2)}`;
  };
}

/** The figures of a result worth showing (a TrainResult holds the Model and the whole history too). */
function summary(r) {
  return {
    trainErr: r.trainErr, // mean squared error over the training steps (standardised units)
    testErr: r.testErr, // the same over the test steps
    feasVio: r.feasVio, // how far the ALM's constraints are from holding
    outerIterations: r.outerIterations,
    seconds: r.seconds,
    backend: r.backend, // which backend computed, in words
    firstPredictions: r.model.predict(inputs.slice(0, 5)).map((row) => row[0]),
  };
}

async function main() {
  // 1. In this page's thread. `await` a run for its result; it is also an async iterator of
  //    IterationReports and has pause(), resume() and stop().
  const inPage = await train({ ...common, backend: 'cpu', workers: 0, seed: 1, onIteration: report('CPU, in the page') });

  // 2. A grid of two seeds, one trial per module Web Worker. Trial 0 (seed 1) is run 1 again.
  const grid = await trainGrid({ ...common, backend: 'cpu', workers: 2, seeds: [1, 2], onIteration: report('CPU, 2 Web Workers') });

  // 3. WebGPU (throws GpuUnavailableError where the browser has no adapter; 'auto' would fall back
  //    to the CPU). `?webgpu=off` in the address skips it.
  let webgpu = { skipped: true };
  if (new URLSearchParams(location.search).get('webgpu') !== 'off') try {
    const r = await train({ ...common, backend: 'webgpu', seed: 1, onIteration: report('WebGPU') });
    webgpu = summary(r);
  } catch (err) {
    webgpu = { error: `${err.name}: ${err.message}` };
  }

  // Predict the targets of every step with the in-page model (raw units, from h₀ = 0).
  const model = inPage.model;
  const predictions = model.predict(inputs).map((row) => row[0]);

  // Save the model as JSON text (e.g. to localStorage or a file) and load it back.
  const json = JSON.stringify(model);
  const restored = Model.fromJSON(json);
  const restoredPredictions = restored.predict(inputs).map((row) => row[0]);

  const results = {
    model: model.toString(),
    inPage: summary(inPage),
    pool: { backend: grid.backend, trials: grid.trials.map((t) => ({ seed: t.seed, ...summary(t) })) },
    webgpu,
    predictions: { first: predictions.slice(0, 5), last: predictions.at(-1), count: predictions.length },
    evaluation: model.evaluate(inputs, targets),
    roundTrip: {
      jsonBytes: json.length,
      identical: restoredPredictions.length === predictions.length && restoredPredictions.every((v, i) => Object.is(v, predictions[i])),
    },
  };
  progress.textContent = 'done';
  resultBox.textContent = JSON.stringify(results, null, 2);
}

main().catch((err) => {
  progress.textContent = 'failed';
  errorBox.textContent = err?.stack ?? String(err);
  console.error(err);
});
