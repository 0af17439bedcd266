// One thread of the baseline pool (pool.ts): trains the jobs it is given one at a time with
// trainBaseline, exactly as the main thread would, reporting progress and obeying aborts.
import { parentPort, workerData } from 'node:worker_threads';
import { setDefaultCpuKernels, type CpuKernelsChoice } from '../backends/cpu/kernels.ts';
import { trainBaseline, type BaselineOptions, type BaselineResult } from './train.ts';

/** A baseline training without its callbacks (they stay in the main thread). */
export type BaselineJob = Omit<BaselineOptions, 'onEpoch' | 'signal' | 'pauseGate'>;

/** Main thread → worker: start a job, or abort the one with this id. */
export type BaselinePoolRequest = { type: 'run'; id: number; job: BaselineJob } | { type: 'abort'; id: number };

/** Worker → main thread: progress (at most every 100 ms), the result, or the error it threw. */
export type BaselinePoolResponse =
  | { type: 'epoch'; id: number; epoch: number }
  | { type: 'done'; id: number; result: BaselineResult }
  | { type: 'error'; id: number; error: { name: string; message: string; stack?: string } };

setDefaultCpuKernels((workerData as { kernels: CpuKernelsChoice }).kernels);
const port = parentPort!;
const aborts = new Map<number, AbortController>();

port.on('message', (req: BaselinePoolRequest) => {
  if (req.type === 'abort') {
    aborts.get(req.id)?.abort();
    return;
  }
  const controller = new AbortController();
  aborts.set(req.id, controller);
  let lastReport = 0;
  // trainBaseline yields to the event loop every 50 ms, so an abort message gets through.
  trainBaseline({
    ...req.job,
    signal: controller.signal,
    onEpoch: (e) => {
      const now = performance.now();
      if (now - lastReport < 100) return;
      lastReport = now;
      port.postMessage({ type: 'epoch', id: req.id, epoch: e.epoch } satisfies BaselinePoolResponse);
    },
  }).then(
    (result) => port.postMessage({ type: 'done', id: req.id, result } satisfies BaselinePoolResponse),
    (e: Error) => port.postMessage({ type: 'error', id: req.id, error: { name: e.name, message: e.message, stack: e.stack } } satisfies BaselinePoolResponse),
  ).finally(() => aborts.delete(req.id));
});
