// The API for front ends that take the CLI's settings (what the demo page is built on): a grid of
// RunConfigs trained by trainRuns gives the models `alm-rnn train --out DIR/` writes, byte for
// byte (each seed on its own synthetic series), and every entry point refuses bad input with an
// OptionError naming it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkpointFromJson, createBackend, modelFromWeights, OptionError, paramsFor, trainBaselineRun, trainRuns, trialFileName, trialGrid, type RunConfig,
} from '../../src/index.node.ts';
import { DATASETS, prepareDataset } from '../../src/datasets.ts';
import { REPO } from '../helpers/package.ts';

const base: RunConfig = {
  dataset: 'synthetic-small',
  activation: 'relu',
  init: 'normal-1e-1',
  seed: 1,
  standardize: 'whole',
  testHidden: 'carry',
  params: paramsFor('synthetic-small', { tau: DATASETS['synthetic-small'].tau, overrides: { outer: 2, inner: 2 } }),
};
const runsOf = (configs: RunConfig[]) => configs.map((config) => ({ config, data: prepareDataset(config) }));
const dir = mkdtempSync(join(tmpdir(), 'alm-rnn-runs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runs described as the CLI describes them', () => {
  it('trainRuns over a grid gives the model files of alm-rnn train --out DIR/, byte for byte', async () => {
    const r = spawnSync(process.execPath, [join(REPO, 'bin/alm-rnn.mjs'), 'train', '--dataset', 'synthetic-small', '--seed', '1-2', '--init', 'he,normal-1e-1',
      '--outer', '2', '--inner', '2', '--backend', 'cpu', '--threads', '1', '--out', `${dir}/`, '--json'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const fromCli = JSON.parse(r.stdout) as { trials: { trainErr: number; testErr: number; feasVio: number }[] };
    const grid = trialGrid(base, { inits: ['he', 'normal-1e-1'], taus: [base.params.tau], seeds: [1, 2] });
    const runs = runsOf(grid);
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    let initial: number[] = [];
    try {
      const results = await trainRuns(runs, { backend, onStart: (errs) => { initial = errs; } });
      expect(initial).toHaveLength(4);
      results.forEach((res, i) => {
        expect([res.trainErr, res.testErr, res.feasVio]).toEqual([fromCli.trials[i].trainErr, fromCli.trials[i].testErr, fromCli.trials[i].feasVio]);
        const { series, standardization } = runs[i].data;
        const text = JSON.stringify(modelFromWeights(res.weights, 'relu', { standardization, inputNames: series.inputNames, targetNames: series.targetNames })) + '\n';
        expect(text).toBe(readFileSync(join(dir, `${trialFileName(grid[i])}.json`), 'utf8'));
      });
      // Each seed drew its own series, as in the CLI.
      expect(runs[0].data.series.y).not.toEqual(runs[1].data.series.y);

      const selection = await trainRuns(runs.slice(0, 2), { backend, validationSteps: 2 });
      for (const s of selection) expect(s.valErr).toBeGreaterThanOrEqual(0);
      const baseline = await trainBaselineRun(runs[0], { method: 'adam', learningRate: 0.01, epochs: 3, validationSteps: 2 });
      expect(baseline.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
      expect(baseline.valErr).toBe(baseline.history[3].testErr);
    } finally {
      backend.dispose();
    }
  });

  it('refuses bad input at the edge, naming the option', async () => {
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    try {
      const [run] = runsOf([base]);
      const refusal = async (p: Promise<unknown> | (() => unknown)) => {
        try {
          await (typeof p === 'function' ? p() : p);
        } catch (err) {
          expect(err).toBeInstanceOf(OptionError);
          return (err as Error).message;
        }
        throw new Error('accepted');
      };
      expect(await refusal(trainRuns([], { backend }))).toMatch(/^runs /);
      expect(await refusal(trainRuns([run, { ...run, config: { ...base, testHidden: 'reset' } }], { backend }))).toMatch(/runs\[1\]\.config\.testHidden/);
      expect(await refusal(trainRuns([run], { backend, validationSteps: 9 }))).toMatch(/validationSteps.*\[1, 7\]/);
      expect(await refusal(trainBaselineRun(run, { method: 'rmsprop' as 'adam', learningRate: 0.1, epochs: 1 }))).toMatch(/method/);
      expect(await refusal(() => modelFromWeights({ ...run.data.series, r: 2, n: 5, m: 3 } as never, 'relu'))).toMatch(/weights\.W/);
      expect(await refusal(() => prepareDataset({ ...base, seed: -1 }))).toMatch(/seed/);
      expect(() => checkpointFromJson('{}', 'state.json')).toThrow(/state\.json is not an alm-rnn checkpoint/);
    } finally {
      backend.dispose();
    }
  });
});
