// A worker of a race. Three jobs: ALM trials (a batch on WebGPU, or a slice of the race's
// trials on the CPU, one CpuTrial each), the gradient baselines (each method's learning rate
// chosen on the validation split like the experiments' selection, then trained on the whole
// training part), and the probe of a few timed sweeps and epochs behind the time estimate.
// Pause holds the ALM trials between batches of sweeps (runAlmBatch's pauseGate) and the
// baselines about every 50 ms (trainBaseline's pauseGate); stop ends
// every job at its next batch or epoch boundary.
import { runAlmBatch, summarizeResult, type AlmRunOptions, type AlmTrial } from '../../src/alm/alm.ts';
import { lowestScore, selectOnValidation } from '../../src/alm/selection.ts';
import { prepareRun, type RunConfig } from '../../src/alm/setup.ts';
import type { BcdBackend } from '../../src/backends/backend.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import { createWebGpuBatchBackend } from '../../src/backends/webgpu/index.ts';
import type { Method } from '../../src/baselines/optimizers.ts';
import { trainBaseline, type BaselineOptions } from '../../src/baselines/train.ts';
import { UserInputError } from '../../src/errors.ts';
import { formatActivation } from '../../src/problem/activations.ts';
import { loadDataset, loadDatasetFromCsvText, type LoadedDataset } from '../../src/problem/datasets.ts';
import { evaluate, forward } from '../../src/problem/model.ts';
import type { Problem, RnnWeights } from '../../src/problem/types.ts';
import { validationProblem } from '../../src/problem/validation.ts';
import { baselineGrid } from '../../src/experiments/settings.ts';
import type { BackendChoice, CsvSource } from './protocol.ts';
import { PauseGate } from './pause-gate.ts';
import type { FromRaceWorker, RaceTrial, RaceTrialResult, ToRaceWorker } from './race-protocol.ts';

