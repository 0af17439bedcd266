// The progress printers in a pipe: no bar, and a plain line once a run has printed nothing for
// PLAIN_PROGRESS_MS, driven by a clock the test moves.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AlmIteration } from '../../src/alm/alm.ts';
import { BatchProgressPrinter, PLAIN_PROGRESS_MS, PlainTicker, ProgressPrinter } from '../../src/cli/progress.ts';

/** A pipe-like stream (not a TTY) that keeps what is written. */
function pipe(): { out: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const out = new Writable({ write: (chunk, _e, done) => { text += String(chunk); done(); } }) as unknown as NodeJS.WriteStream;
  return { out, text: () => text };
}

const iteration = (k: number): AlmIteration => ({ k, gamma: 1, feasVio: 0.1, lagrangian: 1, sweeps: 5, trainErr: 0.5, testErr: 0.6, seconds: 1, warm: true, atFloor: false }) as AlmIteration;

describe('progress in a pipe', () => {
  it('prints a plain line after PLAIN_PROGRESS_MS of silence, and none sooner', () => {
    let now = 0;
    const { out, text } = pipe();
    const printer = new ProgressPrinter(out, 3, 1000, undefined, () => now);
    printer.header();
    now = PLAIN_PROGRESS_MS - 1;
    printer.sweeps(1, 10);
    expect(text()).not.toContain('…');
    now = PLAIN_PROGRESS_MS;
    printer.sweeps(1, 20);
    expect(text()).toContain('  … outer 1/3  sweep 20/1000  10.0s elapsed');
    // An iteration line is output: the next plain line waits another PLAIN_PROGRESS_MS.
    printer.iteration(iteration(1));
    const lines = text().split('\n').length;
    now += PLAIN_PROGRESS_MS / 2;
    printer.heartbeat();
    expect(text().split('\n').length).toBe(lines);
    now += PLAIN_PROGRESS_MS / 2;
    printer.heartbeat();
    expect(text().split('\n').length).toBe(lines + 1);
    expect(text()).not.toContain('\r');
  });

  it('a batch printer and the preparation ticker do the same', () => {
    let now = 0;
    const { out, text } = pipe();
    const batch = new BatchProgressPrinter(out, 2, 50, 4, () => now);
    batch.header();
    now = PLAIN_PROGRESS_MS;
    batch.heartbeat();
    expect(text()).toContain('  … outer 1/2  sweep 0/50  10.0s elapsed, ? left\n');
    const ticker = new PlainTicker(out, () => now);
    ticker.tick(() => 'preparing 4 trials: 1 done…');
    now += PLAIN_PROGRESS_MS;
    ticker.tick(() => 'preparing 4 trials: 2 done…');
    expect(text()).not.toContain('1 done');
    expect(text()).toContain('preparing 4 trials: 2 done…\n');
  });
});
