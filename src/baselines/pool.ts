// The gradient baselines over worker threads (Node): independent trainings (a selection grid,
// the repeats of a table) run one per thread at a time, each computed by trainBaseline exactly
// as in the main thread, so a result does not depend on the thread count. The main thread only
// posts jobs and waits, so its event loop (Ctrl-C, progress) stays free.
import { Worker } from 'node:worker_threads';
import { defaultCpuKernels, type CpuKernelsChoice } from '../backends/cpu/kernels.ts';
import { defaultThreads, reviveError } from '../backends/cpu/pool.ts';
import type { BaselineResult } from './train.ts';
import type { BaselineJob, BaselinePoolRequest, BaselinePoolResponse } from './pool-worker.ts';

export type { BaselineJob };

/** What the caller of a job hears while it runs. */
export interface BaselineJobHooks {
  /** The last epoch finished (at most every 100 ms). */
  onEpoch?: (epoch: number) => void;
  /** Aborting stops the job at its next epoch boundary; it then resolves with stopped = 'aborted'. */
  signal?: AbortSignal;
}

interface Job {
  id: number;
  job: BaselineJob;
  hooks: BaselineJobHooks;
  resolve: (r: BaselineResult) => void;
  reject: (e: Error) => void;
  /** Frees its thread for the next job (set when it starts). */
  finish?: () => void;
}

interface PoolThread {
  worker: Worker;
  busy: Job | null;
}

/** Runs baseline trainings on up to `threads` worker threads, first come first served. */
export class BaselinePool {
  private readonly threadsInUse: PoolThread[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private disposed = false;

  constructor(readonly threads: number = defaultThreads(), readonly kernels: CpuKernelsChoice = defaultCpuKernels()) {
    if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
  }

  /** Trains one baseline; resolves with what trainBaseline returns. */
  run(job: BaselineJob, hooks: BaselineJobHooks = {}): Promise<BaselineResult> {
    if (this.disposed) return Promise.reject(new Error('BaselinePool: disposed'));
    return new Promise<BaselineResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, hooks, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.disposed) return;
    while (this.queue.length > 0) {
      let thread = this.threadsInUse.find((t) => t.busy === null);
      if (!thread && this.threadsInUse.length < this.threads) thread = this.spawn();
      if (!thread) return;
      const job = this.queue.shift()!;
      if (job.hooks.signal?.aborted) {
        // Never started: it ends as an aborted training of zero epochs would.
        job.resolve({ weights: job.job.initialWeights, history: [], stopped: 'aborted' });
        continue;
      }
      thread.busy = job;
      thread.worker.ref();
      const onAbort = () => thread!.worker.postMessage({ type: 'abort', id: job.id } satisfies BaselinePoolRequest);
      job.hooks.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        job.hooks.signal?.removeEventListener('abort', onAbort);
        thread!.busy = null;
        thread!.worker.unref();
        // The next job starts after what the caller does with this result (it may abort the rest).
        setImmediate(() => this.dispatch());
      };
      job.finish = finish;
      thread.worker.postMessage({ type: 'run', id: job.id, job: job.job } satisfies BaselinePoolRequest);
    }
  }

  private spawn(): PoolThread {
    // From the compiled package a thread loads pool-worker.js; from the TypeScript source (vitest,
    // the bench), a plain .mjs entry registers tsx in the thread first.
    const url = new URL(import.meta.url.endsWith('.ts') ? './pool-worker-entry.mjs' : './pool-worker.js', import.meta.url);
    // A thread inherits Node's flags; --input-type (from `node -e` or a pipe) would refuse its module.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    const worker = new Worker(url, { workerData: { kernels: this.kernels }, execArgv });
    const thread: PoolThread = { worker, busy: null };
    const settle = (job: Job, fn: () => void) => {
      job.finish?.();
      fn();
    };
    worker.on('message', (msg: BaselinePoolResponse) => {
      const job = thread.busy;
      if (!job || job.id !== msg.id) return;
      if (msg.type === 'epoch') job.hooks.onEpoch?.(msg.epoch);
      else if (msg.type === 'done') settle(job, () => job.resolve(msg.result));
      else settle(job, () => job.reject(reviveError(msg.error)));
    });
    const fail = (err: Error) => {
      const job = thread.busy;
      const i = this.threadsInUse.indexOf(thread);
      if (i >= 0) this.threadsInUse.splice(i, 1);
      if (job) {
        thread.busy = null;
        job.reject(err);
      }
      if (!this.disposed) this.dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.disposed) fail(new Error(`baseline pool worker exited (code ${code})`));
    });
    // Idle workers must not keep Node alive once the work is over.
    worker.unref();
    this.threadsInUse.push(thread);
    return thread;
  }

  /** Stops every thread; jobs still queued or running are rejected. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const err = new Error('BaselinePool: disposed');
    for (const job of this.queue.splice(0)) job.reject(err);
    for (const t of this.threadsInUse.splice(0)) {
      t.busy?.reject(err);
      void t.worker.terminate();
    }
  }
}
