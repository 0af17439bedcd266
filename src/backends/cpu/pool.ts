// The CPU backend of a batch over worker threads (Node): the trials are split into contiguous
// blocks, one block per worker, and every call runs on all workers at once. Each worker
// computes its trials with CpuTrial exactly as a solo run would (see pool-worker.ts), so a
// trial in a batch is bit-identical to its solo run whatever the thread count. The main
// thread only posts messages and waits, so its event loop (Ctrl-C, progress) stays free.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as errors from '../../errors.ts';
import type { RnnWeights } from '../../problem/types.ts';
import {
  checkBatch, type BackendInfo, type BcdBackend, type BcdProblem, type BcdState, type ConstraintNorms,
  type MultiplierNorms, type TrialFailure, type TrialMask,
} from '../backend.ts';
import { CPU_INFO } from './cpu-trial.ts';
import { defaultCpuKernels, type CpuKernelsChoice } from './kernels.ts';
import type { PoolRequest, PoolResponse, SerializedError } from './pool-worker.ts';

/** The threads a pool uses by default: one per core. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/** One worker and the trials [start, end) it owns. */
interface PoolWorker {
  worker: Worker;
  start: number;
  end: number;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

/** Rebuilds an error thrown in a worker, keeping its class when errors.ts defines it (user errors stay user errors). */
export function reviveError(e: SerializedError): Error {
  const cls = Object.values(errors).find((c): c is typeof Error => typeof c === 'function' && c.prototype instanceof Error && c.name === e.name);
  const err: Error = cls ? Object.create(cls.prototype) : new Error(e.message);
  Object.defineProperty(err, 'message', { value: e.message, writable: true, configurable: true });
  Object.defineProperty(err, 'name', { value: e.name, writable: true, configurable: true });
  if (e.stack) Object.defineProperty(err, 'stack', { value: e.stack, writable: true, configurable: true });
  return err;
}

/** The float64 CPU backend over a batch, spread over worker threads. */
export class CpuPoolBackend implements BcdBackend {
  readonly info: BackendInfo;
  private workers: PoolWorker[] = [];
  private B = 0;
  private nextId = 0;
  private disposed = false;

  /**
   * @param threads the most worker threads to use (a batch of B uses min(threads, B))
   * @param kernels the kernels every thread's CpuTrials use (default: this thread's default)
   */
  constructor(readonly threads: number = defaultThreads(), readonly kernels: CpuKernelsChoice = defaultCpuKernels()) {
    if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
    this.info = { ...CPU_INFO, description: `cpu (float64 reference, up to ${threads} thread${threads === 1 ? '' : 's'})` };
  }

  get trials(): number {
    return this.B;
  }

  private spawn(start: number, end: number): PoolWorker {
    // A plain .mjs entry registers the TypeScript loader in the thread, then loads pool-worker.ts.
    const worker = new Worker(new URL('./pool-worker-entry.mjs', import.meta.url), { workerData: { kernels: this.kernels } });
    const w: PoolWorker = { worker, start, end, pending: new Map() };
    worker.on('message', (msg: PoolResponse) => {
      const p = w.pending.get(msg.id);
      if (!p) return;
      w.pending.delete(msg.id);
      if (msg.error) p.reject(reviveError(msg.error));
      else p.resolve(msg.result);
    });
    const fail = (err: Error) => {
      for (const p of w.pending.values()) p.reject(err);
      w.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.disposed) fail(new Error(`CPU pool worker for trials ${start}…${end - 1} exited (code ${code})`));
    });
    // Idle workers must not keep Node alive once the run is over.
    worker.unref();
    return w;
  }

  private call<T>(w: PoolWorker, request: Omit<PoolRequest, 'id'>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('CpuPoolBackend: disposed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      w.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.worker.ref();
      w.worker.postMessage({ id, ...request });
    }).finally(() => {
      if (w.pending.size === 0) w.worker.unref();
    });
  }

  /** Runs op on every worker with its slice of the per-trial arguments; concatenates the per-trial results. */
  private async all<T>(op: PoolRequest['op'], perTrial: (w: PoolWorker) => unknown[]): Promise<T[]> {
    const parts = await Promise.all(this.workers.map((w) => this.call<T[]>(w, { op, args: perTrial(w) })));
    return parts.flat();
  }

  private owner(trial: number): { w: PoolWorker; local: number } {
    const w = this.workers.find((x) => trial >= x.start && trial < x.end);
    if (!w) throw new RangeError(`trial ${trial} is not loaded (${this.B} trials)`);
    return { w, local: trial - w.start };
  }

  async load(problems: readonly BcdProblem[], initial: readonly RnnWeights[]): Promise<void> {
    checkBatch(problems, initial);
    const B = problems.length;
    const count = Math.min(this.threads, B);
    if (this.workers.length !== count || this.B !== B) {
      await this.terminate();
      this.disposed = false;
      this.workers = [];
      for (let w = 0; w < count; w++) this.workers.push(this.spawn(Math.floor((w * B) / count), Math.floor(((w + 1) * B) / count)));
    }
    this.B = B;
    await this.all('load', (w) => [problems.slice(w.start, w.end), initial.slice(w.start, w.end)]);
  }

  async sweep(count: number, gamma: ArrayLike<number>, active?: TrialMask): Promise<TrialFailure[]> {
    const parts = await Promise.all(this.workers.map(async (w) => {
      if (active && !active.slice(w.start, w.end).some(Boolean)) return [];
      const failures = await this.call<TrialFailure[]>(w, { op: 'sweep', args: [count, slice(gamma, w), active?.slice(w.start, w.end)] });
      return failures.map((f) => ({ ...f, trial: f.trial + w.start }));
    }));
    return parts.flat();
  }

  async certificate(gamma: ArrayLike<number>, active?: TrialMask): Promise<Float64Array> {
    return Float64Array.from(await this.all<number>('certificate', (w) => [slice(gamma, w), active?.slice(w.start, w.end)]));
  }

  async constraintNorms(): Promise<ConstraintNorms[]> {
    return this.all<ConstraintNorms>('constraintNorms', () => []);
  }

  async updateMultipliers(gamma: ArrayLike<number>, active?: TrialMask): Promise<MultiplierNorms[]> {
    return this.all<MultiplierNorms>('updateMultipliers', (w) => [slice(gamma, w), active?.slice(w.start, w.end)]);
  }

  async lagrangian(gamma: ArrayLike<number>): Promise<Float64Array> {
    return Float64Array.from(await this.all<number>('lagrangian', (w) => [slice(gamma, w)]));
  }

  async resetToInitial(mask: TrialMask): Promise<void> {
    await this.all('resetToInitial', (w) => [mask.slice(w.start, w.end)]);
  }

  async trialSeconds(): Promise<Float64Array> {
    return Float64Array.from(await this.all<number>('trialSeconds', () => []));
  }

  async readWeights(): Promise<RnnWeights[]> {
    return this.all<RnnWeights>('readWeights', () => []);
  }

  async readState(trial: number): Promise<BcdState> {
    const { w, local } = this.owner(trial);
    return this.call<BcdState>(w, { op: 'readState', args: [local] });
  }

  async writeState(trial: number, state: BcdState): Promise<void> {
    const { w, local } = this.owner(trial);
    await this.call(w, { op: 'writeState', args: [local, state] });
  }

  private async terminate(): Promise<void> {
    this.disposed = true;
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  dispose(): void {
    void this.terminate();
  }
}

function slice(a: ArrayLike<number>, w: PoolWorker): number[] {
  return Array.from(a).slice(w.start, w.end);
}
