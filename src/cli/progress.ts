// Progress output of training runs: one line per outer iteration (for a batch of trials, a
// summary of the batch), and on a terminal a live bar for the sweeps of the iteration in
// flight; in a pipe or file, a plain line instead when nothing was printed for a while.
import { Writable } from 'node:stream';
import type { AlmIteration } from '../api/public.ts';

/** Longest silence in a pipe or file: a run or phase that prints nothing for this long prints a plain progress line. */
export const PLAIN_PROGRESS_MS = 10_000;

/** A stream that discards what it is given (`--quiet`): not a TTY, so no bar is drawn either. */
export function silentStream(): NodeJS.WriteStream {
  return new Writable({ write: (_chunk, _encoding, done) => done() }) as unknown as NodeJS.WriteStream;
}

/** Writes a plain line at most every PLAIN_PROGRESS_MS while a long phase prints nothing else. */
export class PlainTicker {
  private last: number;

  /** @param now the clock in milliseconds (given by tests) */
  constructor(private readonly out: NodeJS.WriteStream, private readonly now: () => number = () => performance.now()) {
    this.last = now();
  }

  /** Notes that something was printed: the silence starts again. */
  printed(): void {
    this.last = this.now();
  }

  /** Prints `line()` if nothing was printed for PLAIN_PROGRESS_MS. */
  tick(line: () => string): void {
    const t = this.now();
    if (t - this.last < PLAIN_PROGRESS_MS) return;
    this.out.write(`${line()}\n`);
    this.last = t;
  }
}

const HEADER = '    k          γ    FeasVio           L  sweeps    TrainErr     TestErr     time';

/** The live sweep bar of a run (TTY only), shared by the single-run and batch printers. */
class SweepBar {
  protected barShown = false;
  protected readonly startedAt: number;
  /** Outside a TTY: the plain line that stands in for the bar when an iteration takes long. */
  protected readonly ticker: PlainTicker;

  /** @param now the clock in milliseconds (given by tests) */
  constructor(
    protected readonly out: NodeJS.WriteStream,
    protected readonly outer: number,
    protected readonly inner: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
    this.ticker = new PlainTicker(out, now);
  }

  /** The last position reported by sweeps(), for the heartbeat. */
  private at = { k: 1, done: 0 };

  /** Redraws the bar for iteration k after `done` sweeps; outside a TTY, a plain line after PLAIN_PROGRESS_MS of silence. */
  sweeps(k: number, done: number): void {
    this.at = { k, done };
    const overall = ((k - 1) * this.inner + done) / (this.outer * this.inner);
    const secs = (this.now() - this.startedAt) / 1000;
    const eta = overall > 0 ? secs / overall - secs : NaN;
    const where = `outer ${k}/${this.outer}  sweep ${done}/${this.inner}  ${formatSeconds(secs)} elapsed, ${Number.isFinite(eta) ? formatSeconds(eta) : '?'} left`;
    if (!this.out.isTTY) {
      this.ticker.tick(() => `  … ${where}`);
      return;
    }
    this.drawBar(overall, where);
  }

  /**
   * Called on a timer: outside a TTY, repeats the last position after PLAIN_PROGRESS_MS of
   * silence, so that a phase without sweep reports (loading a large batch, a slow first sweep)
   * is not silent in a pipe either.
   */
  heartbeat(): void {
    if (!this.out.isTTY) this.sweeps(this.at.k, this.at.done);
  }

