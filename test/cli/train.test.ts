// The `alm-rnn train` command end to end: results, files, checkpoints, Ctrl-C and user errors.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../src/problem/datasets.ts';
import { modelFromJson } from '../../src/problem/model-file.ts';
import { collect, runCli, startCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alm-rnn-cli-'));
const file = (name: string): string => join(dir, name);

describe('alm-rnn train', () => {
  it('trains synthetic-small 50×10 well below the best constant predictor and prints a JSON summary', async () => {
    const res = await runCli(['train', '--dataset', 'synthetic-small', '--backend', 'cpu', '--outer', '50', '--inner', '10', '--seed', '1', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary).toMatchObject({ outerIterations: 50, sweeps: 500, stopReason: 'outer-cap', r: 4, n: 5, m: 3, T1: 9 });
    // The best constant predictor on the training part is the training mean.
    const { series, T1 } = loadDataset('synthetic-small', { seed: 1, standardize: 'whole' });
    let constErr = 0;
    for (let k = 0; k < series.m; k++) {
      let mean = 0;
      for (let t = 0; t < T1; t++) mean += series.y[t * series.m + k] / T1;
      for (let t = 0; t < T1; t++) constErr += (series.y[t * series.m + k] - mean) ** 2 / T1;
    }
    expect(summary.trainErr).toBeLessThan(0.25 * constErr);
    expect(summary.feasVio).toBeLessThan(1e-2);
    // Progress went to stderr, one line per outer iteration.
    expect(res.stderr).toMatch(/^\s+50\s/m);
    expect(res.stderr).toContain('backend: cpu');
  });

  it('writes a model file that --init-from reads back', async () => {
    const res = await runCli(['train', '--dataset', 'synthetic-small', '--backend', 'cpu', '--outer', '3', '--inner', '5', '--out', file('m.json'), '--history', file('h.json')]);
    expect(res.code, res.stderr).toBe(0);
    const model = modelFromJson(JSON.parse(readFileSync(file('m.json'), 'utf8')));
    expect(model.weights.r).toBe(4);
    expect(JSON.parse(readFileSync(file('h.json'), 'utf8')).history).toHaveLength(3);
    const again = await runCli(['train', '--dataset', 'synthetic-small', '--backend', 'cpu', '--outer', '1', '--inner', '1', '--init-from', file('m.json')]);
    expect(again.code, again.stderr).toBe(0);
  });

  it('a run stopped and resumed from its checkpoint ends bit-identical to an unbroken run', async () => {
    const common = ['train', '--dataset', 'sp500', '--backend', 'cpu', '--inner', '7', '--hidden', '6'];
    const whole = await runCli([...common, '--outer', '6', '--out', file('whole.json')]);
    expect(whole.code, whole.stderr).toBe(0);
    const first = await runCli([...common, '--outer', '2', '--checkpoint', file('cp.json')]);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await runCli(['train', '--resume', file('cp.json'), '--outer', '6', '--out', file('resumed.json'), '--backend', 'cpu']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resuming after outer iteration 2');
    expect(readFileSync(file('resumed.json'), 'utf8')).toBe(readFileSync(file('whole.json'), 'utf8'));
  });

  it('Ctrl-C stops after the current batch of sweeps and still writes --out', async () => {
    const child = startCli(['train', '--dataset', 'sp500', '--backend', 'cpu', '--outer', '1000', '--inner', '50', '--out', file('stopped.json')]);
    child.stdout!.once('data', () => setTimeout(() => child.kill('SIGINT'), 300));
    const res = await collect(child);
    expect(res.code).toBe(130);
    expect(res.stdout).toContain('stopping after the current batch');
    expect(existsSync(file('stopped.json'))).toBe(true);
    expect(modelFromJson(JSON.parse(readFileSync(file('stopped.json'), 'utf8'))).weights.n).toBe(11);
  });
});

describe('alm-rnn train: user errors name what is wrong, exit 2, no stack trace', () => {
  const csv = (name: string, text: string): string => {
    writeFileSync(file(name), text);
    return file(name);
  };
  const cases: [string, string[], RegExp][] = [
    ['a non-number in a CSV', ['--dataset', csv('bad.csv', 'a,b,y\n1,2,3\n4,x,6\n7,8,9\n1,1,1\n')], /bad\.csv line 3, column "b": "x" is not a number/],
    ['ragged rows', ['--dataset', csv('ragged.csv', 'a,b,y\n1,2,3\n4,5\n7,8,9\n')], /line 3.*(2 fields|expected 3)/],
    ['an empty file', ['--dataset', csv('empty.csv', '')], /empty/],
    ['a missing target column', ['--dataset', csv('t.csv', 'a,b,y\n1,2,3\n4,5,6\n7,8,9\n'), '--targets', 'z'], /"z"/],
    ['too few rows', ['--dataset', csv('few.csv', 'a,y\n1,2\n')], /row/],
    ['a constant column under standardisation', ['--dataset', csv('const.csv', 'a,b,y\n1,5,3\n2,5,4\n3,5,1\n4,5,2\n5,5,3\n6,5,3\n7,5,3\n8,5,3\n9,5,3\n10,5,0\n11,5,3\n')], /"b".*constant|constant.*"b"/],
    ['NaN in a CSV', ['--dataset', csv('nan.csv', 'a,y\n1,2\nNaN,3\n4,5\n')], /line 3, column "a"/],
    ['η1 outside (0, 1)', ['--dataset', 'synthetic-small', '--eta1', '1.5'], /eta1 = 1\.5 is out of range: a number in the open interval \(0, 1\)/],
    ['γ0 ≤ 0', ['--dataset', 'synthetic-small', '--gamma0', '0'], /gamma0 = 0 is out of range/],
    ['η3 ≤ 0', ['--dataset', 'synthetic-small', '--eta3=-1'], /eta3 = -1 is out of range/],
    ['r < 1', ['--dataset', 'synthetic-small', '--hidden', '0'], /hidden = 0 is out of range: an integer from 1 to 10000/],
    ['a train fraction that leaves no test step', ['--dataset', 'synthetic-small', '--train-fraction', '0.99'], /train-fraction/],
    ['an unknown flag', ['--dataset', 'synthetic-small', '--bogus', '1'], /bogus/],
    ['an unknown data set', ['--dataset', 'nope'], /unknown data set "nope"/],
    ['a missing file', ['--dataset', file('missing.csv')], /file not found/],
    ['a bad activation', ['--activation', 'leaky:2'], /activation leaky:ω = 2 is out of range: ω must be in \(0, 1\)/],
    ['a non-numeric flag', ['--outer', 'ten'], /--outer must be a number, got "ten"/],
  ];
  it.each(cases)('%s', async (_label, args, message) => {
    const res = await runCli(['train', '--backend', 'cpu', '--outer', '1', '--inner', '1', ...args]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
