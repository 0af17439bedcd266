// The CPU backend of a batch over module Web Workers (browser; see worker-pool.ts for how a
// batch is split). The worker is referenced as `new Worker(new URL('./web-pool-worker.ts',
// import.meta.url), { type: 'module' })`, the form Vite, esbuild and webpack 5 follow; the
// build writes the same line with `.js` into dist/.
import { defaultCpuKernels, type CpuKernelsChoice } from './kernels.ts';
import type { PoolResponse } from './pool-serve.ts';
import { WorkerPoolBackend, type PoolChannel, type PoolChannelEvents } from './worker-pool.ts';

/** The workers a browser pool uses by default: navigator.hardwareConcurrency (at least 1). */
export function defaultWebWorkers(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1;
}

/** Starts one module Web Worker serving the pool protocol. */
export function spawnWebWorker(kernels: CpuKernelsChoice, events: PoolChannelEvents): PoolChannel {
  const worker = new Worker(new URL('./web-pool-worker.ts', import.meta.url), { type: 'module', name: 'alm-rnn cpu pool' });
  worker.onmessage = (event: MessageEvent<PoolResponse>) => events.message(event.data);
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    events.error(new Error(`CPU pool worker failed: ${event.message || 'it could not be loaded'}`));
  };
  worker.postMessage({ kernels });
  return {
    post: (request) => worker.postMessage(request),
    setBusy: () => {},
    terminate: async () => worker.terminate(),
  };
}

/** The float64 CPU backend over a batch, spread over module Web Workers. */
export class WebCpuPoolBackend extends WorkerPoolBackend {
  constructor(workers: number = defaultWebWorkers(), kernels: CpuKernelsChoice = defaultCpuKernels()) {
    super(workers, kernels, spawnWebWorker);
  }
}
