// `alm-rnn train --early-stop validation` (docs/method.md §5.5) as a user runs it: on a small
// noisy sine built to overfit (test/helpers/overfit.ts, written as a CSV), the fit on the training
// part minus its last 5 steps has its validation minimum at outer iteration 3 (seed 2) and gets
// worse after it. The models written are compared byte for byte with plain runs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, runCli, startCli, type CliResult } from '../helpers/cli.ts';
import { overfitProblem } from '../helpers/overfit.ts';

const dir = mkdtempSync(join(tmpdir(), 'alm-early-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => join(dir, name);

const { series } = overfitProblem();
writeFileSync(file('overfit.csv'), ['x,y', ...Array.from(series.x, (x, t) => `${x},${series.y[t]}`)].join('\n') + '\n');

/** The data and the method: 40 training steps (train fraction 0.8), 16 hidden units, τ 0.1, 50 sweeps per outer iteration. */
const DATA = ['train', '--dataset', file('overfit.csv'), '--backend', 'cpu', '--threads', '1', '--standardize', 'none', '--hidden', '16', '--tau', '0.1',
  '--inner', '50', '--check-every', '50', '--inner-stop', 'cap'];
const PATIENCE = 4;
const EARLY = ['--early-stop', 'validation', '--validation-steps', '5', '--warmup-evals', '1', '--patience', String(PATIENCE)];
/** The early-stopped run of seed 2, capped at 30 outer iterations. */
const RUN = [...DATA, '--train-fraction', '0.8', '--outer', '30', ...EARLY];
const bytes = (name: string): Buffer => readFileSync(file(name));
const ok = (res: CliResult): CliResult => {
  expect(res.code, res.stderr).toBe(0);
  return res;
};

describe('alm-rnn train --early-stop validation', () => {
  // The early-stopped run of seed 2 that several tests compare with.
  const solo = runCli([...RUN, '--seed', '2', '--out', file('solo.json'), '--history', file('solo.history.json'), '--json']).then(ok);

  it('stops `patience` evaluations after the validation minimum, takes its argmin as k*, and writes exactly a plain --outer k* run', async () => {
    const res = await solo;
    const summary = JSON.parse(res.stdout);
    const history = JSON.parse(readFileSync(file('solo.history.json'), 'utf8'));
    const curve: number[] = history.earlyStop.fitHistory.map((it: { testErr: number }) => it.testErr);
    const argmin = curve.indexOf(Math.min(...curve)) + 1;
    // The minimum lies after the warm-up (1 evaluation), well before the cap.
    expect(argmin).toBe(3);
    expect(summary.earlyStop).toEqual({ k: argmin, valErr: curve[argmin - 1], stoppedAt: argmin + PATIENCE, restore: 'retrain' });
    expect(curve).toHaveLength(argmin + PATIENCE);
    expect(summary.outerIterations).toBe(argmin);
    expect(res.stderr).toContain(`early stopping: k* = 3 (validation error ${curve[2].toPrecision(6)}); the run on the fit part stopped at outer iteration 7; the model is retrained for k* on the whole training part`);
    expect(res.stderr).toContain('retraining on the whole training part for k* = 3 outer iterations');
    ok(await runCli([...DATA, '--train-fraction', '0.8', '--seed', '2', '--outer', String(argmin), '--out', file('plain.json')]));
    expect(bytes('solo.json').equals(bytes('plain.json'))).toBe(true);
  });

  it('--restore best writes the fit run\'s iterate k* (a plain run of k* on the fit part), stop reason early-stop', async () => {
    const res = ok(await runCli([...RUN, '--seed', '2', '--restore', 'best', '--out', file('best.json')]));
    expect(res.stdout).toContain('done: 7 outer iterations');
    expect(res.stdout).toContain('(stopped early: the validation error did not improve in 4 evaluations after the warm-up, --early-stop)');
    expect(res.stdout).toContain('the model is the iterate k* of the run on the fit part (--restore best)');
    // The fit part: the first 35 steps (train fraction 0.7).
    ok(await runCli([...DATA, '--train-fraction', '0.7', '--seed', '2', '--outer', '3', '--out', file('fit3.json')]));
    expect(bytes('best.json').equals(bytes('fit3.json'))).toBe(true);
  });

  it('a grid: each trial stops on its own and writes what its solo run writes; the table shows k* and ValErr', async () => {
    const [grid, four] = await Promise.all([
      runCli([...RUN, '--seed', '2,4', '--out', `${file('grid')}/`, '--json']),
      runCli([...RUN, '--seed', '4', '--out', file('solo4.json'), '--json']),
    ]);
    const trials = JSON.parse(ok(grid).stdout).trials;
    expect(trials.map((t: { earlyStop: unknown }) => t.earlyStop)).toEqual([JSON.parse((await solo).stdout).earlyStop, JSON.parse(ok(four).stdout).earlyStop]);
    expect(grid.stderr).toMatch(/outer\s+k\*\s+ValErr\s+stop/);
    // The ★ goes to the lowest validation error, the score the trials were stopped by.
    const valErrs: number[] = trials.map((t: { earlyStop: { valErr: number } }) => t.earlyStop.valErr);
    const star = valErrs.indexOf(Math.min(...valErrs));
    expect(grid.stderr).toMatch(new RegExp(`^★ +${star} `, 'm'));
    expect(grid.stderr).toContain('★ best: the lowest ValErr');
    expect(bytes('grid/normal-1e-1_tau0.1_seed2.json').equals(bytes('solo.json'))).toBe(true);
    expect(bytes('grid/normal-1e-1_tau0.1_seed4.json').equals(bytes('solo4.json'))).toBe(true);
  });

  it('resumed from a checkpoint mid-fit, it stops where the unbroken run did; other settings of the rule are refused', async () => {
    ok(await runCli([...DATA, '--train-fraction', '0.8', '--outer', '4', ...EARLY, '--seed', '2', '--checkpoint', file('cp.json'), '-q']));
    const again = ok(await runCli([...RUN, '--seed', '2', '--resume', file('cp.json'), '--out', file('resumed.json'), '--json']));
    expect(JSON.parse(again.stdout).earlyStop).toEqual(JSON.parse((await solo).stdout).earlyStop);
    expect(bytes('resumed.json').equals(bytes('solo.json'))).toBe(true);
    const other = await runCli([...RUN, '--seed', '2', '--patience', '5', '--resume', file('cp.json')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toBe(`alm-rnn: --resume ${file('cp.json')}: --patience disagrees with the checkpoint: the checkpoint has 4, the command line gives 5\n`);
  });

  it('Ctrl-C while fitting writes the iterate with the lowest validation error so far, and says so', async () => {
    const child = startCli([...DATA, '--train-fraction', '0.8', '--outer', '1000', ...EARLY.slice(0, -1), '900', '--seed', '2', '--out', file('stopped.json')]);
    let seen = '';
    child.stdout!.on('data', (d) => {
      // After outer iteration 4, past the minimum at 3 (the curve stays above it for a while).
      const before = seen;
      seen += d;
      if (!/^\s+4\s+\d/m.test(before) && /^\s+4\s+\d/m.test(seen)) child.kill('SIGINT');
    });
    const res = await collect(child);
    const out = res.stdout;
    expect(res.code, res.stderr).toBe(130);
    expect(out).toContain('stopped while fitting: the model is the iterate with the lowest validation error so far');
    expect(out).toMatch(/early stopping: k\* = 3 .* the model is the iterate k\* of the run on the fit part \(stopped while fitting: no retraining\)/);
    await runCli([...DATA, '--train-fraction', '0.7', '--seed', '2', '--outer', '3', '--out', file('fit3-again.json')]).then(ok);
    expect(bytes('stopped.json').equals(bytes('fit3-again.json'))).toBe(true);
  });

  it.each([
    ['--validation-steps out of range', ['--early-stop', 'validation', '--validation-steps', '44'], /--validation-steps = 44 is out of range: an integer in \[1, 43\]/],
    ['--patience 0', ['--early-stop', 'validation', '--patience', '0'], /--patience must be ≥ 1 evaluations, got 0/],
    ['--early-stop other than validation', ['--early-stop', 'test'], /--early-stop must be one of validation, got "test"/],
    ['--restore without --early-stop', ['--restore', 'best'], /--restore is a setting of early stopping: it needs --early-stop validation/],
    ['--min-delta negative', ['--early-stop', 'validation', '--min-delta', '-0.1'], /--min-delta is a relative improvement: a number in \[0, 1\), got -0.1/],
    ['--min-delta ≥ 1', ['--early-stop', 'validation', '--min-delta', '1'], /--min-delta is a relative improvement: a number in \[0, 1\), got 1/],
    ['--warmup-evals negative', ['--early-stop', 'validation', '--warmup-evals', '-1'], /--warmup-evals must be an integer ≥ 0 \(evaluations\), got -1/],
  ])('refuses %s in one line, exit 2', async (_name, flags, message) => {
    const res = await runCli([...DATA, '--outer', '2', ...flags]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});
