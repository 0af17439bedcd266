// The command line and the library compute the same thing: `alm-rnn train --dataset NAME` and
// `train({ ...loadDataset(NAME) })` give the same numbers, bit for bit on the CPU, and choose
// their backend by the same rule (the CLI's --backend goes through the API's resolution).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../../src/index.node.ts';
import { loadDataset } from '../../src/datasets.ts';
import { REPO } from '../helpers/package.ts';

function cli(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [join(REPO, 'bin/alm-rnn.mjs'), 'train', ...args, '--json'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('the CLI and the API', () => {
  it.each([
    ['sp500', 1],
    ['synthetic-small', 3],
    ['welch-goyal', 2],
  ] as const)('%s, seed %i: the same TrainErr, TestErr, FeasVio and γ', async (name, seed) => {
    const fromCli = cli(['--dataset', name, '--seed', String(seed), '--outer', '3', '--inner', '5', '--backend', 'cpu']);
    const data = loadDataset(name, { seed });
    const fromApi = await train({ ...data, seed, params: { ...data.params, outer: 3, inner: 5 }, backend: 'cpu', workers: 0 });
    expect(fromApi.trainErr).toBe(fromCli.trainErr);
    expect(fromApi.testErr).toBe(fromCli.testErr);
    expect(fromApi.feasVio).toBe(fromCli.feasVio);
    expect(fromApi.gamma).toBe(fromCli.gamma);
  });

  it('report the backend in the same words', async () => {
    const fromCli = cli(['--dataset', 'synthetic-small', '--outer', '1', '--inner', '1', '--backend', 'cpu', '--threads', '1']);
    const data = loadDataset('synthetic-small');
    const fromApi = await train({ ...data, params: { ...data.params, outer: 1, inner: 1 }, backend: 'cpu', workers: 1 });
    expect(`backend: ${fromCli.backend}`).toBe(fromApi.backend);
  });
});
