// What the public API needs from the runtime it runs in, so that one implementation of the API
// serves Node and browsers: where CPU pool workers come from (worker_threads or module Web
// Workers) and where a WebGPU device comes from (Dawn or navigator.gpu). The package's two
// entries (src/index.node.ts, src/index.browser.ts) each pass their own; nothing here is
// chosen by a runtime check.
import type { BcdBackend } from '../backends/backend.ts';
import type { CpuKernelsChoice } from '../backends/cpu/kernels-choice.ts';
import type { GpuAdapterSummary } from '../backends/webgpu/adapter.ts';
import type { GpuDeviceHandle } from './backend.ts';

/** The runtime-specific pieces behind the API. */
export interface Platform {
  /** "node" or "browser", for the backend line. */
  readonly name: 'node' | 'browser';
  /** Workers a CPU pool uses by default (one per core). */
  defaultWorkers(): number;
  /** A CPU backend whose trials run on up to `workers` workers. */
  createCpuPool(workers: number, kernels: CpuKernelsChoice): BcdBackend;
  /** A WebGPU device; throws GpuUnavailableError with one line saying why and what to do. */
  acquireGpu(): Promise<{ device: GpuDeviceHandle; adapterInfo: GpuAdapterSummary }>;
}
