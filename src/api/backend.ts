// Where a run computes: the `backend` option of every API call. 'auto' behaves the same in
// Node and in a browser: WebGPU on a hardware adapter, the CPU otherwise (a software adapter
// such as SwiftShader is far slower than the float64 CPU backend), with a line saying what was
// chosen. A GPUDevice or a backend object the caller made stays the caller's; what the API
// creates, the API disposes of when the run ends.
import type { BcdBackend } from '../backends/backend.ts';
import { createCpuBackend } from '../backends/cpu/cpu-backend.ts';
import { parseCpuKernels } from '../backends/cpu/kernels.ts';
import type { CpuKernelsChoice } from '../backends/cpu/kernels-choice.ts';
import { GpuUnavailableError, isSoftwareAdapter, type GpuAdapterSummary } from '../backends/webgpu/adapter.ts';
import { summarizeAdapter } from '../backends/webgpu/device.ts';
import { createWebGpuBatch } from '../backends/webgpu/webgpu-backend.ts';
import { OptionError } from './errors.ts';
import type { Platform } from './platform.ts';

/** The backends that can be asked for by name. */
export const BACKEND_NAMES = ['auto', 'cpu', 'webgpu'] as const;

/** A backend asked for by name: `auto` (WebGPU on a hardware adapter, else the CPU), `cpu` or `webgpu`. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * A WebGPU device the caller already has (a `GPUDevice`): described structurally so that code
 * which never touches WebGPU needs no WebGPU type declarations. The caller keeps ownership.
 */
export interface GpuDeviceHandle {
  /** The device's `GPUQueue`. */
  readonly queue: object;
  /** The device's `GPUSupportedLimits`. */
  readonly limits: object;
  /** `GPUDevice.createBuffer`. */
  createBuffer(descriptor: never): unknown;
  /** `GPUDevice.createComputePipeline`. */
  createComputePipeline(descriptor: never): unknown;
  /** `GPUDevice.destroy` (the API never calls it on a device the caller gave). */
  destroy(): void;
}

/** What the `backend` option accepts: a name, a GPUDevice, or a backend object (see createBackend). */
export type BackendOption = BackendName | GpuDeviceHandle | BcdBackend;

/**
 * The most CPU workers a call may ask for: each is a thread with its own heap, and a typo such
 * as 1e6 would otherwise start one per trial of a large grid.
 */
export const MAX_WORKERS = 256;

/** The options every training call shares about where it computes. */
export interface BackendOptions {
  /** Where to compute (default `auto`). */
  backend?: BackendOption;
  /**
   * CPU only: how many workers (worker threads in Node, module Web Workers in a browser) the
   * trials spread over; default one per core, at most one per trial. 0 computes in the calling
   * thread (simplest, but it blocks that thread while it computes). At most 256.
   */
  workers?: number;
  /** CPU only: the float64 kernels, WebAssembly SIMD (`wasm`, default) or plain JavaScript (`js`); results agree to ~1e-13. */
  cpuKernels?: CpuKernelsChoice;
  /** Receives the line saying which backend was chosen, and why (default: nothing is printed). */
  log?: (line: string) => void;
}

/** A backend ready for a run, with the line saying what it is. */
export interface ResolvedBackend {
  backend: BcdBackend;
  /** E.g. "backend: webgpu on nvidia hopper (hardware adapter)". */
  line: string;
  /** Whether the API created it (and so disposes of it after the run). */
  owned: boolean;
}

