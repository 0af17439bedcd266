// What one worker of the CPU pool (worker-pool.ts) runs, whatever the runtime: a TrialsBackend
// of CpuTrial engines for the block of trials it owns, driven by messages. Calls run one at a
// time, in arrival order. pool-worker.ts (Node) and web-pool-worker.ts (browser) connect it.
import { createCpuBackend } from './cpu-backend.ts';
import { setDefaultCpuKernels, type CpuKernelsChoice } from './kernels.ts';

/** A call of one BcdBackend method with this worker's slice of the arguments. */
export interface PoolRequest {
  id: number;
  op: 'load' | 'sweep' | 'certificate' | 'constraintNorms' | 'updateMultipliers' | 'lagrangian' | 'resetToInitial' | 'readWeights' | 'readState' | 'writeState' | 'trialSeconds';
  args: unknown[];
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** The answer to a PoolRequest: its result (per-trial values as arrays) or the error it threw. */
export interface PoolResponse {
  id: number;
  result?: unknown;
  error?: SerializedError;
}

/** Serves pool requests with the given kernels: returns the handler of one request message. */
export function servePool(kernels: CpuKernelsChoice, post: (response: PoolResponse) => void): (request: PoolRequest) => void {
  // The pool's choice of kernels (--cpu-kernels) holds in this worker too.
  setDefaultCpuKernels(kernels);
  const backend = createCpuBackend();
  let chain: Promise<unknown> = Promise.resolve();
  return (req) => {
    chain = chain.then(async () => {
      try {
        const fn = (backend[req.op] as (...a: unknown[]) => Promise<unknown>).bind(backend);
        const result = await fn(...req.args);
        post({ id: req.id, result: result instanceof Float64Array ? Array.from(result) : result });
      } catch (e) {
        const err = e as Error;
        post({ id: req.id, error: { name: err.name, message: err.message, stack: err.stack } });
      }
    });
  };
}
