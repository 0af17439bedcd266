// Chooses and creates the backend a run computes on: cpu, webgpu, or auto (webgpu on a
// hardware adapter, cpu otherwise: a software adapter such as SwiftShader is far slower than
// the CPU backend — about 0.1 GFLOP/s against 1–1.5 for plain JS loops on this kind of machine).
import { UserInputError } from '../errors.ts';
import type { BcdBackend } from './backend.ts';
import type { CpuKernelsChoice } from './cpu/kernels.ts';
import { CpuPoolBackend, defaultThreads } from './cpu/pool.ts';
import { acquireGpu, GpuUnavailableError, isSoftwareAdapter, type GpuAdapterSummary } from './webgpu/device.ts';
import { createWebGpuBatch } from './webgpu/webgpu-backend.ts';

/** What the user may ask for. */
export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** A created backend with one line saying what was chosen and why. */
export interface SelectedBackend {
  backend: BcdBackend;
  /** E.g. "backend: webgpu on nvidia hopper (hardware adapter)". */
  line: string;
}

/** One human-readable description of an adapter. */
export function describeAdapter(info: GpuAdapterSummary): string {
  const name = [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'unknown adapter';
  return `${name} (${isSoftwareAdapter(info) ? 'software' : 'hardware'} adapter)`;
}

/** Options of createBackend. */
export interface BackendOptions {
  /** CPU worker threads (default: one per core); a batch of B trials uses at most B. */
  threads?: number;
  /** The CPU backend's kernels (default: the module default, wasm). */
  cpuKernels?: CpuKernelsChoice;
}

/** Creates the backend for a choice; "webgpu" fails with a clear message when no adapter is found. */
export async function createBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<SelectedBackend> {
  const threads = options.threads ?? defaultThreads();
  const cpu = (): CpuPoolBackend => new CpuPoolBackend(threads, options.cpuKernels);
  const cpuLine = `cpu (float64 reference, up to ${threads} thread${threads === 1 ? '' : 's'})`;
  if (choice === 'cpu') return { backend: cpu(), line: `backend: ${cpuLine}` };
  if (choice !== 'webgpu' && choice !== 'auto') {
    throw new UserInputError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${String(choice)}"`);
  }
  let acquired;
  try {
    acquired = await acquireGpu();
  } catch (err) {
    if (!(err instanceof GpuUnavailableError)) throw err;
    if (choice === 'webgpu') throw new UserInputError(`--backend webgpu: ${err.message}`);
    return { backend: cpu(), line: `backend: ${cpuLine}; auto: ${err.message}` };
  }
  const { device, adapterInfo } = acquired;
  const adapter = describeAdapter(adapterInfo);
  if (choice === 'auto' && isSoftwareAdapter(adapterInfo)) {
    device.destroy();
    return {
      backend: cpu(),
      line: `backend: ${cpuLine}; auto: the only WebGPU adapter is ${adapter}, slower than the CPU backend`,
    };
  }
  return {
    backend: createWebGpuBatch(device, { adapterInfo, ownsDevice: true }),
    line: `backend: webgpu on ${adapter}`,
  };
}
