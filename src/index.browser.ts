// The package's browser entry (`import { … } from 'alm-rnn'` resolves here in browser, through the
// "exports" map): the public API bound to browsers: CPU pools of module Web Workers, WebGPU through navigator.gpu; nothing here touches Node.
// Importing it creates nothing: workers and devices come into being when a call asks for them
// and are released when it ends.
import type { BackendOptions } from './api/backend.ts';
import type { BcdBackend } from './backends/backend.ts';
import type { TrainingRun } from './api/run.ts';
import {
  createBackendOn, trainBaselineOn, trainGridOn, trainOn, type BaselineTrainOptions, type BaselineTrainResult, type GridOptions, type GridResult, type IterationReport,
  type TrainOptions, type TrainResult,
} from './api/train.ts';
import type { EpochReport } from './baselines/report.ts';
import { acquireGpu as acquireBrowserGpu } from './backends/webgpu/device.ts';
import type { AcquireOptions } from './backends/webgpu/device.ts';
import { acquireGpuWith, type AcquiredGpuDevice, type GpuAcquireOptions } from './api/gpu.ts';
import { browserPlatform } from './platform/browser.ts';

export * from './api/public.ts';

/**
 * Trains an Elman RNN on `inputs` → `targets` with the augmented Lagrangian method. Returns a
 * TrainingRun: `await` it for the TrainResult (the trained Model, TrainErr, TestErr, FeasVio,
 * history, stop reason, seconds), `for await` over it for each outer iteration, or call
 * pause(), resume() and stop() on it. Options are checked before anything starts: a bad one
 * throws an OptionError naming it.
 */
export function train(options: TrainOptions): TrainingRun<TrainResult, IterationReport> {
  return trainOn(browserPlatform, options);
}

/**
 * Trains every combination of `inits` × `taus` × `seeds` on the same data as one batch (on
 * WebGPU the trials share every dispatch; on the CPU they spread over the workers), each exactly
 * as it would run alone; with `select: 'validation'` chooses one on a validation split and
 * retrains it on the whole training part.
 */
export function trainGrid(options: GridOptions): TrainingRun<GridResult, IterationReport> {
  return trainGridOn(browserPlatform, options);
}

/**
 * Trains the same Elman RNN by backpropagation through time with a gradient method (`gd`,
 * `gdc`, `gdnm`, `sgd`, `adam`): the baselines the method is compared with. Runs on the
 * CPU in the calling thread (float64).
 */
export function trainBaseline(options: BaselineTrainOptions): TrainingRun<BaselineTrainResult, EpochReport> {
  return trainBaselineOn(browserPlatform, options);
}

/**
 * Creates a backend to reuse across several calls (pass it as their `backend` option); the
 * caller disposes of it with `dispose()`. The calls themselves create and dispose of their own
 * when given a name.
 */
export function createBackend(options: BackendOptions = {}): Promise<BcdBackend> {
  return createBackendOn(browserPlatform, options);
}

/**
 * Acquires a WebGPU device from navigator.gpu, as the engine does for `backend: 'webgpu'`,
 * with the optional features asked for where the adapter has them. The device is the caller's:
 * pass it as the `backend` option (or to createBackend) as often as wanted, and `destroy()` it
 * when done. Throws GpuUnavailableError, with one line saying why and what to do, when there is none.
 */
export function acquireGpu(options: GpuAcquireOptions = {}): Promise<AcquiredGpuDevice> {
  // The options were checked; WebGPU's own types stay out of the public declarations.
  return acquireGpuWith((o) => acquireBrowserGpu(o as AcquireOptions), options, false);
}
