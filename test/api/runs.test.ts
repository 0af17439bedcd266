// The API for front ends that take the CLI's settings (what the demo page is built on): a grid of
// RunConfigs trained by trainRuns gives the models `alm-rnn train --out DIR/` writes, byte for
// byte (each seed on its own synthetic series), early stopping gives the models of plain runs
// of k* (each report tagged with its stage), and every entry point refuses bad input with an
// OptionError naming it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkpointFromJson, createBackend, modelFromWeights, OptionError, paramsFor, trainBaselineRun, trainRuns, trialFileName, trialGrid, type EarlyStopStage, type RunConfig,
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
      expect(await refusal(trainRuns([run], { backend, validationSteps: 2, earlyStop: { validationSteps: 3 } }))).toMatch(/^earlyStop\.validationSteps differs from validationSteps/);
      expect(await refusal(trainRuns([run], { backend, earlyStop: { validationSteps: 8 } }))).toMatch(/^earlyStop\.validationSteps must be an integer in \[1, 7\]/);
      expect(await refusal(trainBaselineRun(run, { method: 'gd', learningRate: 0.1, epochs: 5, earlyStop: { patience: 0 } }))).toMatch(/^earlyStop\.patience must be an integer ≥ 1/);
      expect(await refusal(() => modelFromWeights({ ...run.data.series, r: 2, n: 5, m: 3 } as never, 'relu'))).toMatch(/weights\.W/);
      expect(await refusal(() => prepareDataset({ ...base, seed: -1 }))).toMatch(/seed/);
      expect(() => checkpointFromJson('{}', 'state.json')).toThrow(/state\.json is not an alm-rnn checkpoint/);
    } finally {
      backend.dispose();
    }
  });
});

describe('early stopping through trainRuns and trainBaselineRun', () => {
  // A minimum improvement of a half makes the rule fire within a few evaluations on this short run.
  const earlyStop = { validationSteps: 2, patience: 2, warmupEvals: 0, minDelta: 0.5 };
  const config: RunConfig = { ...base, params: { ...base.params, outer: 8 } };
  const W = (w: { W: Float64Array; A: Float64Array; c: Float64Array }) => [...w.W, ...w.A, ...w.c];

  it('trainRuns: each trial stops on its own and is retrained for its k*, the reports tagged fit then retrain; with validationSteps, the fit runs only', async () => {
    const runs = runsOf(trialGrid(config, { inits: ['normal-1e-1'], taus: [config.params.tau], seeds: [1, 2] }));
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    try {
      const stages: [number, EarlyStopStage | undefined][] = [];
      const results = await trainRuns(runs, { backend, earlyStop, onIteration: (_it, trial, stage) => stages.push([trial, stage]) });
      for (const [i, r] of results.entries()) {
        const es = r.earlyStop!;
        expect(es.stoppedAt).toBeLessThan(8);
        expect(es.k).toBeGreaterThanOrEqual(1);
        expect(r.valErr).toBe(es.valErr);
        expect(r.outerIterations).toBe(es.k);
        const mine = stages.filter(([t]) => t === i).map(([, s]) => s);
        expect(mine).toEqual([...Array(es.stoppedAt).fill('fit'), ...Array(es.k).fill('retrain')]);
        const [plain] = await trainRuns([{ ...runs[i], config: { ...runs[i].config, params: { ...config.params, outer: es.k } } }], { backend });
        expect(W(r.weights)).toEqual(W(plain.weights));
      }
      const fits = await trainRuns(runs, { backend, earlyStop, validationSteps: 2 });
      fits.forEach((f, i) => {
        expect({ ...f.earlyStop, restore: 'retrain' }).toEqual(results[i].earlyStop);
        expect(f.valErr).toBe(results[i].valErr);
        expect(f.outerIterations).toBe(results[i].earlyStop!.stoppedAt);
      });
      const best = await trainRuns(runs, { backend, earlyStop: { ...earlyStop, restore: 'best' }, validationSteps: 2 });
      expect(best[0].earlyStop).toEqual({ ...results[0].earlyStop, restore: 'best' });
      // The best iterate is the fit run's k*-th: a fit run capped at k* ends there.
      const k = best[0].earlyStop!.k;
      const [capped] = await trainRuns([{ ...runs[0], config: { ...runs[0].config, params: { ...config.params, outer: k } } }], { backend, validationSteps: 2 });
      expect(W(best[0].weights)).toEqual(W(capped.weights));
    } finally {
      backend.dispose();
    }
  });

  it('trainBaselineRun: retrained for exactly k* epochs, onEpoch tagged; with validationSteps the score is the best validation error', async () => {
    const [run] = runsOf([config]);
    const opts = { method: 'adam' as const, learningRate: 0.05, epochs: 60 };
    const stages: (EarlyStopStage | undefined)[] = [];
    const r = await trainBaselineRun(run, { ...opts, earlyStop: { ...earlyStop, every: 2 }, onEpoch: (e) => stages.push(e.stage) });
    const es = r.earlyStop!;
    expect(es.k % 2).toBe(0);
    expect(es.stoppedAt).toBeLessThan(60);
    expect(r.history[r.history.length - 1].epoch).toBe(es.k);
    expect(stages.filter((s) => s === 'fit')).toHaveLength(es.stoppedAt / 2 + 1);
    expect(stages.slice(stages.indexOf('retrain'))).toEqual(Array(es.k + 1).fill('retrain'));
    const plain = await trainBaselineRun(run, { ...opts, epochs: es.k });
    expect(W(r.weights)).toEqual(W(plain.weights));
    const scored = await trainBaselineRun(run, { ...opts, earlyStop: { ...earlyStop, every: 2 }, validationSteps: 2 });
    expect(scored.valErr).toBe(es.valErr);
    expect(scored.earlyStop).toEqual(es);
  });
});
