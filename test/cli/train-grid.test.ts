// `alm-rnn train` with list-valued flags: a grid of trials run as one batch, each as it would be
// alone; one model file per trial; batch checkpoints resumed by the same command; old
// single-run checkpoints still resumed.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchCheckpointFromJson, checkpointToJson } from '../../src/alm/checkpoint.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alm-rnn-grid-'));
const file = (name: string): string => join(dir, name);
const common = ['train', '--dataset', 'synthetic-small', '--backend', 'cpu', '--inner', '5'];

describe('alm-rnn train over a grid of trials', () => {
  it('runs the product of --seed, --init and --tau, each trial as its solo run, with a table and --json trials', async () => {
    const grid = await runCli([...common, '--outer', '4', '--seed', '1-2', '--init', 'he,lecun', '--tau', '1,3', '--json', '--threads', '2']);
    expect(grid.code, grid.stderr).toBe(0);
    const summary = JSON.parse(grid.stdout);
    expect(summary.trials).toHaveLength(8);
    expect(summary.trials.map((t: { init: string; tau: number; seed: number }) => `${t.init}/${t.tau}/${t.seed}`)).toEqual([
      'he/1/1', 'he/1/2', 'he/3/1', 'he/3/2', 'lecun/1/1', 'lecun/1/2', 'lecun/3/1', 'lecun/3/2',
    ]);
    expect(grid.stderr).toContain('8 trials: init he, lecun × τ 1, 3 × seed 1–2');
    expect(grid.stderr).toMatch(/^\s+4\s+8\/8\s/m);
    expect(grid.stderr).toMatch(/^[ ★] +7 +lecun +3 +2 /m);
    for (const i of [2, 5]) {
      const t = summary.trials[i];
      const alone = await runCli([...common, '--outer', '4', '--seed', String(t.seed), '--init', t.init, '--tau', String(t.tau), '--json']);
      const s = JSON.parse(alone.stdout);
      expect([t.trainErr, t.testErr, t.feasVio, t.gamma, t.sweeps]).toEqual([s.trainErr, s.testErr, s.feasVio, s.gamma, s.sweeps]);
    }
  });

  it('writes one model file per trial into --out DIR/, and refuses a file name for several trials', async () => {
    const ok = await runCli([...common, '--outer', '2', '--seed', '1,2', '--out', `${file('models')}/`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(file('models')).sort()).toEqual(['normal-1e-1_tau1_seed1.json', 'normal-1e-1_tau1_seed2.json']);
    const bad = await runCli([...common, '--outer', '2', '--seed', '1,2', '--out', file('one.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^alm-rnn: --out .*one\.json: with 2 trials --out names a folder/m);
    expect(bad.stderr).not.toContain('    at ');
  });

  it('a grid stopped and resumed by the same command plus --resume ends bit-identical to an unbroken one', async () => {
    const flags = [...common, '--seed', '1-3', '--init', 'he', '--tau', '1,0.3'];
    const whole = await runCli([...flags, '--outer', '5', '--out', `${file('whole')}/`]);
    expect(whole.code, whole.stderr).toBe(0);
    const first = await runCli([...flags, '--outer', '2', '--checkpoint', file('grid-cp.json')]);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await runCli([...flags, '--outer', '5', '--resume', file('grid-cp.json'), '--out', `${file('resumed')}/`]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resuming after outer iteration 2');
    expect(resumed.stdout).toContain(`checkpoint: continuing to write ${file('grid-cp.json')}`);
    for (const name of readdirSync(file('whole'))) {
      expect(readFileSync(join(file('resumed'), name), 'utf8'), name).toBe(readFileSync(join(file('whole'), name), 'utf8'));
    }
    expect(batchCheckpointFromJson(readFileSync(file('grid-cp.json'), 'utf8')).trials.map((t) => t.loop.k)).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('--resume names a flag that disagrees with the checkpoint, and an --outer that leaves nothing to run', async () => {
    const flags = [...common, '--seed', '1,2'];
    const first = await runCli([...flags, '--outer', '2', '--checkpoint', file('cp2.json')]);
    expect(first.code, first.stderr).toBe(0);
    const other = await runCli([...common, '--seed', '1,2', '--init', 'lecun', '--outer', '4', '--resume', file('cp2.json')]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/--init disagrees with the checkpoint \(trial 0\): the checkpoint has "normal-1e-1", the command line gives "lecun"/);
    const count = await runCli([...common, '--seed', '1-3', '--outer', '4', '--resume', file('cp2.json')]);
    expect(count.code).toBe(2);
    expect(count.stderr).toContain('the checkpoint holds 2 trials, the command line asks for 3');
    const none = await runCli(['train', '--resume', file('cp2.json'), '--outer', '2']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('the checkpoint has completed 2 outer iterations, so --outer 2 leaves nothing to run');
  });

  it('still resumes a single-run checkpoint of the old format (@1)', async () => {
    const single = ['train', '--dataset', 'sp500', '--backend', 'cpu', '--inner', '4', '--hidden', '5'];
    const whole = await runCli([...single, '--outer', '4', '--out', file('w1.json')]);
    expect(whole.code, whole.stderr).toBe(0);
    const first = await runCli([...single, '--outer', '2', '--checkpoint', file('new.json')]);
    expect(first.code, first.stderr).toBe(0);
    const [trial] = batchCheckpointFromJson(readFileSync(file('new.json'), 'utf8')).trials;
    writeFileSync(file('old.json'), checkpointToJson(trial));
    expect(JSON.parse(readFileSync(file('old.json'), 'utf8')).format).toBe('alm-rnn/checkpoint@1');
    const resumed = await runCli(['train', '--resume', file('old.json'), '--outer', '4', '--out', file('r1.json')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(file('r1.json'), 'utf8')).toBe(readFileSync(file('w1.json'), 'utf8'));
  });

  it('refuses bad lists and thread counts in one line', async () => {
    for (const [args, message] of [
      [['--seed', '3-1'], '--seed: the range "3-1" is empty'],
      [['--seed', '1,,2'], '--seed has an empty item'],
      [['--init', 'he,he'], '--init lists "he" twice'],
      [['--tau', '1,abc'], '--tau must be a number, got "abc"'],
      [['--threads', '0'], '--threads must be an integer from 1 to 256, got 0'],
      [['--patience', '0'], '--patience must be ≥ 1 outer iterations, got 0'],
      [['--hidden', '3000', '--seed', '1-9000'], 'for 9000 trials (run fewer trials at once)'],
    ] as const) {
      const res = await runCli([...common, '--outer', '1', ...args]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain(message);
    }
  });

  it('--select validation scores every trial on the validation split, marks the lowest, retrains it and writes that model', async () => {
    const flags = ['train', '--dataset', 'sp500', '--backend', 'cpu', '--hidden', '5', '--outer', '3', '--inner', '5'];
    const res = await runCli([...flags, '--init', 'he,lecun,normal-1e-1', '--seed', '1,2', '--select', 'validation', '--json', '--out', file('chosen.json')]);
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary.trials).toHaveLength(6);
    expect(summary.validationSteps).toBe(39);
    const scores = summary.trials.map((t: { valErr: number }) => t.valErr);
    const best = scores.indexOf(Math.min(...scores));
    expect(summary.selected).toMatchObject({ trial: best, init: summary.trials[best].init, seed: summary.trials[best].seed });
    expect(res.stderr).toMatch(new RegExp(`^★\\s+${best}\\s`, 'm'));
    expect(res.stderr).toContain('(the test part is not used)');
    // The retrained model is the chosen setting's own run on the whole training part.
    const alone = await runCli([...flags, '--init', summary.selected.init, '--seed', String(summary.selected.seed), '--out', file('alone.json')]);
    expect(alone.code, alone.stderr).toBe(0);
    expect(readFileSync(file('chosen.json'), 'utf8')).toBe(readFileSync(file('alone.json'), 'utf8'));
    const refused = await runCli([...flags, '--seed', '1,2', '--select', 'validation', '--checkpoint', file('sel-cp.json')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--select validation cannot be combined with --checkpoint or --resume yet');
  });
});