interface WorkerScope {
  postMessage(message: FromRaceWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToRaceWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

function post(message: FromRaceWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

const gate = new PauseGate(() => post({ type: 'paused' }), () => post({ type: 'resumed' }));
const controller = new AbortController();

scope.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'alm':
      void guarded(() => runTrials(msg));
      break;
    case 'baselines':
      void guarded(() => runBaselines(msg));
      break;
    case 'probe':
      void guarded(() => probe(msg));
      break;
    case 'pause':
      gate.pause();
      break;
    case 'resume':
      gate.resume();
      break;
    case 'stop':
      controller.abort();
      gate.resume();
      break;
  }
};

async function guarded(job: () => Promise<void>): Promise<void> {
  try {
    await job();
  } catch (err) {
    const e = err as Error;
    post({ type: 'error', message: e?.message ?? String(err), userError: err instanceof UserInputError });
  }
}

/** Loads a trial's data set as the CLI does: each seed draws its own synthetic series. */
const datasets = new Map<string, LoadedDataset>();
function loadData(config: RunConfig, csv: CsvSource | undefined): LoadedDataset {
  const options = { seed: config.seed, targets: config.targets, trainFraction: config.trainFraction, standardize: config.standardize };
  const key = JSON.stringify([config.dataset, options]);
  let loaded = datasets.get(key);
  if (!loaded) {
    loaded = csv ? loadDatasetFromCsvText(csv.text, csv.name, options) : loadDataset(config.dataset, options);
    datasets.set(key, loaded);
  }
  return loaded;
}

async function createBackend(choice: BackendChoice): Promise<BcdBackend> {
  if (choice === 'cpu') return createCpuBackend();
  return createWebGpuBatchBackend();
}

function almTrials(trials: RaceTrial[], csv: CsvSource | undefined): { trials: AlmTrial[]; problems: Problem[] } {
  const prepared = trials.map((t) => prepareRun(t.config, loadData(t.config, csv)));
  return {
    trials: prepared.map((p, i) => ({ problem: p.problem, params: trials[i].config.params, initial: p.initial })),
    problems: prepared.map((p) => p.problem),
  };
}

async function runTrials(msg: Extract<ToRaceWorker, { type: 'alm' }>): Promise<void> {
  const { trials: almBatch, problems } = almTrials(msg.trials, msg.csv);
  const backend = await createBackend(msg.backend);
  try {
    const p0 = problems[0];
    post({
      type: 'alm-started', backend: backend.info, T: p0.series.T, T1: p0.T1, m: p0.series.m,
      targetNames: p0.series.targetNames, activation: formatActivation(p0.activation),
    });
    const testHidden = msg.trials[0].config.testHidden;
    // On the problem each trial is trained on (the fit part when selecting), as its iterations report TrainErr.
    const trained = msg.validationSteps !== undefined ? almBatch.map((t) => validationProblem(t.problem, msg.validationSteps!)) : problems;
    post({ type: 'alm-initial', trainErr: almBatch.map((t, i) => ({ trial: msg.trials[i].index, value: evaluate(t.initial, trained[i], testHidden).trainErr })) });
    const options: AlmRunOptions = {
      signal: controller.signal,
      pauseGate: gate.wait,
      testHidden,
      onSweeps: (k, done) => post({ type: 'alm-sweeps', k, done }),
      onIteration: (it, i) => post({ type: 'alm-iteration', trial: msg.trials[i].index, it }),
    };
    let results;
    let scores: number[] | undefined;
    if (msg.validationSteps !== undefined) {
      const selection = await selectOnValidation(backend, almBatch, msg.validationSteps, options);
      results = selection.fits;
      scores = selection.scores;
    } else {
      results = await runAlmBatch(backend, almBatch, options);
    }
    const transfer: Transferable[] = [];
    const out: RaceTrialResult[] = results.map((r, i) => {
      const problem = problems[i];
      const { yHat } = forward(r.weights, problem.activation, problem.series.x, problem.series.T);
      const y = problem.series.y.slice();
      transfer.push(yHat.buffer, y.buffer);
      return {
        index: msg.trials[i].index,
        summary: summarizeResult(r),
        ...(scores ? { valErr: scores[i] } : {}),
        weights: r.weights,
        yHat,
        y,
        standardization: problem.standardization,
        ...(r.loopState.failure ? { failure: r.loopState.failure.message } : {}),
      };
    });
    post({ type: 'alm-done', results: out }, transfer);
  } finally {
    backend.dispose();
  }
}

function baselineOptions(method: Method, problem: Problem, lr: number, clip: number, epochs: number, sgdBatch: number, initial: RnnWeights, seed: number): BaselineOptions {
  return {
    problem, method, lr, epochs, initialWeights: initial, seed, testHidden: 'carry',
    ...(method === 'gdc' ? { clip } : {}),
    ...(method === 'sgd' ? { batch: sgdBatch } : {}),
    signal: controller.signal,
    pauseGate: gate.wait,
  };
}

async function runBaselines(msg: Extract<ToRaceWorker, { type: 'baselines' }>): Promise<void> {
  const { problem, initial } = prepareRun(msg.config, loadData(msg.config, msg.csv));
  const testHidden = msg.config.testHidden;
  const seed = msg.config.seed;
  for (const method of msg.methods) {
    if (controller.signal.aborted) break;
    let lr: number;
    let clip: number | undefined;
    const choice = msg.learningRate;
    if (choice.select) {
      // The experiments' selection: every grid point trained on the fit part, scored by its error on the validation part.
      const fit = validationProblem(problem, msg.validationSteps);
      const grid = baselineGrid({ lrGrid: choice.grid, clipGrid: choice.clipGrid }, method);
      const scores: number[] = [];
      for (const [j, cand] of grid.entries()) {
        if (controller.signal.aborted) break;
        const res = await trainBaseline({ ...baselineOptions(method, fit, cand.lr, cand.clip ?? 1, msg.epochs, msg.sgdBatch, initial, seed), testHidden });
        const score = res.history[res.history.length - 1].testErr;
        scores.push(res.stopped === 'diverged' || !Number.isFinite(score) ? Infinity : score);
        post({ type: 'baseline-candidate', method, lr: cand.lr, clip: cand.clip, valErr: scores[j], done: j + 1, total: grid.length });
      }
      if (controller.signal.aborted) break;
      const best = grid[lowestScore(scores)];
      lr = best.lr;
      clip = best.clip;
    } else {
      lr = choice.lr;
      clip = method === 'gdc' ? choice.clip : undefined;
    }
    post({ type: 'baseline-started', method, lr, ...(clip !== undefined ? { clip } : {}), selected: choice.select });
    const res = await trainBaseline({
      ...baselineOptions(method, problem, lr, clip ?? 1, msg.epochs, msg.sgdBatch, initial, seed),
      testHidden,
      onEpoch: (report) => post({ type: 'baseline-epoch', method, report }),
    });
    const { yHat } = forward(res.weights, problem.activation, problem.series.x, problem.series.T);
    post({ type: 'baseline-done', method, stopped: res.stopped, weights: res.weights, yHat }, [yHat.buffer]);
  }
  post({ type: 'baselines-done' });
}

async function probe(msg: Extract<ToRaceWorker, { type: 'probe' }>): Promise<void> {
  const began = performance.now();
  let info: BcdBackend['info'] | null = null;
  let loadSeconds = 0;
  let sweepSeconds = NaN;
  let outerOverheadSeconds = NaN;
  if (msg.trials.length > 0) {
    const { trials: almBatch } = almTrials(msg.trials, msg.csv);
    const sweeps = Math.max(2, msg.sweeps);
    const probeTrials = almBatch.map((t) => ({ ...t, params: { ...t.params, outer: 1, inner: sweeps, checkEvery: 1, innerStop: 'cap' as const } }));
    const backend = await createBackend(msg.backend);
    info = backend.info;
    const stamps: number[] = [];
    try {
      await runAlmBatch(backend, probeTrials, {
        signal: controller.signal,
        onLoaded: (s) => { loadSeconds = s; },
        onSweeps: () => stamps.push(performance.now()),
      });
    } finally {
      backend.dispose();
    }
    const end = performance.now();
    // The first sweep carries first-use costs (pipeline creation, caches): time the others.
    sweepSeconds = stamps.length >= 2 ? (stamps[stamps.length - 1] - stamps[0]) / 1000 / (stamps.length - 1) : NaN;
    outerOverheadSeconds = stamps.length >= 1 ? (end - stamps[stamps.length - 1]) / 1000 : NaN;
  }
  const epochSeconds: Partial<Record<Method, number>> = {};
  if (msg.baselines) {
    const { problem, initial } = prepareRun(msg.baselines.config, loadData(msg.baselines.config, msg.csv));
    for (const method of msg.baselines.methods) {
      if (controller.signal.aborted) break;
      const res = await trainBaseline({ ...baselineOptions(method, problem, 1e-3, 1, 4, msg.baselines.sgdBatch, initial, 1), testHidden: 'carry' });
      const h = res.history;
      // Epoch 0 is the evaluation of the initial weights, epoch 1 the first use: epochs 2…4 are timed.
      epochSeconds[method] = h.length >= 3 ? (h[h.length - 1].seconds - h[1].seconds) / (h.length - 2) : h[h.length - 1].seconds;
    }
  }
  post({
    type: 'probe-done', backend: info, loadSeconds, sweepSeconds, outerOverheadSeconds, epochSeconds,
    busySeconds: (performance.now() - began) / 1000,
  });
}
