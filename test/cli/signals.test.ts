// SIGTERM and SIGHUP, as a container runtime, Kubernetes, Slurm or a closed terminal send them,
// stop every command the way Ctrl-C does (src/cli/signals.ts): the first finishes the work in
// flight and writes every output; a second keeps the last completed iterate at once; the exit
// code is 128 + the first signal's number. Real signals to real child processes.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { modelFromJson } from '../../src/problem/model-file.ts';
import { collect, startCli, type CliResult } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alm-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (...parts: string[]): string => join(dir, ...parts);
const DATA = 'src/problem/datasets/welch-goyal/sp500_volatility_monthly.csv';
/** A grid of 4 trials on a CSV (so that predict can run its models on the same file), far from its cap. */
const GRID = ['train', '--dataset', DATA, '--targets', 'log_rvol', '--backend', 'cpu', '--threads', '1', '--seed', '1-2', '--init', 'he,lecun', '--outer', '1000'];
const MODELS = ['he_tau1_seed1.json', 'he_tau1_seed2.json', 'lecun_tau1_seed1.json', 'lecun_tau1_seed2.json'];

/** Starts a run and sends `signals` (the later ones 50 ms apart) once its first progress row is printed, as `docker stop` would. */
async function signalled(args: string[], signals: NodeJS.Signals[]): Promise<CliResult> {
  const child = startCli(args);
  let out = '';
  let sent = false;
  child.stdout!.on('data', (d) => {
    out += d;
    if (!sent && /^\s+1\s+\d+\/\d+\s/m.test(out)) {
      sent = true;
      signals.forEach((s, i) => setTimeout(() => child.kill(s), 50 * i));
    }
  });
  const res = await collect(child);
  return { ...res, stdout: out };
}

const tmpLeftovers = (folder: string): string[] => readdirSync(folder).filter((f) => f.includes('.tmp-'));

describe('SIGTERM and SIGHUP stop train like Ctrl-C', () => {
  it('SIGTERM on a grid with --out DIR/: the batch in flight ends, every model and the history are written, exit 143', async () => {
    const res = await signalled([...GRID, '--inner', '50', '--out', file('grid') + '/', '--history', file('grid.history.json')], ['SIGTERM']);
    expect(res.code, res.stderr).toBe(143);
    expect(res.stdout).toContain('SIGTERM: stopping after the current batch of sweeps (SIGTERM again to quit at once)');
    expect(res.stdout).toMatch(/done: 4 trials, .*\(stopped by the user\)/);
    expect(readdirSync(file('grid')).sort()).toEqual(MODELS);
    for (const name of MODELS) expect(modelFromJson(JSON.parse(readFileSync(file('grid', name), 'utf8'))).weights.n).toBe(11);
    expect(JSON.parse(readFileSync(file('grid.history.json'), 'utf8')).trials).toHaveLength(4);
    expect(tmpLeftovers(dir)).toEqual([]);
  });

  it('SIGHUP, then SIGTERM: the second writes the last completed iterate of every trial at once; the exit code follows the first', async () => {
    // One batch of 150 sweeps takes far longer than the 50 ms between the signals.
    const res = await signalled([...GRID, '--inner', '150', '--check-every', '150', '--out', file('quit') + '/'], ['SIGHUP', 'SIGTERM']);
    expect(res.code, res.stderr).toBe(129);
    expect(res.stdout).toMatch(/models of outer iteration \d+ written to .*quit\/ \(quit at once\)/);
    expect(readdirSync(file('quit')).sort()).toEqual(MODELS);
    expect(tmpLeftovers(file('quit'))).toEqual([]);
  });
});

describe('predict and export finish their files before a signal stops them', () => {
  // The input comes through a FIFO: the command is blocked reading it (its handlers installed)
  // when the signal arrives, so the signal lands mid-command every time, without a race.
  async function throughFifo(args: (fifo: string) => string[], source: string, signal: NodeJS.Signals): Promise<CliResult> {
    const fifo = file(`fifo-${signal}`);
    execFileSync('mkfifo', [fifo]);
    const child = startCli(args(fifo));
    const done = collect(child);
    const writer = await open(fifo, 'w'); // returns once the command has opened the FIFO to read it
    child.kill(signal);
    await writer.writeFile(readFileSync(source));
    await writer.close();
    return done;
  }

  it('predict: SIGTERM while it reads its data, the predictions are written whole, exit 143', async () => {
    const res = await throughFifo((fifo) => ['predict', file('grid', MODELS[0]), fifo, '--out', file('p.csv')], DATA, 'SIGTERM');
    expect(res.code, res.stderr).toBe(143);
    expect(res.stderr).toContain('SIGTERM: stopping once the predictions are written');
    expect(readFileSync(file('p.csv'), 'utf8').trim().split('\n')).toHaveLength(438);
  });

  it('export: SIGHUP while it reads the model, model.json and weights.bin are written, exit 129', async () => {
    const res = await throughFifo((fifo) => ['export', '--format', 'tfjs', fifo, file('tfjs')], file('grid', MODELS[1]), 'SIGHUP');
    expect(res.code, res.stderr).toBe(129);
    expect(existsSync(file('tfjs', 'model.json')) && existsSync(file('tfjs', 'weights.bin'))).toBe(true);
  });
});
