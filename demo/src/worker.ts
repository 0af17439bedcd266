// The training worker: loads the data, creates the backend (WebGPU, or the float64 CPU
// backend) and trains through the package's public API, train() from 'alm-rnn', reporting every
// step to the page, so the page never blocks. Pause and stop go through the TrainingRun; after
// every outer iteration the whole state is saved to IndexedDB for a resume after a reload.
import {
  checkpointFromJson, checkpointToJson, createBackend, train, UserInputError, type ActivationOption, type BcdBackend, type Checkpoint, type Model,
  type TrainingRun, type TrainResult, type IterationReport,
} from 'alm-rnn';
import { prepareDataset } from 'alm-rnn/datasets';
import type { FromWorker, ToWorker } from './protocol.ts';
import { hasStorage, saveRun } from './storage.ts';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

let run: TrainingRun<TrainResult, IterationReport> | null = null;
let running = false;
/** Pause asked for before the run had started: applied when it starts. */
let pauseAsked = false;
/** Whether the page has been told the run is held (so a resume is told too). */
let heldTold = false;

function pause(): void {
  if (!run) {
    pauseAsked = running;
    return;
  }
  const r = run;
  void r.pause().then(() => {
    if (run === r && r.paused && !heldTold) {
      heldTold = true;
      post({ type: 'paused' });
    }
  });
}

function resume(): void {
  pauseAsked = false;
  run?.resume();
  if (heldTold) {
    heldTold = false;
    post({ type: 'resumed' });
  }
}

scope.onmessage = (ev) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'start':
      if (running) {
        post({ type: 'error', message: 'a run is already in progress', userError: true });
        return;
      }
      void start(msg);
      break;
    case 'pause':
      pause();
      break;
    case 'resume':
      resume();
      break;
    case 'stop':
      pauseAsked = false;
      run?.stop();
      resume();
      break;
  }
};

/** The backend asked for; WebGPU falls back to the CPU (with a notice) when no adapter can be had. */
async function openBackend(choice: 'webgpu' | 'cpu'): Promise<BcdBackend> {
  if (choice === 'cpu') return createBackend({ backend: 'cpu', workers: 0 });
  try {
    return await createBackend({ backend: 'webgpu' });
  } catch (err) {
    post({
      type: 'notice',
      message: `WebGPU could not be started in the worker (${(err as Error).message}); running on the CPU backend instead.`,
    });
    return createBackend({ backend: 'cpu', workers: 0 });
  }
}

async function start(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  running = true;
  heldTold = false;
  let backend: BcdBackend | null = null;
  try {
    const { config, csv, resume } = msg;
    // The data set as the CLI prepares it (a registered name, or the CSV text the page sent).
    const loaded = prepareDataset(config, csv);
    const { series, T1 } = loaded;
    const r = config.hidden ?? loaded.defaults.r;
    // An early-stopped run's state is of its run on the fit part: the training part less its validation steps.
    const fitSteps = T1 - (resume?.config.earlyStop?.validationSteps ?? 0);
    if (resume && resume.state.h.length !== fitSteps * resume.initial.r) {
      throw new UserInputError(
        `the saved state holds ${resume.state.h.length / resume.initial.r} training steps, but the data set now gives ${fitSteps}`,
      );
    }
    const storage = hasStorage();
    let storageFailed = false;
    let latest: Model | null = null;
    let latestK = 0;
    const p = config.params;
    // The series comes split and standardised as the CLI does it (prepareDataset), so train() takes it
    // as it is: the same problem, and the same checkpoints, as `alm-rnn train`.
    const options = {
      inputs: series.x,
      targets: series.y,
      inputNames: series.inputNames,
      targetNames: series.targetNames,
      hidden: r,
      activation: config.activation as ActivationOption,
      init: config.init,
      seed: config.seed,
      trainSteps: T1,
      standardize: 'none' as const,
      testHidden: config.testHidden,
      params: p,
      resume: resume ? checkpointToJson(resume) : undefined,
      onSweeps: (k: number, done: number) => post({ type: 'sweeps', k, done }),
      earlyStop: msg.earlyStop,
      onIteration: (it: IterationReport, model: Model) => {
        const { trial: _trial, stage, ...iteration } = it;
        post({ type: 'iteration', it: iteration, ...(stage ? { stage } : {}) });
        latest = model;
        latestK = it.k;
      },
      checkpoint: {
        save: async (json: string) => {
          let saved = false;
          if (storage && !storageFailed) {
            // train()'s checkpoint, with the page's RunConfig (naming the data set) in place of its own,
            // and train()'s early-stopping settings, resolved, so that a resume is checked against them.
            const made = checkpointFromJson(json);
            const checkpoint: Checkpoint = { ...made, config: { ...config, ...(made.config.earlyStop ? { earlyStop: made.config.earlyStop } : {}) } };
            try {
              await saveRun({ checkpoint, csv, backend: msg.backend, savedAt: Date.now() });
              saved = true;
            } catch (err) {
              storageFailed = true;
              post({ type: 'notice', message: `The run could not be saved in browser storage (${(err as Error).message}); export the state to keep it.` });
            }
          }
          if (latest) {
            // The fit of this iterate, in the standardised units the series came in.
            const yHat = latest.predict(series.x);
            post({ type: 'weights', k: latestK, weights: { ...latest.weights }, yHat, saved }, [yHat.buffer]);
          }
        },
      },
    };
    backend = await openBackend(msg.backend);
    // Checks every option before anything runs: a bad one is an OptionError (a user error).
    run = train({ ...options, backend });
    if (pauseAsked) pause();
    post({
      type: 'started',
      backend: backend.info,
      problem: {
        T: series.T, T1, n: series.n, m: series.m, r,
        inputNames: series.inputNames,
        targetNames: series.targetNames,
        y: series.y.slice(),
        activation: config.activation,
        standardization: loaded.standardization,
      },
      loop: resume
        ? { k: resume.loop.k, sweeps: resume.loop.sweeps, seconds: resume.loop.seconds, history: resume.loop.history }
        : { k: 0, sweeps: 0, seconds: 0, history: [] },
      outer: p.outer,
      inner: p.inner,
    });
    const result = await run;
    const yHat = result.model.predict(series.x);
    post(
      {
        type: 'done',
        trainErr: result.trainErr,
        testErr: result.testErr ?? NaN,
        feasVio: result.feasVio,
        gamma: result.gamma,
        outerIterations: result.outerIterations,
        sweeps: result.sweeps,
        seconds: result.seconds,
        stopReason: result.stopReason,
        weights: { ...result.model.weights },
        yHat,
        ...(result.earlyStop ? { earlyStop: result.earlyStop } : {}),
      },
      [yHat.buffer],
    );
  } catch (err) {
    const e = err as Error;
    post({ type: 'error', message: e?.message ?? String(err), userError: err instanceof UserInputError });
  } finally {
    backend?.dispose();
    run = null;
    running = false;
    pauseAsked = false;
  }
}
