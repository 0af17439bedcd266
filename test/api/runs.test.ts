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
  batchCheckpointFromJson, checkpointFromJson, createBackend, earlyStopSettings, inspectRun, modelFromWeights, OptionError, paramsFor, runModel,
  trainBaselineRun, trainRuns, trialFileName, trialGrid, type EarlyStopStage, type RnnWeights, type RunConfig, type RunOutcome,
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

  it('inspectRun checks a run before any backend and draws its weights once; runModel gives its model file', async () => {
    const [run] = runsOf([base]);
    const info = inspectRun(run);
    expect(info).toMatchObject({ T: 10, T1: 9, n: 5, m: 3, r: DATASETS['synthetic-small'].r, activation: 'relu' });
    expect(info.description).toBe(`synthetic-small: T=10 (train 9, test 1), n=5, m=3, r=${info.r}, relu`);
    // The same weights trainRuns draws: passing them back changes nothing.
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    try {
      const [drawn] = await trainRuns([run], { backend });
      const [given] = await trainRuns([{ ...run, initial: info.initial }], { backend });
      expect(given.weights).toEqual(drawn.weights);
      expect(JSON.stringify(runModel(run, drawn.weights))).toBe(JSON.stringify(modelFromWeights(drawn.weights, 'relu', {
        standardization: run.data.standardization, inputNames: run.data.series.inputNames, targetNames: run.data.series.targetNames,
      })));
    } finally {
      backend.dispose();
    }
    expect(() => inspectRun({ ...run, config: { ...base, hidden: 0 } })).toThrow(/hidden/);
    expect(() => inspectRun({ ...run, initial: { ...info.initial, r: 2 } })).toThrow(/initial model has r=2/);
  });

  it('checkpoints a batch (onCheckpoint) that resumes bit-identical to an unbroken run', async () => {
    const grid = trialGrid({ ...base, params: { ...base.params, outer: 4 } }, { inits: ['normal-1e-1'], taus: [base.params.tau], seeds: [1, 2] });
    const runs = runsOf(grid);
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    try {
      const unbroken = await trainRuns(runs, { backend });
      // Stop after outer iteration 2, keeping that checkpoint.
      const stop = new AbortController();
      let saved = '';
      const weightsAt: RnnWeights[][] = [];
      await trainRuns(runs, {
        backend, signal: stop.signal,
        onCheckpoint: (json) => { saved = json; },
        onOuterIteration: (k, its, weights) => {
          expect(its).toHaveLength(2);
          weightsAt.push(weights);
          if (k === 2) stop.abort();
        },
      });
      const cp = batchCheckpointFromJson(saved, 'saved');
      expect(cp.trials.map((t) => t.loop.k)).toEqual([2, 2]);
      expect(cp.trials.map((t) => t.config)).toEqual(grid);
      expect(cp.trials[0].state.weights).toEqual(weightsAt[1][0]);
      const resumed = await trainRuns(cp.trials.map((t, i) => ({ config: t.config, data: runs[i].data, initial: t.initial, resume: { loop: t.loop, state: t.state } })), { backend });
      resumed.forEach((r, i) => {
        expect(r.weights).toEqual(unbroken[i].weights);
        expect([r.trainErr, r.testErr, r.feasVio, r.outerIterations]).toEqual([unbroken[i].trainErr, unbroken[i].testErr, unbroken[i].feasVio, 4]);
        expect(r.history.map((h) => h.k)).toEqual([1, 2, 3, 4]);
      });
    } finally {
      backend.dispose();
    }
  });

  it("stops runs early by their config's settings, lets onFitted choose which to finish, and retrains each for its k*", async () => {
    const outer = 8;
    const es = earlyStopSettings({ validationSteps: 2, patience: 1, warmupEvals: 0 }, 9, outer);
    expect(es).toEqual({ validationSteps: 2, patience: 1, minDelta: 1e-6, warmupEvals: 0, restore: 'retrain' });
    expect(earlyStopSettings({}, 90, 50)).toEqual({ validationSteps: 9, patience: 5, minDelta: 1e-6, warmupEvals: 5, restore: 'retrain' });
    const grid = trialGrid({ ...base, params: { ...base.params, outer }, earlyStop: es }, { inits: ['he', 'normal-1e-1'], taus: [base.params.tau], seeds: [1] });
    const runs = runsOf(grid);
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    try {
      let seen: RunOutcome[] = [];
      const finals = await trainRuns(runs, {
        backend,
        onFitted: (fits) => {
          seen = fits;
          return [1];
        },
      });
      expect(seen).toHaveLength(2);
      for (const fit of seen) {
        expect(fit.earlyStop!.k).toBeGreaterThanOrEqual(1);
        expect(fit.valErr).toBe(fit.earlyStop!.valErr);
        expect(fit.history).toHaveLength(fit.earlyStop!.stoppedAt);
      }
      expect(finals).toHaveLength(1);
      const [final] = finals;
      expect(final.fit).toBe(seen[1]);
      expect(final.earlyStop).toEqual(seen[1].earlyStop);
      // Retrained for k* on the whole training part: a plain run with outer = k*, bit for bit.
      const k = seen[1].earlyStop!.k;
      const { earlyStop: _es, ...plain } = grid[1];
      const [direct] = await trainRuns([{ config: { ...plain, params: { ...plain.params, outer: k } }, data: runs[1].data }], { backend });
      expect(final.outerIterations).toBe(k);
      expect(final.weights).toEqual(direct.weights);
      expect(final.trainErr).toBe(direct.trainErr);
    } finally {
      backend.dispose();
    }
  });

  it('refuses what early stopping and checkpoints cannot be given with, naming the option', async () => {
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    const [run] = runsOf([base]);
    const es = earlyStopSettings({ validationSteps: 2 }, 9, base.params.outer);
    const early = { ...run, config: { ...base, earlyStop: es } };
    try {
      await expect(trainRuns([early], { backend, validationSteps: 2 })).rejects.toThrow(/^validationSteps cannot be given with early stopping/);
      await expect(trainRuns([early], { backend, patience: 3 })).rejects.toThrow(/^patience cannot be given with early stopping/);
      await expect(trainRuns([early, run], { backend })).rejects.toThrow(/runs\[1\]\.config\.earlyStop/);
      await expect(trainRuns([run], { backend, validationSteps: 2, onCheckpoint: () => {} })).rejects.toThrow(/^onCheckpoint cannot be given with validationSteps/);
      await expect(trainRuns([early], { backend, onFitted: () => [3] })).rejects.toThrow(/^onFitted must return indices of runs/);
      expect(() => earlyStopSettings({ validationSteps: 8 }, 9, 10)).toThrow(/^earlyStop\.validationSteps must be an integer in \[1, 7\]/);
      expect(() => earlyStopSettings({ minDelta: 1 }, 9, 10)).toThrow(OptionError);
      expect(() => earlyStopSettings({ patience: 0 }, 9, 10)).toThrow(/earlyStop\.patience/);
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

  it('trainRuns: each trial stops on its own and is retrained for its k*, the reports tagged fit then retrain; onFitted returning none keeps the fit runs', async () => {
    const settings = (restore: 'retrain' | 'best') => earlyStopSettings({ ...earlyStop, restore }, 9, config.params.outer);
    const plainRuns = runsOf(trialGrid(config, { inits: ['normal-1e-1'], taus: [config.params.tau], seeds: [1, 2] }));
    const early = (restore: 'retrain' | 'best') => plainRuns.map((r) => ({ ...r, config: { ...r.config, earlyStop: settings(restore) } }));
    const runs = early('retrain');
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    try {
      const stages: [number, EarlyStopStage | undefined][] = [];
      const results = await trainRuns(runs, { backend, onIteration: (_it, trial, stage) => stages.push([trial, stage]) });
      for (const [i, r] of results.entries()) {
        const es = r.earlyStop!;
        expect(es.stoppedAt).toBeLessThan(8);
        expect(es.k).toBeGreaterThanOrEqual(1);
        expect(r.valErr).toBe(es.valErr);
        expect(r.outerIterations).toBe(es.k);
        const mine = stages.filter(([t]) => t === i).map(([, s]) => s);
        expect(mine).toEqual([...Array(es.stoppedAt).fill('fit'), ...Array(es.k).fill('retrain')]);
        const [plain] = await trainRuns([{ ...plainRuns[i], config: { ...plainRuns[i].config, params: { ...config.params, outer: es.k } } }], { backend });
        expect(W(r.weights)).toEqual(W(plain.weights));
      }
      let fits: RunOutcome[] = [];
      expect(await trainRuns(runs, { backend, onFitted: (f) => { fits = f; return []; } })).toEqual([]);
      fits.forEach((f, i) => {
        expect({ ...f.earlyStop, restore: 'retrain' }).toEqual(results[i].earlyStop);
        expect(f.valErr).toBe(results[i].valErr);
        expect(f.outerIterations).toBe(results[i].earlyStop!.stoppedAt);
      });
      const best = await trainRuns(early('best'), { backend });
      expect(best[0].earlyStop).toEqual({ ...results[0].earlyStop, restore: 'best' });
      // The best iterate is the fit run's k*-th: a fit run capped at k* ends there.
      const k = best[0].earlyStop!.k;
      const [capped] = await trainRuns([{ ...plainRuns[0], config: { ...plainRuns[0].config, params: { ...config.params, outer: k } } }], { backend, validationSteps: 2 });
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
