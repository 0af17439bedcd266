// One thread of the CPU pool (pool.ts): a TrialsBackend of CpuTrial engines for the block of
// trials this worker owns, driven by messages. Calls run one at a time, in arrival order.
import { parentPort, workerData } from 'node:worker_threads';
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

// The pool's choice of kernels (--cpu-kernels) holds in this thread too.
setDefaultCpuKernels((workerData as { kernels: CpuKernelsChoice }).kernels);
const backend = createCpuBackend();
const port = parentPort!;
let chain: Promise<unknown> = Promise.resolve();

port.on('message', (req: PoolRequest) => {
  chain = chain.then(async () => {
    try {
      const fn = (backend[req.op] as (...a: unknown[]) => Promise<unknown>).bind(backend);
      const result = await fn(...req.args);
      port.postMessage({ id: req.id, result: result instanceof Float64Array ? Array.from(result) : result } satisfies PoolResponse);
    } catch (e) {
      const err = e as Error;
      port.postMessage({ id: req.id, error: { name: err.name, message: err.message, stack: err.stack } } satisfies PoolResponse);
    }
  });
});
