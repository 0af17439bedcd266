// Progress output of training runs: one line per outer iteration, and on a terminal a live
// bar for the sweeps of the iteration in flight (plain lines only when not a TTY).
import type { AlmIteration } from '../alm/alm.ts';

const HEADER = '    k          γ    FeasVio           L  sweeps    TrainErr     TestErr     time';

/** Writes the per-iteration table to a stream; draws a sweep bar when the stream is a TTY. */
export class ProgressPrinter {
  private barShown = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly outer: number,
    private readonly inner: number,
  ) {}

  /** Prints the column header. */
  header(): void {
    this.out.write(`${HEADER}\n`);
  }

  /** Redraws the bar for iteration k after `done` sweeps (TTY only). */
  sweeps(k: number, done: number): void {
    if (!this.out.isTTY) return;
    const width = 30;
    const overall = ((k - 1) * this.inner + done) / (this.outer * this.inner);
    const filled = Math.round(overall * width);
    const secs = (performance.now() - this.startedAt) / 1000;
    const eta = overall > 0 ? secs / overall - secs : NaN;
    this.out.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] outer ${k}/${this.outer}  sweep ${done}/${this.inner}  ` +
        `${formatSeconds(secs)} elapsed, ${Number.isFinite(eta) ? formatSeconds(eta) : '?'} left `,
    );
    this.barShown = true;
  }

  /** Prints one finished outer iteration. */
  iteration(it: AlmIteration): void {
    this.clearBar();
    const flags = `${it.warm || it.k === 1 ? '' : ' (restart from s^0)'}${it.atFloor ? ' (violation at floor: γ held)' : ''}`;
    this.out.write(
      `${String(it.k).padStart(5)} ${sci(it.gamma)} ${sci(it.feasVio)} ${sci(it.lagrangian, 11)} ${String(it.sweeps).padStart(7)} ` +
        `${fix(it.trainErr)} ${fix(it.testErr)} ${formatSeconds(it.seconds).padStart(8)}${flags}\n`,
    );
  }

  /** Removes the bar before other output. */
  clearBar(): void {
    if (this.barShown) {
      this.out.write('\r\x1b[2K');
      this.barShown = false;
    }
  }
}

function sci(v: number, width = 10): string {
  return (Number.isFinite(v) ? v.toExponential(3) : String(v)).padStart(width);
}

function fix(v: number): string {
  return (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(4) : v.toFixed(6)) : String(v)).padStart(11);
}

/** "12.3s" or "4m05s". */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}
