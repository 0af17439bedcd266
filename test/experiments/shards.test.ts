// Shards of an experiment: the job arrays' variables map to the right shard, the shards own
// disjoint cells that cover the grid, a quick experiment split into 3 shards and merged equals
// the unsharded one in every number (times aside), merge refuses a missing or foreign shard and
// a shard whose records were removed, copied in, or edited, and a shard says what it holds.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.ts';
import type { ExperimentResults } from '../../src/experiments/results.ts';
import { ownsCell, parseShard, shardFromEnvironment } from '../../src/experiments/shards.ts';
import { runCli } from '../helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'alm-shards-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string): string => join(root, name);
const read = (d: string): ExperimentResults => JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as ExperimentResults;

/** The results without what legitimately differs between two runs of one experiment: times, commands, dates, the shard tag. */
function numbers(r: ExperimentResults): unknown {
  return JSON.parse(JSON.stringify({ spec: r.spec, data: r.data, selections: r.selections, runs: r.runs }, (key, value) => (key === 'seconds' ? 0 : value)));
}

describe('shard assignment', () => {
  it('maps each job array\'s variables to a 0-based shard and its count', () => {
    expect(shardFromEnvironment({})).toBeUndefined();
    expect(shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' }, 4)?.shard).toEqual({ index: 2, count: 4 });
    expect(() => shardFromEnvironment({ JOB_COMPLETION_INDEX: '2' })).toThrow(/--shard-count/);
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' })?.shard).toEqual({ index: 2, count: 3 });
    expect(shardFromEnvironment({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '5' })?.shard).toEqual({ index: 0, count: 5 });
    expect(shardFromEnvironment({ AWS_BATCH_JOB_ARRAY_INDEX: '1', AWS_BATCH_JOB_ARRAY_SIZE: '2' })?.shard).toEqual({ index: 1, count: 2 });
    expect(() => shardFromEnvironment({ AWS_BATCH_JOB_ARRAY_INDEX: '2', AWS_BATCH_JOB_ARRAY_SIZE: '2' })).toThrow(/below the count/);
    expect(() => shardFromEnvironment({ SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '2' })).toThrow(UserInputError);
    expect(parseShard('1/3')).toEqual({ index: 1, count: 3 });
    for (const bad of ['3/3', '1', '-1/3', 'a/b', '0/0']) expect(() => parseShard(bad), bad).toThrow(UserInputError);
  });

  it('gives every cell to exactly one shard', () => {
    const spec = { methods: ['alm', 'gd', 'adam'] as const, inits: ['he', 'lecun'] as const };
    for (const method of spec.methods) {
      for (const init of spec.inits) {
        const owners = [0, 1, 2, 3].filter((index) => ownsCell(spec as never, { index, count: 4 }, method, init));
        expect(owners, `${method}/${init}`).toHaveLength(1);
      }
    }
  });
});

describe('alm-rnn experiment --shard and merge', () => {
  // Cells method-major, dealt round-robin: ALM + GD of He sits in shard 1, the ALM of He in shard 0,
  // so shard 1 computes the ALM end points it polishes itself.
  const flags = ['experiment', '--dataset', 'synthetic-small', '--quick', '--methods', 'alm,gd,alm+gd', '--inits', 'he,lecun', '--repeats', '2'];

  it('3 shards merged equal the unsharded experiment in every number, and merge refuses a missing or foreign shard', async () => {
    const whole = await runCli([...flags, '--out', dir('whole')]);
    expect(whole.code, whole.stderr).toBe(0);
    for (const i of [0, 1, 2]) {
      const res = await runCli([...flags, '--shard', `${i}/3`, '--out', dir(`s${i}`)]);
      expect(res.code, res.stderr).toBe(0);
      if (i === 1) expect(res.stderr).toContain('shard 1/3: 2 of 6 cells (alm/lecun, alm+gd/he), 2 selections, 4 runs\n');
      expect(read(dir(`s${i}`)).shard).toMatchObject({ index: i, count: 3 });
    }
    // Each shard holds only its own cells: 2 of the 6 cells each, with 2 repeats.
    expect([0, 1, 2].map((i) => read(dir(`s${i}`)).runs.length)).toEqual([4, 4, 4]);
    expect(read(dir('s1')).runs.map((r) => r.key).sort()).toEqual(['alm+gd/he/0', 'alm+gd/he/1', 'alm/lecun/0', 'alm/lecun/1']);
    const merged = await runCli(['experiment', 'merge', dir('merged'), dir('s2'), dir('s0'), dir('s1')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toContain('merged 3 shards: 6 selections, 12 runs');
    expect(numbers(read(dir('merged')))).toEqual(numbers(read(dir('whole'))));
    expect(read(dir('merged')).shard).toBeUndefined();
    // The report's Table 3 rows are the same but for the time column.
    const rows = (d: string) => readFileSync(join(d, 'README.md'), 'utf8').split('\n').filter((l) => /^\| (ALM|GD|ALM \+ GD) \|/.test(l))
      .map((l) => l.split('|').filter((_, j) => j !== 6).join('|'));
    expect(rows(dir('merged'))).toEqual(rows(dir('whole')));
    expect(rows(dir('whole')).length).toBeGreaterThan(0);

    const missing = await runCli(['experiment', 'merge', dir('m2'), dir('s0'), dir('s2')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('shard 1/3 is missing: merge needs all 3');
    const foreign = await runCli([...flags, '--seed', '7', '--shard', '1/3', '--out', dir('other')]);
    expect(foreign.code, foreign.stderr).toBe(0);
    const mixed = await runCli(['experiment', 'merge', dir('m3'), dir('s0'), dir('other'), dir('s2')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain(`${dir('other')} is a shard of a different experiment`);
    const unsharded = await runCli(['experiment', 'merge', dir('m4'), dir('whole')]);
    expect(unsharded.code).toBe(2);
    expect(unsharded.stderr).toContain('holds an unsharded experiment, not a shard');
  }, 180_000);

  it('merge refuses a shard with a run removed, a run of another shard copied in, a selection removed, a TestErr edited, or no digests', async () => {
    // The shards of the test above: each edit is made on a copy of shard 1, as a user would edit the file.
    const edited = (name: string, edit: (r: ExperimentResults) => void): string => {
      cpSync(dir('s1'), dir(name), { recursive: true });
      const r = read(dir(name));
      edit(r);
      writeFileSync(join(dir(name), 'results.json'), JSON.stringify(r, null, 1));
      return dir(name);
    };
    const cases: [string, (r: ExperimentResults) => void, string][] = [
      ['run-removed', (r) => r.runs.splice(r.runs.findIndex((x) => x.key === 'alm/lecun/1'), 1),
        `shard 1/3 in ${dir('run-removed')} lacks the run alm/lecun/1 (recorded when it completed, removed since): rerun the shard`],
      ['run-copied', (r) => r.runs.push(read(dir('s0')).runs[0]),
        `shard 1/3 in ${dir('run-copied')} holds the run ${read(dir('s0')).runs[0].key}, which belongs to shard 0/3: remove it, or rerun the shard`],
      ['selection-removed', (r) => r.selections.splice(0, 1),
        `shard 1/3 in ${dir('selection-removed')} lacks the selection ${read(dir('s1')).selections[0].key} (recorded when it completed, removed since)`],
      ['testerr-edited', (r) => (r.runs[0].testErr = r.runs[0].testErr! * 0.9),
        `shard 1/3 in ${dir('testerr-edited')}: the run ${read(dir('s1')).runs[0].key} differs from the one the shard recorded when it completed`],
      ['legacy', (r) => delete r.shard!.contents,
        `shard 1/3 in ${dir('legacy')} has no digests of its records (written by an alm-rnn before merge checked them): rerun the shard, or record them as they are with alm-rnn experiment --resume ${dir('legacy')}`],
    ];
    for (const [name, edit, message] of cases) {
      const res = await runCli(['experiment', 'merge', dir(`${name}-merged`), dir('s0'), edited(name, edit), dir('s2')]);
      expect(res.code, name).toBe(2);
      expect(res.stderr, name).toContain(`alm-rnn: ${message}`);
      expect(res.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(existsSync(dir(`${name}-merged`)), name).toBe(false);
    }
  }, 60_000);

  it('a shard that gets no cell says so, and still writes the empty shard merge expects', async () => {
    const res = await runCli([...flags, '--methods', 'gd', '--inits', 'he', '--shard', '2/4', '--out', dir('empty')]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('shard 2/4 holds none of this experiment\'s 1 cells (method × initialisation), as does every shard from 1/4 on: it writes an empty shard for merge; --shard-count 1 or fewer gives every shard work');
    expect(read(dir('empty'))).toMatchObject({ status: 'complete', runs: [], selections: [], shard: { index: 2, count: 4, contents: { cells: [], runs: 0 } } });
  });

  it('takes the shard from a Kubernetes Indexed Job\'s index with --shard-count', async () => {
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const bin = fileURLToPath(new URL('../../bin/alm-rnn.mjs', import.meta.url));
    const out = dir('k8s');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [bin, ...flags, '--methods', 'gd', '--shard-count', '2', '--out', out], {
        stdio: 'ignore', env: { ...process.env, JOB_COMPLETION_INDEX: '1' },
      });
      child.on('close', resolve);
    });
    expect(code).toBe(0);
    const r = read(out);
    expect(r.shard).toMatchObject({ index: 1, count: 2 });
    expect(r.runs.every((run) => run.init === 'lecun')).toBe(true);
  });
});
