// The CPU backend of a batch over Node's worker threads (see worker-pool.ts for how a batch is
// split). Node only: the browser's counterpart is web-pool.ts.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { defaultCpuKernels, type CpuKernelsChoice } from './kernels.ts';
import type { PoolResponse } from './pool-serve.ts';
import { WorkerPoolBackend, type PoolChannel, type PoolChannelEvents } from './worker-pool.ts';

export { reviveError } from './worker-pool.ts';

/** The threads a pool uses by default: one per core. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

// Run from the compiled package, a thread loads pool-worker.js as it is; run from the
// TypeScript source (vitest, the bench), a plain .mjs entry registers tsx in the thread first.
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Starts one worker thread serving the pool protocol. */
export function spawnPoolThread(kernels: CpuKernelsChoice, events: PoolChannelEvents): PoolChannel {
  const url = new URL(FROM_SOURCE ? './pool-worker-entry.mjs' : './pool-worker.js', import.meta.url);
  // A thread inherits Node's flags; --input-type (from `node -e` or a pipe) would refuse its module.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const worker = new Worker(url, { workerData: { kernels }, execArgv });
  worker.on('message', (msg: PoolResponse) => events.message(msg));
  worker.on('error', (err) => events.error(err));
  worker.on('exit', (code) => events.exit(code));
  // Idle workers must not keep Node alive once the run is over.
  worker.unref();
  return {
    post: (request) => worker.postMessage(request),
    setBusy: (busy) => (busy ? worker.ref() : worker.unref()),
    terminate: () => worker.terminate(),
  };
}

/** The float64 CPU backend over a batch, spread over worker threads. */
export class CpuPoolBackend extends WorkerPoolBackend {
  /**
   * @param threads the most worker threads to use (a batch of B uses min(threads, B))
   * @param kernels the kernels every thread's CpuTrials use (default: this thread's default)
   */
  constructor(threads: number = defaultThreads(), kernels: CpuKernelsChoice = defaultCpuKernels()) {
    super(threads, kernels, spawnPoolThread, 'thread');
  }
}
