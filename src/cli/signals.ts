// How every command stops on a signal. SIGINT (Ctrl-C), SIGTERM (what `docker stop`,
// Kubernetes and Slurm send before they kill) and SIGHUP (a closed terminal or SSH session) are
// handled alike: the first finishes the work in flight and writes every output; a second writes
// what can be written at once and quits. The exit code follows the first signal (128 + its
// number, as a shell reports a process killed by it): 130 SIGINT, 143 SIGTERM, 129 SIGHUP.
import { constants } from 'node:os';

/** The signals that stop a command gracefully. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** One of STOP_SIGNALS. */
export type StopSignalName = (typeof STOP_SIGNALS)[number];

/** What a command does on each signal. */
export interface StopHandlers {
  /** The first signal: say what happens now (the command sees `stop.signal` aborted and winds down). */
  first(name: StopSignalName): void;
  /** A second signal: write what can be written at once; the process exits right after. */
  second?(name: StopSignalName): void;
}

/** 128 + the signal's number: the exit code a shell shows for a process the signal ended. */
export function signalExitCode(name: StopSignalName): number {
  return 128 + constants.signals[name];
}

/** How to send the signal again, for the "stopping…" line: "Ctrl-C again", "SIGTERM again". */
export function againHint(name: StopSignalName): string {
  return name === 'SIGINT' ? 'Ctrl-C again' : `${name} again`;
}

/** The stop signals a command listens for, from listenForStop() until dispose(). */
export class StopListener {
  private readonly controller = new AbortController();
  private firstSignal: StopSignalName | undefined;
  private readonly listeners = new Map<StopSignalName, () => void>();

  constructor(private readonly handlers: StopHandlers) {
    for (const name of STOP_SIGNALS) {
      const listener = (): void => this.receive(name);
      this.listeners.set(name, listener);
      process.on(name, listener);
    }
  }

  /** Aborted by the first signal: what the command's work watches. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first signal received, if any. */
  get received(): StopSignalName | undefined {
    return this.firstSignal;
  }

  /** The command's exit code: `code` when no signal came, else the first signal's 128 + n. */
  exitCode(code: number): number {
    return this.firstSignal === undefined ? code : signalExitCode(this.firstSignal);
  }

  /**
   * Lets a signal that arrived during synchronous work (which no handler can interrupt) be
   * delivered, then stops listening; returns exitCode(code). Commands whose work is synchronous
   * (predict, export) end with this, so that such a signal still sets their exit code.
   */
  async finish(code: number): Promise<number> {
    // The signal is read in the event loop's poll phase: two turns make sure one has passed.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    this.dispose();
    return this.exitCode(code);
  }

  /** Stops listening (the default action of the signals applies again). */
  dispose(): void {
    for (const [name, listener] of this.listeners) process.off(name, listener);
    this.listeners.clear();
  }

  private receive(name: StopSignalName): void {
    if (this.firstSignal !== undefined) {
      this.handlers.second?.(name);
      process.exit(signalExitCode(this.firstSignal));
    }
    this.firstSignal = name;
    this.controller.abort();
    this.handlers.first(name);
  }
}

/** Starts listening for SIGINT, SIGTERM and SIGHUP with the command's handlers; dispose() when done. */
export function listenForStop(handlers: StopHandlers): StopListener {
  return new StopListener(handlers);
}