  private drawBar(overall: number, where: string): void {
    const width = 30;
    const filled = Math.round(overall * width);
    this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${where} `);
    this.barShown = true;
  }

  /** Removes the bar before other output. */
  clearBar(): void {
    if (this.barShown) {
      this.out.write('\r\x1b[2K');
      this.barShown = false;
    }
  }
}

/** Outer iterations at the floor without movement after which the progress line suggests --patience. */
const STALL_NOTE_AFTER = 3;

/** Writes the per-iteration table of one run to a stream; draws a sweep bar when the stream is a TTY. */
export class ProgressPrinter extends SweepBar {
  private stalled = 0;
  private previous: AlmIteration | undefined;
  private stallNoted = false;

  /**
   * @param patience the run's --patience (no suggestion is printed when it is set)
   * @param now the clock in milliseconds (given by tests)
   */
  constructor(out: NodeJS.WriteStream, outer: number, inner: number, private readonly patience?: number, now?: () => number) {
    super(out, outer, inner, now);
  }

  /** Prints the column header. */
  header(): void {
    this.out.write(`${HEADER}\n`);
  }

  /** Prints one finished outer iteration. */
  iteration(it: AlmIteration): void {
    this.clearBar();
    this.ticker.printed();
    // γ held at the floor while FeasVio and TrainErr stand still: say so once, and what would stop it.
    const still = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.abs(b);
    const p = this.previous;
    this.stalled = it.atFloor && p && still(it.feasVio, p.feasVio) && still(it.trainErr, p.trainErr) ? this.stalled + 1 : 0;
    this.previous = it;
    let stallNote = '';
    if (this.stalled >= STALL_NOTE_AFTER && !this.stallNoted && this.patience === undefined) {
      stallNote = ` (nothing has moved for ${this.stalled} iterations at the floor: --patience ${this.stalled} would stop here)`;
      this.stallNoted = true;
    }
    const flags = `${it.warm || it.k === 1 ? '' : ' (restart from s^0)'}${it.atFloor ? ' (violation at floor: γ held)' : ''}${stallNote}`;
    this.out.write(
      `${String(it.k).padStart(5)} ${sci(it.gamma)} ${sci(it.feasVio)} ${sci(it.lagrangian, 11)} ${String(it.sweeps).padStart(7)} ` +
        `${fix(it.trainErr)} ${fix(it.testErr)} ${formatSeconds(it.seconds).padStart(8)}${flags}\n`,
    );
  }
}

const BATCH_HEADER = '    k  running   FeasVio best     median      worst   TrainErr best     median      worst     time';

/** Writes one line per outer iteration of a batch: best, median and worst FeasVio and TrainErr, trials still running. */
export class BatchProgressPrinter extends SweepBar {
  private lastFloorNote = -1;

  /** @param now the clock in milliseconds (given by tests) */
  constructor(out: NodeJS.WriteStream, outer: number, inner: number, private readonly trials: number, now?: () => number) {
    super(out, outer, inner, now);
  }

  /** Prints the column header. */
  header(): void {
    this.out.write(`${BATCH_HEADER}\n`);
  }

  /** Prints the summary of outer iteration k over the trials that ran it. */
  iteration(k: number, its: ReadonlyArray<AlmIteration | undefined>): void {
    this.clearBar();
    this.ticker.printed();
    const ran = its.filter((it): it is AlmIteration => it !== undefined);
    const [fb, fm, fw] = spread(ran.map((it) => it.feasVio));
    const [tb, tm, tw] = spread(ran.map((it) => it.trainErr));
    const seconds = Math.max(0, ...ran.map((it) => it.seconds));
    const atFloor = ran.filter((it) => it.atFloor).length;
    const note = atFloor > 0 && atFloor !== this.lastFloorNote ? `  (${atFloor} at the violation floor: γ held)` : '';
    this.lastFloorNote = atFloor;
    this.out.write(
      `${String(k).padStart(5)} ${`${ran.length}/${this.trials}`.padStart(8)} ${sci(fb, 13)} ${sci(fm)} ${sci(fw)} ${fix(tb, 13)} ${fix(tm, 10)} ${fix(tw, 10)} ${formatSeconds(seconds).padStart(8)}${note}\n`,
    );
  }
}

/** Best (lowest), median and worst (highest) of the finite values; NaN where there are none. */
function spread(values: number[]): [number, number, number] {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return [NaN, NaN, NaN];
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : 0.5 * (v[mid - 1] + v[mid]);
  return [v[0], median, v[v.length - 1]];
}

function sci(v: number, width = 10): string {
  return (Number.isFinite(v) ? v.toExponential(3) : String(v)).padStart(width);
}

function fix(v: number, width = 11): string {
  return (Number.isFinite(v) ? (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(4) : v.toFixed(6)) : String(v)).padStart(width);
}

/** "12.3s" or "4m05s". */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}
