// The pause of a worker's training: Pause holds the training at its next pause point (runAlm's
// and trainBaseline's `pauseGate`, awaited between batches of work), Resume or Stop lets it go.
// The page hears of both through the callbacks, so it knows when the worker really waits.

/** One worker's pause state; `wait` is what the training loops await. */
export class PauseGate {
  private paused = false;
  private release: (() => void) | null = null;

  constructor(private readonly onHeld: () => void, private readonly onReleased: () => void) {}

  /** Holds the training at its next pause point. */
  pause(): void {
    this.paused = true;
  }

  /** Lets it go on (Resume, Stop, or a new run): a training held at a pause point is released. */
  resume(): void {
    this.paused = false;
    const release = this.release;
    this.release = null;
    release?.();
  }

  /** Awaited at each pause point: resolves at once unless paused, else when resumed. */
  readonly wait = (): Promise<void> => {
    if (!this.paused) return Promise.resolve();
    this.onHeld();
    return new Promise<void>((resolve) => {
      this.release = () => {
        this.onReleased();
        resolve();
      };
    });
  };
}
