// A worker of a race. Three jobs: ALM trials (a batch on WebGPU, or a slice of the race's
// trials on the CPU, one CpuTrial each), the gradient baselines (each method's learning rate
// chosen on the validation split like the experiments' selection, then trained on the whole
// training part), and the probe of a few timed sweeps and epochs behind the time estimate.
// Pause holds the ALM trials between batches of sweeps (runAlmBatch's pauseGate) and the
// baselines about every 50 ms (trainBaseline's pauseGate); stop ends
// every job at its next batch or epoch boundary.
import {
  baselineGrid, createBackend, earlyStopSettings, formatActivation, lowestScore, modelFromWeights, parseActivation, trainBaselineRun, trainRuns,
  UserInputError, type BcdBackend, type Method, type PreparedRun, type RunConfig, type RunOutcome,
} from 'alm-rnn';
import { prepareDataset, type LoadedDataset } from 'alm-rnn/datasets';
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

/** Each trial's data set as the CLI prepares it: each seed draws its own synthetic series. */
const datasets = new Map<string, LoadedDataset>();
function loadData(config: RunConfig, csv: CsvSource | undefined): LoadedDataset {
  const key = JSON.stringify([config.dataset, config.seed, config.targets, config.trainFraction, config.standardize, config.csv]);
  let loaded = datasets.get(key);
  if (!loaded) {
    loaded = prepareDataset(config, csv);
    datasets.set(key, loaded);
  }
  return loaded;
}

function prepared(configs: readonly RunConfig[], csv: CsvSource | undefined): PreparedRun[] {
  return configs.map((config) => ({ config, data: loadData(config, csv) }));
}

/** The backend asked for, computing in this worker (the race spreads its trials over workers itself). */
function openBackend(choice: BackendChoice): Promise<BcdBackend> {
  return createBackend(choice === 'cpu' ? { backend: 'cpu', workers: 0 } : { backend: 'webgpu' });
}

/** Predictions over a run's whole series (T×m, in the standardised units it trained in). */
function predictions(run: PreparedRun, weights: Parameters<typeof modelFromWeights>[0]): Float64Array {
  return modelFromWeights(weights, run.config.activation).predict(run.data.series.x);
}

async function runTrials(msg: Extract<ToRaceWorker, { type: 'alm' }>): Promise<void> {
  const plainRuns = prepared(msg.trials.map((t) => t.config), msg.csv);
  const { series, T1 } = plainRuns[0].data;
  // Early stopping is a setting of the runs (as in a checkpoint): with V as validationSteps, a selection's fit runs only.
  const early = msg.earlyStop
    ? earlyStopSettings({ ...msg.earlyStop, ...(msg.validationSteps !== undefined ? { validationSteps: msg.validationSteps } : {}) }, T1, msg.trials[0].config.params.outer)
    : undefined;
  const runs = early ? plainRuns.map((r) => ({ ...r, config: { ...r.config, earlyStop: early } })) : plainRuns;
  const fitOnly = early !== undefined && msg.validationSteps !== undefined;
  let fitted: RunOutcome[] | undefined;
  const backend = await openBackend(msg.backend);
  try {
    post({
      type: 'alm-started', backend: backend.info, T: series.T, T1, m: series.m,
      inputNames: series.inputNames, targetNames: series.targetNames, activation: formatActivation(parseActivation(msg.trials[0].config.activation)),
    });
    const finished = await trainRuns(runs, {
      backend,
      ...(early ? {} : { validationSteps: msg.validationSteps }),
      // A selection keeps the fit runs (their weights the last iterates), or with restore best their best iterates (no retraining).
      ...(fitOnly ? { onFitted: (fits: RunOutcome[]) => { fitted = fits; return early!.restore === 'best' ? fits.map((_, i) => i) : []; } } : {}),
      signal: controller.signal,
      pauseGate: gate.wait,
      onStart: (initial) => post({ type: 'alm-initial', trainErr: initial.map((value, i) => ({ trial: msg.trials[i].index, value })) }),
      onSweeps: (k, done) => post({ type: 'alm-sweeps', k, done }),
      onIteration: (it, i, stage) => post({ type: 'alm-iteration', trial: msg.trials[i].index, it, ...(stage ? { stage } : {}) }),
    });
    const results = fitOnly && early!.restore === 'retrain' ? fitted! : finished;
    const transfer: Transferable[] = [];
    const out: RaceTrialResult[] = results.map((r, i) => {
      // The page draws the curves from the iterations it was sent as they came: the history (and the fit run) stay here.
      const { weights, valErr, failure, earlyStop, history: _history, fit: _fit, ...summary } = r;
      const yHat = predictions(runs[i], weights);
      const y = runs[i].data.series.y.slice();
      transfer.push(yHat.buffer, y.buffer);
      return {
        index: msg.trials[i].index,
        summary,
        ...(valErr !== undefined ? { valErr } : {}),
        ...(earlyStop ? { earlyStop } : {}),
        weights,
        yHat,
        y,
        standardization: runs[i].data.standardization,
        ...(failure !== undefined ? { failure } : {}),
      };
    });
    post({ type: 'alm-done', results: out }, transfer);
  } finally {
    backend.dispose();
  }
}

