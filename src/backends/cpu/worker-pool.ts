// The CPU backend of a batch over workers: the trials are split into contiguous blocks, one
// block per worker, and every call runs on all workers at once. Each worker computes its trials
// with CpuTrial exactly as a solo run would (pool-serve.ts), so a trial in a batch is
// bit-identical to its solo run whatever the worker count. The calling thread only posts
// messages and waits, so its event loop (Ctrl-C, progress, a page's UI) stays free. The workers
// themselves come from the runtime: worker threads in Node (pool.ts), module Web Workers in a
// browser (web-pool.ts); this file knows neither.
import * as errors from '../../errors.ts';
import type { RnnWeights } from '../../problem/types.ts';
import {
  checkBatch, type BackendInfo, type BcdBackend, type BcdProblem, type BcdState, type ConstraintNorms,
  type MultiplierNorms, type TrialFailure, type TrialMask,
} from '../backend.ts';
import { CPU_INFO } from './cpu-trial.ts';
import type { CpuKernelsChoice } from './kernels.ts';
import type { PoolRequest, PoolResponse, SerializedError } from './pool-serve.ts';

/** One started worker, as the pool drives it. */
export interface PoolChannel {
  post(request: PoolRequest): void;
  /** Whether a call is pending: an idle worker must not keep Node alive (unref), a busy one must. */
  setBusy(busy: boolean): void;
  terminate(): Promise<unknown>;
}

/** What a worker reports to the pool. */
export interface PoolChannelEvents {
  message(response: PoolResponse): void;
  error(err: Error): void;
  exit(code: number | undefined): void;
}

/** Starts one worker that serves the pool protocol with `kernels`. */
export type SpawnPoolWorker = (kernels: CpuKernelsChoice, events: PoolChannelEvents) => PoolChannel;

/** One worker and the trials [start, end) it owns. */
interface PoolWorker {
  worker: PoolChannel;
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

/** The float64 CPU backend over a batch, spread over workers that `spawn` starts (threads in Node, Web Workers in a browser). */
export class WorkerPoolBackend implements BcdBackend {
  readonly info: BackendInfo;
  private workers: PoolWorker[] = [];
  private B = 0;
  private nextId = 0;
  private disposed = false;

  /**
   * @param threads the most workers to use (a batch of B uses min(threads, B))
   * @param kernels the kernels every worker's CpuTrials use
   * @param spawn starts one worker serving the pool protocol (pool-serve.ts)
   * @param unit what a worker is called in the backend's description ("thread" in Node)
   */
  constructor(readonly threads: number, readonly kernels: CpuKernelsChoice, private readonly spawnWorker: SpawnPoolWorker, unit = 'worker') {
    if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`threads must be an integer ≥ 1, got ${threads}`);
    this.info = { ...CPU_INFO, description: `cpu (float64 reference, ${kernels} kernels, up to ${threads} ${unit}${threads === 1 ? '' : 's'})` };
  }

  get trials(): number {
    return this.B;
  }

  private spawn(start: number, end: number): PoolWorker {
    const pending: PoolWorker['pending'] = new Map();
    const fail = (err: Error) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    const worker = this.spawnWorker(this.kernels, {
      message: (msg) => {
        const p = pending.get(msg.id);
        if (!p) return;
        pending.delete(msg.id);
        if (msg.error) p.reject(reviveError(msg.error));
        else p.resolve(msg.result);
      },
      error: fail,
      exit: (code) => {
        if (!this.disposed) fail(new Error(`CPU pool worker for trials ${start}…${end - 1} exited (code ${code})`));
      },
    });
    return { worker, start, end, pending };
  }

  private call<T>(w: PoolWorker, request: Omit<PoolRequest, 'id'>): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('CPU pool: disposed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      w.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      w.worker.setBusy(true);
      w.worker.post({ id, ...request });
    }).finally(() => {
      if (w.pending.size === 0) w.worker.setBusy(false);
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