/** One human-readable description of an adapter. */
export function describeAdapter(info: GpuAdapterSummary): string {
  const name = [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') || 'unknown adapter';
  return `${name} (${isSoftwareAdapter(info) ? 'software' : 'hardware'} adapter)`;
}

function isBackendObject(v: object): v is BcdBackend {
  const b = v as Partial<BcdBackend>;
  return typeof b.load === 'function' && typeof b.sweep === 'function' && typeof b.readWeights === 'function' && typeof b.dispose === 'function';
}

function isGpuDevice(v: object): v is GpuDeviceHandle {
  const d = v as Partial<GpuDeviceHandle>;
  return typeof d.createComputePipeline === 'function' && typeof d.createBuffer === 'function' && typeof d.queue === 'object';
}

/** Checks the backend options (names, types, ranges) before any work. */
export function validateBackendOptions(options: BackendOptions): void {
  const b = options.backend;
  if (b !== undefined && !(typeof b === 'string' && (BACKEND_NAMES as readonly string[]).includes(b)) && !(typeof b === 'object' && b !== null && (isGpuDevice(b) || isBackendObject(b)))) {
    throw new OptionError('backend', b, `must be one of ${BACKEND_NAMES.join(', ')}, a GPUDevice, or a backend object from createBackend()`);
  }
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 0 && options.workers <= MAX_WORKERS)) {
    throw new OptionError('workers', options.workers, `must be an integer from 0 to ${MAX_WORKERS} (0: compute in the calling thread)`);
  }
  if (options.cpuKernels !== undefined) {
    try {
      parseCpuKernels(options.cpuKernels);
    } catch {
      throw new OptionError('cpuKernels', options.cpuKernels, 'must be "wasm" or "js"');
    }
  }
  if (options.log !== undefined && typeof options.log !== 'function') throw new OptionError('log', options.log, 'must be a function of one line');
}

/**
 * Why `auto` chose the CPU, per platform, once found: a runtime without a hardware adapter does
 * not get one later, and asking again costs a second or more (Dawn starts, SwiftShader probes).
 */
const autoFallback = new WeakMap<Platform, string>();

/** Creates (or adopts) the backend for a run of `trials` trials. */
export async function resolveBackend(platform: Platform, options: BackendOptions, trials: number): Promise<ResolvedBackend> {
  validateBackendOptions(options);
  const choice = options.backend ?? 'auto';
  if (typeof choice === 'object') {
    if (isBackendObject(choice)) return { backend: choice, line: `backend: ${choice.info.description} (given)`, owned: false };
    const device = choice as unknown as GPUDevice;
    // The device says which adapter it came from (GPUDevice.adapterInfo: Chrome 132+, Dawn), and
    // the backend tunes its kernels to it (a software adapter gets fewer, larger workgroups).
    const info = (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const adapterInfo = info ? summarizeAdapter({ info } as unknown as GPUAdapter) : undefined;
    const on = adapterInfo ? describeAdapter(adapterInfo) : 'the given GPUDevice';
    return { backend: createWebGpuBatch(device, { adapterInfo, ownsDevice: false }), line: `backend: webgpu on ${on} (given device)`, owned: false };
  }
  const kernels = options.cpuKernels ?? 'wasm';
  const cpu = (): { backend: BcdBackend; line: string } => {
    const workers = Math.min(options.workers ?? platform.defaultWorkers(), trials);
    if (workers === 0) {
      const backend = createCpuBackend(kernels);
      return { backend, line: `cpu (float64 reference, ${kernels} kernels, in the calling thread)` };
    }
    const backend = platform.createCpuPool(workers, kernels);
    return { backend, line: backend.info.description };
  };
  if (choice === 'cpu') {
    const { backend, line } = cpu();
    return { backend, line: `backend: ${line}`, owned: true };
  }
  const known = choice === 'auto' ? autoFallback.get(platform) : undefined;
  if (known !== undefined) {
    const { backend, line } = cpu();
    return { backend, line: `backend: ${line}; auto: ${known}`, owned: true };
  }
  let acquired;
  try {
    acquired = await platform.acquireGpu();
  } catch (err) {
    if (!(err instanceof GpuUnavailableError)) throw err;
    if (choice === 'webgpu') throw new OptionError('backend: "webgpu"', undefined, `is not available here: ${err.message}`);
    autoFallback.set(platform, err.message);
    const { backend, line } = cpu();
    return { backend, line: `backend: ${line}; auto: ${err.message}`, owned: true };
  }
  const { adapterInfo } = acquired;
  const device = acquired.device as unknown as GPUDevice;
  const adapter = describeAdapter(adapterInfo);
  if (choice === 'auto' && isSoftwareAdapter(adapterInfo)) {
    device.destroy();
    const reason = `the only WebGPU adapter is ${adapter}, slower than the CPU backend`;
    autoFallback.set(platform, reason);
    const { backend, line } = cpu();
    return { backend, line: `backend: ${line}; auto: ${reason}`, owned: true };
  }
  return { backend: createWebGpuBatch(device, { adapterInfo, ownsDevice: true }), line: `backend: webgpu on ${adapter}`, owned: true };
}
