// `alm-rnn experiment` as a user runs it (a child process): quick mode end to end, Ctrl-C
// keeping the finished runs, --resume finishing them, and clear errors for bad input.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/alm-rnn.mjs', import.meta.url));

interface Finished { code: number | null; stdout: string; stderr: string }

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function finish(child: ChildProcess, onStderr?: (text: string) => void): Promise<Finished> {
  return new Promise((resolve, reject) => {
    let stdout = '', stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const cli = (args: string[]): Promise<Finished> => finish(start(args));

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'alm-exp-cli-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('alm-rnn experiment', () => {
  it('--quick runs every method and initialisation and writes the table, the JSON and the figures', async () => {
    const out = join(tempDir(), 'quick');
    const t0 = performance.now();
    const res = await cli(['experiment', '--dataset', 'synthetic-small', '--quick', '--out', out]);
    expect(res.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(res.code).toBe(0);
    expect((performance.now() - t0) / 1000).toBeLessThan(45);
    expect(res.stdout).toContain(`done: 70 runs in ${out}`);
    expect(res.stdout).toMatch(/ALM has the lower mean TestErr in \d of 5 initialisation columns/);
    expect(res.stderr).toContain('[select 35/35]');
    expect(res.stderr).toContain('[run 70/70]');
    for (const f of ['results.json', 'README.md', 'fig1-feasvio.svg', 'fig2-error-vs-time.svg']) expect(existsSync(join(out, f))).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.status).toBe('complete');
    // An absolute path is recorded relative to the working directory: the record names no folder of this machine.
    expect(results.commands).toEqual([`alm-rnn experiment --dataset synthetic-small --quick --out ${relative(process.cwd(), out)}`]);
    expect(results.spec.alm.gammaMax).toBe('Infinity');
    const report = readFileSync(join(out, 'README.md'), 'utf8');
    expect(report).toContain('# Experiment: synthetic-small (quick preset)');
    expect(report).toContain('| ALM | TrainErr |');
    expect(readFileSync(join(out, 'fig2-error-vs-time.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>$/);
  });

  it('Ctrl-C keeps the finished runs (exit 130), and --resume finishes the rest', async () => {
    // The baselines run first (GD here, in the pool), then the ALM's runs as one batch: a stop
    // after the first run keeps the finished GD runs and drops the ALM batch in flight.
    const out = join(tempDir(), 'stopped');
    const args = ['experiment', '--dataset', 'synthetic-small', '--quick', '--methods', 'alm,gd', '--inits', 'he,glorot', '--repeats', '2',
      '--outer', '50', '--inner', '100', '--out', out];
    const child = start(args);
    let sent = false;
    const res = await finish(child, (text) => {
      if (!sent && text.includes('[run 1/8]')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(res.code).toBe(130);
    expect(res.stderr).toContain('stopping');
    expect(res.stdout).toContain(`continue with: alm-rnn experiment --resume ${out}`);
    const partial = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(partial.status).toBe('stopped');
    expect(partial.runs.length).toBeGreaterThanOrEqual(1);
    expect(partial.runs.length).toBeLessThan(8);
    expect(partial.runs.every((r: { method: string }) => r.method === 'gd')).toBe(true);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('**Status: stopped**');

    const again = await cli(['experiment', '--resume', out]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('(resuming)');
    const done = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(done.status).toBe('complete');
    expect(done.runs.map((r: { key: string }) => r.key).sort()).toEqual([
      'alm/glorot/0', 'alm/glorot/1', 'alm/he/0', 'alm/he/1', 'gd/glorot/0', 'gd/glorot/1', 'gd/he/0', 'gd/he/1']);
    for (const r of partial.runs) expect(done.runs.find((x: { key: string }) => x.key === r.key)).toEqual(r);
    const recorded = relative(process.cwd(), out);
    expect(done.commands).toEqual([args.map((a) => (a === out ? recorded : a)).join(' ').replace(/^experiment/, 'alm-rnn experiment'), `alm-rnn experiment --resume ${recorded}`]);
  }, 120_000);

  it('explains bad input in one line, exit code 2', async () => {
    const out = tempDir();
    for (const [args, message] of [
      [['experiment', '--out', out], /^alm-rnn: --dataset is required/],
      [['experiment', '--dataset', 'synthetic-small', '--bogus', '--out', out], /Unknown option '--bogus'/],
    ] as [string[], RegExp][]) {
      const res = await cli(args);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 60_000);

  it.each([
    [['--dataset', 'synthetic-small'], /--out DIR is required/],
    [['--dataset', 'nope', '--out', 'OUT/x'], /unknown data set "nope"/],
    [['--dataset', 'synthetic-small', '--methods', 'alm,lbfgs', '--out', 'OUT/x'], /--methods: "lbfgs" is not one of alm, gd, gdc, gdnm, sgd, adam/],
    [['--dataset', 'synthetic-small', '--inits', 'xavier', '--out', 'OUT/x'], /--inits: "xavier" is not one of he/],
    [['--dataset', 'synthetic-small', '--lr-grid', '0.1,abc', '--out', 'OUT/x'], /--lr-grid: "abc" is not a number > 0/],
    [['--dataset', 'synthetic-small', '--repeats', '0', '--out', 'OUT/x'], /repeats = 0 is out of range/],
    [['--dataset', 'synthetic-small', '--validation-steps', '9', '--out', 'OUT/x'], /validationSteps = 9 is out of range/],
    [['--dataset', 'synthetic-small', '--activation', 'tanh', '--out', 'OUT/x'], /activation/],
    [['--resume', 'OUT/missing'], /no experiment results at .*missing/],
    [['--dataset', 'synthetic-small', '--out', '/proc/alm-rnn-out'], /--out \/proc\/alm-rnn-out: cannot write there, its parent \/proc is not writable \(no file can be created in it\)/],
    [['--resume', 'OUT', '--epochs', '3'], /--epochs cannot be combined with --resume/],
    [['--dataset', 'synthetic-small', '--early-stop', 'test', '--out', 'OUT/x'], /--early-stop must be one of validation, got "test"/],
    [['--dataset', 'synthetic-small', '--early-stop', 'validation', '--patience', '0', '--out', 'OUT/x'], /--patience must be ≥ 1 evaluations, got 0/],
    [['--dataset', 'synthetic-small', '--restore', 'best', '--out', 'OUT/x'], /--restore is a setting of early stopping: it needs --early-stop validation/],
    [['--dataset', 'synthetic-small', '--patience', '5', '--out', 'OUT/x'], /--patience is a setting of early stopping: it needs --early-stop validation/],
    [['--dataset', 'synthetic-small', '--early-stop', 'validation', '--evaluate-every', '0', '--out', 'OUT/x'], /--evaluate-every must be an integer ≥ 1/],
    [['--dataset', 'synthetic-small', '--early-stop', 'validation', '--evaluate-every', '600', '--out', 'OUT/x'], /evaluateEvery = 600 is out of range: .*from 1 to the epochs \(500\)/],
    [['--dataset', 'synthetic-small', '--early-stop', 'validation', '--validation-steps', '9', '--out', 'OUT/x'], /validationSteps = 9 is out of range/],
  ])('rejects %j with a UserInputError', async (args, message) => {
    const out = tempDir();
    const { run } = await import('../../src/cli/experiment.ts');
    const { UserInputError } = await import('../../src/errors.ts');
    const argv = args.map((a) => a.replace(/^OUT/, out));
    await expect(run(argv)).rejects.toThrow(message);
    await expect(run(argv)).rejects.toBeInstanceOf(UserInputError);
  });

  it('refuses to overwrite an experiment, and --help lists the options', async () => {
    const out = join(tempDir(), 'once');
    const args = ['experiment', '--dataset', 'synthetic-small', '--quick', '--methods', 'gd', '--inits', 'he', '--repeats', '1', '--out', out];
    expect((await cli(args)).code).toBe(0);
    const again = await cli(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${out} already holds an experiment: continue it with --resume ${out}`);
    const help = await cli(['experiment', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--methods', '--inits', '--repeats', '--out', '--quick', '--resume', '--lr-grid', '--clip-grid', '--backend']) {
      expect(help.stdout).toContain(flag);
    }
    const top = await cli(['--help']);
    expect(top.stdout).toMatch(/experiment +compare the ALM/);
    expect(top.stdout).toMatch(/export +convert a trained model/);
  }, 60_000);
});
