// The training worker: loads the data, creates the backend (WebGPU, or the float64 CPU
// backend), runs the ALM loop and reports every step to the page, so the page never blocks.
// Pause goes through runAlm's pauseGate, stop through its AbortSignal; after every outer
// iteration the whole state is saved to IndexedDB for a resume after a reload.
import { runAlm, summarizeResult } from '../../src/alm/alm.ts';
import type { Checkpoint } from '../../src/alm/checkpoint.ts';
import { prepareRun, type RunConfig } from '../../src/alm/setup.ts';
import type { BcdBackend } from '../../src/backends/backend.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import { createWebGpuBatchBackend } from '../../src/backends/webgpu/index.ts';
import { UserInputError } from '../../src/errors.ts';
import { formatActivation } from '../../src/problem/activations.ts';
import { loadDataset, loadDatasetFromCsvText, type LoadedDataset } from '../../src/problem/datasets.ts';
import { forward } from '../../src/problem/model.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { PauseGate } from './pause-gate.ts';
import { hasStorage, saveRun } from './storage.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

const gate = new PauseGate(() => post({ type: 'paused' }), () => post({ type: 'resumed' }));
let controller: AbortController | null = null;
let running = false;

scope.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'start':
      if (running) {
        post({ type: 'error', message: 'a run is already in progress', userError: true });
        return;
      }
      void train(msg);
      break;
    case 'pause':
      gate.pause();
      break;
    case 'resume':
      gate.resume();
      break;
    case 'stop':
      controller?.abort();
      gate.resume();
      break;
  }
};


/** Loads the run's data set the way the CLI does (a registered name, or the CSV text the page sent). */
function loadData(config: RunConfig, csv: { name: string; text: string } | undefined): LoadedDataset {
  const options = { seed: config.seed, targets: config.targets, trainFraction: config.trainFraction, standardize: config.standardize };
  return csv ? loadDatasetFromCsvText(csv.text, csv.name, options) : loadDataset(config.dataset, options);
}

/** The backend asked for; WebGPU falls back to the CPU (with a notice) when no adapter can be had. */
async function createBackend(choice: 'webgpu' | 'cpu'): Promise<BcdBackend> {
  if (choice === 'cpu') return createCpuBackend();
  try {
    return await createWebGpuBatchBackend();
  } catch (err) {
    post({
      type: 'notice',
      message: `WebGPU could not be started in the worker (${(err as Error).message}); running on the CPU backend instead.`,
    });
    return createCpuBackend();
  }
}

async function train(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  running = true;
  gate.resume();
  controller = new AbortController();
  let backend: BcdBackend | null = null;
  try {
    const { config, csv, resume } = msg;
    const loaded = loadData(config, csv);
    const { problem, initial } = prepareRun(config, loaded, resume?.initial);
    const { series, T1 } = problem;
    if (resume && resume.state.h.length !== T1 * problem.r) {
      throw new UserInputError(
        `the saved state holds ${resume.state.h.length / problem.r} training steps, but the data set now gives ${T1}`,
      );
    }
    backend = await createBackend(msg.backend);
    const storage = hasStorage();
    let storageFailed = false;
    const p = config.params;
    post({
      type: 'started',
      backend: backend.info,
      problem: {
        T: series.T, T1, n: series.n, m: series.m, r: problem.r,
        targetNames: series.targetNames,
        y: series.y.slice(),
        activation: formatActivation(problem.activation),
        standardization: problem.standardization,
      },
      loop: resume
        ? { k: resume.loop.k, sweeps: resume.loop.sweeps, seconds: resume.loop.seconds, history: resume.loop.history }
        : { k: 0, sweeps: 0, seconds: 0, history: [] },
      outer: p.outer,
      inner: p.inner,
    });

    const result = await runAlm(backend, problem, p, initial, {
      resume: resume ? { loop: resume.loop, state: resume.state } : undefined,
      signal: controller.signal,
      pauseGate: gate.wait,
      testHidden: config.testHidden,
      onSweeps: (k, done) => post({ type: 'sweeps', k, done }),
      onIteration: (it) => post({ type: 'iteration', it }),
      onCheckpoint: async ([loop], [state]) => {
        let saved = false;
        if (storage && !storageFailed) {
          const checkpoint: Checkpoint = { config, initial, loop, state };
          try {
            await saveRun({ checkpoint, csv, backend: msg.backend, savedAt: Date.now() });
            saved = true;
          } catch (err) {
            storageFailed = true;
            post({ type: 'notice', message: `The run could not be saved in browser storage (${(err as Error).message}); export the state to keep it.` });
          }
        }
        const { yHat } = forward(state.weights, problem.activation, series.x, series.T);
        post({ type: 'weights', k: loop.k, weights: state.weights, yHat, saved }, [yHat.buffer]);
      },
    });
    const { yHat } = forward(result.weights, problem.activation, series.x, series.T);
    post(
      {
        type: 'done',
        ...summarizeResult(result),
        weights: result.weights,
        yHat,
      },
      [yHat.buffer],
    );
  } catch (err) {
    const e = err as Error;
    post({ type: 'error', message: e?.message ?? String(err), userError: err instanceof UserInputError });
  } finally {
    backend?.dispose();
    running = false;
    controller = null;
  }
}
