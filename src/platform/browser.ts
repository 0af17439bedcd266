// The browser runtime behind the public API: CPU pools of module Web Workers, WebGPU through
// navigator.gpu. Loaded only by the package's browser entry; nothing here touches Node.
import { defaultWebWorkers, WebCpuPoolBackend } from '../backends/cpu/web-pool.ts';
import { acquireGpu } from '../backends/webgpu/device.ts';
import type { Platform } from '../api/platform.ts';

/** A browser (or a Web Worker): module Web Workers and navigator.gpu. */
export const browserPlatform: Platform = {
  name: 'browser',
  defaultWorkers: defaultWebWorkers,
  createCpuPool: (workers, kernels) => new WebCpuPoolBackend(workers, kernels),
  acquireGpu: () => acquireGpu(),
};