/** A baseline's options as the race sets them: the clipping norm for gdc, the mini-batch for sgd. */
function baselineSettings(method: Method, lr: number, clip: number, epochs: number, sgdBatch: number) {
  return {
    method, learningRate: lr, epochs,
    ...(method === 'gdc' ? { clip } : {}),
    ...(method === 'sgd' ? { batch: sgdBatch } : {}),
    signal: controller.signal,
    pauseGate: gate.wait,
  };
}

async function runBaselines(msg: Extract<ToRaceWorker, { type: 'baselines' }>): Promise<void> {
  const [run] = prepared([msg.config], msg.csv);
  for (const method of msg.methods) {
    if (controller.signal.aborted) break;
    let lr: number;
    let clip: number | undefined;
    const choice = msg.learningRate;
    if (choice.select) {
      // The experiments' selection: every grid point trained on the fit part, scored by its error on the validation part.
      const grid = baselineGrid({ lrGrid: choice.grid, clipGrid: choice.clipGrid }, method);
      const scores: number[] = [];
      for (const [j, cand] of grid.entries()) {
        if (controller.signal.aborted) break;
        const res = await trainBaselineRun(run, {
          ...baselineSettings(method, cand.lr, cand.clip ?? 1, msg.epochs, msg.sgdBatch), validationSteps: msg.validationSteps,
          // With early stopping a learning rate is scored by its best validation error, over the run the rule stops.
          ...(msg.earlyStop ? { earlyStop: msg.earlyStop } : {}),
        });
        scores.push(res.valErr!);
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
    const res = await trainBaselineRun(run, {
      ...baselineSettings(method, lr, clip ?? 1, msg.epochs, msg.sgdBatch),
      ...(msg.earlyStop ? { earlyStop: msg.earlyStop } : {}),
      onEpoch: (report) => post({ type: 'baseline-epoch', method, report }),
    });
    const yHat = predictions(run, res.weights);
    post({ type: 'baseline-done', method, stopped: res.stopReason, weights: res.weights, yHat, ...(res.earlyStop ? { earlyStop: res.earlyStop } : {}) }, [yHat.buffer]);
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
    const sweeps = Math.max(2, msg.sweeps);
    const runs = prepared(
      msg.trials.map((t) => ({ ...t.config, params: { ...t.config.params, outer: 1, inner: sweeps, checkEvery: 1, innerStop: 'cap' as const } })),
      msg.csv,
    );
    const backend = await openBackend(msg.backend);
    info = backend.info;
    const stamps: number[] = [];
    try {
      await trainRuns(runs, {
        backend,
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
    const [run] = prepared([msg.baselines.config], msg.csv);
    for (const method of msg.baselines.methods) {
      if (controller.signal.aborted) break;
      const res = await trainBaselineRun(run, { ...baselineSettings(method, 1e-3, 1, 4, msg.baselines.sgdBatch) });
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
