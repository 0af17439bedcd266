// The handle a training call returns: a promise of its result (await it), an async iterable of
// its progress (for await … of), and pause / resume / stop. One class for the ALM, grids and
// the baselines.

/**
 * An AbortSignal, described by what the API uses of it, so that the package's declarations need
 * neither the DOM's nor Node's types (any AbortSignal fits).
 */
export interface AbortSignalLike {
  /** Whether abort() was called. */
  readonly aborted: boolean;
  /** Registers the listener run on abort. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

/** What a training function gets from its TrainingRun: its stop signal, the pause gate, and where to report progress. */
export interface RunControl<Progress> {
  /** Aborted by stop() or the caller's signal (an AbortSignal). */
  signal: AbortSignalLike;
  /** Awaited between batches of work: resolves at once, or on resume() while paused. */
  pauseGate: () => Promise<void>;
  /** Reports one progress record to the iterator. */
  emit: (progress: Progress) => void;
}

/**
 * Controls a running training: what the API's training functions return. It is a thenable
 * (`await run` gives the result; returning it from an async function awaits it too; `run.promise`
 * is the plain Promise), an async iterable of progress reports, and has pause, resume and stop.
 */
export class TrainingRun<Result, Progress> implements PromiseLike<Result>, AsyncIterable<Progress> {
  private readonly result: Promise<Result>;
  private readonly stopper = new AbortController();
  private pausedGate: Promise<void> | null = null;
  private releasePause: (() => void) | null = null;
  private heldWaiters: Array<() => void> = [];
  private readonly queue: Progress[] = [];
  private readonly waiters: Array<() => void> = [];
  private settled = false;

  /** @internal Started by the API's training functions. */
  constructor(
    start: (control: RunControl<Progress>) => Promise<Result>,
    userSignal?: AbortSignalLike,
  ) {
    if (userSignal) {
      if (userSignal.aborted) this.stopper.abort();
      else userSignal.addEventListener('abort', () => this.stopper.abort(), { once: true });
    }
    // Started on the next microtask, so that a caller can attach its iterator first.
    this.result = Promise.resolve().then(() =>
      start({
        signal: this.stopper.signal,
        pauseGate: () => {
          if (this.pausedGate) this.signalHeld();
          return this.pausedGate ?? Promise.resolve();
        },
        emit: (p) => {
          this.queue.push(p);
          this.wake();
        },
      }),
    );
    const done = () => {
      this.settled = true;
      this.signalHeld();
      this.resume();
      this.wake();
    };
    this.result.then(done, done);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Stops the training after its current batch of sweeps (or epoch); the result still arrives, with the weights reached so far. */
  stop(): void {
    this.stopper.abort();
    this.resume();
  }

  private signalHeld(): void {
    for (const w of this.heldWaiters.splice(0)) w();
  }

  /**
   * Holds the training at its next batch of sweeps (or epoch) until resume(). The promise
   * resolves once the training is held there (the batch in flight has finished), or has ended,
   * or resume() came first: e.g. to say "paused" only when nothing computes any more.
   */
  pause(): Promise<void> {
    const held = new Promise<void>((resolve) => this.heldWaiters.push(resolve));
    if (this.settled) this.signalHeld();
    else if (!this.pausedGate) this.pausedGate = new Promise((resolve) => (this.releasePause = resolve));
    return held;
  }

  /** Continues a paused training. */
  resume(): void {
    this.signalHeld();
    this.releasePause?.();
    this.pausedGate = null;
    this.releasePause = null;
  }

  /** Whether the training is paused. */
  get paused(): boolean {
    return this.pausedGate !== null;
  }

  then<A = Result, B = never>(onFulfilled?: ((value: Result) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.result.then(onFulfilled, onRejected);
  }

  /** The result as a plain Promise. */
  get promise(): Promise<Result> {
    return this.result;
  }

  /** Progress reports as they come; ends when the training ends (throws what the training threw). */
  async *[Symbol.asyncIterator](): AsyncIterator<Progress> {
    for (;;) {
      if (this.queue.length > 0) {
        yield this.queue.shift()!;
        continue;
      }
      if (this.settled) {
        await this.result;
        return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}
