// The Node runtime behind the public API: CPU pools of worker threads, WebGPU through the
// optional `webgpu` package (Dawn). Loaded only by the package's node entry.
import { CpuPoolBackend, defaultThreads } from '../backends/cpu/pool.ts';
import { acquireGpu } from '../backends/webgpu/node-gpu.ts';
import type { Platform } from '../api/platform.ts';

/** Node: worker_threads and Dawn. */
export const nodePlatform: Platform = {
  name: 'node',
  defaultWorkers: defaultThreads,
  createCpuPool: (workers, kernels) => new CpuPoolBackend(workers, kernels),
  acquireGpu: () => acquireGpu(),
};
