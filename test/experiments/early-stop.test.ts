// The experiment with early stopping on the validation split (--early-stop validation): each
// method's run is what a user gets from that method's own early-stopped training (the ALM's
// runEarlyStopped, a baseline's trainBaselineEarlyStopped, ALM + GD the ALM's model then GD's
// early-stopped polish); the test part decides nothing; a stop in the runs on the fit part
// resumes to the numbers of an unbroken experiment; the report gives k* per cell.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAlm } from '../../src/alm/alm.ts';
import { runEarlyStopped } from '../../src/alm/early-stop.ts';
import { lambdasFor } from '../../src/alm/params.ts';
import { prepareRun } from '../../src/alm/setup.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import { trainBaselineEarlyStopped } from '../../src/baselines/train.ts';
import { ParameterError } from '../../src/errors.ts';
import type { ExperimentResults } from '../../src/experiments/results.ts';
import { ALM_BATCH_CHECKPOINT, prepareExperiment, runExperiment } from '../../src/experiments/runner.ts';
import { earlyStopRuleOf, type ExperimentInput } from '../../src/experiments/settings.ts';
import { commandLine } from '../../src/cli/experiment.ts';
import { tempDirs, timeless } from '../helpers/experiments.ts';

const tempDir = tempDirs('alm-exp-es-');

/**
 * A CSV series of 60 steps (2 inputs, 1 target) with its last 6 the test part; `wreck` replaces
 * the test part's targets by huge values. Standardised on the training part, so the test part
 * changes nothing the methods see.
 */
function csvSeries(dir: string, wreck: boolean): string {
  const rows = ['x1,x2,y'];
  for (let t = 0; t < 60; t++) {
    const x1 = Math.sin(0.37 * t), x2 = Math.cos(0.23 * t + 1);
    const y = t >= 54 && wreck ? 1e12 : 0.8 * x1 - 0.5 * x2 + 0.3 * Math.sin(0.37 * (t - 1));
    rows.push(`${x1},${x2},${y}`);
  }
  const path = join(dir, wreck ? 'wrecked.csv' : 'series.csv');
  writeFileSync(path, rows.join('\n') + '\n');
  return path;
}

const INPUT: ExperimentInput = {
  dataset: 'synthetic-small', preset: 'quick', methods: ['alm', 'gd', 'alm+gd'], inits: ['he'], repeats: 2,
  outer: 20, inner: 5, epochs: 200, almGrid: [0.3, 1], lrGrid: [0.01, 0.1], validationSteps: 2,
  earlyStop: { patience: 3, warmupEvals: 2, every: 5 },
};

describe('experiment --early-stop validation', () => {
  it('each run is its method\'s own early-stopped training, retrained for k*; selections score their best validation error', async () => {
    const { spec, loaded } = prepareExperiment(INPUT);
    expect(spec.earlyStop).toEqual({ patience: 3, warmupEvals: 2, minDelta: 1e-6, every: 5, restore: 'retrain' });
    const out = tempDir();
    const { results } = await runExperiment(spec, { outDir: out });
    expect(results.status).toBe('complete');
    expect(results.runs).toHaveLength(6);
    for (const s of results.selections) {
      for (const c of s.candidates) expect(c.ks, s.key).toHaveLength(1);
    }

    const V = spec.selection.validationSteps;
    for (const rec of results.runs) {
      const { problem, initial } = prepareRun({
        dataset: spec.dataset, activation: spec.activation, init: rec.init, seed: rec.seed, standardize: spec.standardize, testHidden: spec.testHidden, params: spec.alm,
      }, loaded);
      const params = { ...spec.alm, tau: rec.tau ?? spec.alm.tau };
      const almRule = earlyStopRuleOf(spec, 'outer');
      const epochRule = earlyStopRuleOf(spec, 'epochs');
      expect(rec.earlyStop, rec.key).toBeDefined();
      if (rec.method === 'gd') {
        const solo = await trainBaselineEarlyStopped(
          { problem, method: 'gd', lr: rec.lr!, epochs: spec.baseline.epochs, initialWeights: initial, seed: rec.seed, testHidden: spec.testHidden, loss: spec.baseline.loss },
          { validationSteps: V, every: 5, rule: epochRule, restore: 'retrain' },
        );
        expect(rec.earlyStop!.k).toBe(solo.outcome.k);
        expect(rec.earlyStop!.valErr).toBe(solo.outcome.valErr);
        expect(rec.iterations).toBe(solo.outcome.k);
        expect(rec.trainErr).toBe(solo.history.at(-1)!.trainErr);
        expect(rec.testErr).toBe(solo.history.at(-1)!.testErr);
        continue;
      }
      const alm = await runEarlyStopped(createCpuBackend(), [{ problem, params, initial }], { validationSteps: V, rule: almRule, restore: 'retrain' }, { testHidden: spec.testHidden });
      const almEarly = rec.method === 'alm' ? rec.earlyStop! : rec.almEarlyStop!;
      expect(almEarly.k, rec.key).toBe(alm.outcomes[0].k);
      expect(almEarly.k).toBeGreaterThan(0);
      // The retraining is a plain run of k* outer iterations on the whole training part.
      const plain = await runAlm(createCpuBackend(), problem, { ...params, outer: almEarly.k }, initial, { testHidden: spec.testHidden });
      expect(alm.finals[0].testErr).toBe(plain.testErr);
      if (rec.method === 'alm') {
        expect(rec.trainErr).toBe(plain.trainErr);
        expect(rec.testErr).toBe(plain.testErr);
        expect(rec.iterations).toBe(almEarly.k);
        continue;
      }
      // ALM + GD: GD's early-stopped polish of the ALM's model, on the ALM's objective.
      const l = lambdasFor(params, problem.r, problem.series.n, problem.series.m);
      const polish = await trainBaselineEarlyStopped(
        { problem, method: 'gd', lr: rec.lr!, epochs: spec.baseline.epochs, initialWeights: plain.weights, lambdas: { A: l.l1, W: l.l2, V: l.l3, b: l.l4, c: l.l5 }, loss: 'sum', testHidden: spec.testHidden },
        { validationSteps: V, every: 5, rule: epochRule, restore: 'retrain' },
      );
      expect(rec.earlyStop!.k).toBe(polish.outcome.k);
      expect(rec.trainErr).toBe(polish.history.at(-1)!.trainErr);
      expect(rec.testErr).toBe(polish.history.at(-1)!.testErr);
    }

    const report = readFileSync(join(out, 'README.md'), 'utf8');
    expect(report).toContain('## Early stopping: k* per cell');
    expect(report).toMatch(/\| ALM \+ GD \| ALM [\d.]+.*, stopped [\d.]+; GD [\d.]+/);
    expect(report).toMatch(/Early stopping on validation \(every method\)/);
  }, 120_000);

  it('the test part decides nothing: wrecked test targets change no k*, no TrainErr and no selection', async () => {
    const dir = tempDir();
    const input = (dataset: string): ExperimentInput => ({
      dataset, preset: 'quick', methods: ['alm', 'adam'], inits: ['glorot'], repeats: 1, standardize: 'train', hidden: 4,
      outer: 12, inner: 5, epochs: 100, almGrid: 'none', lrGrid: [0.01, 0.1], earlyStop: { every: 2 },
    });
    const clean = await runExperiment(prepareExperiment(input(csvSeries(dir, false))).spec, { outDir: join(dir, 'clean') });
    const wrecked = await runExperiment(prepareExperiment(input(csvSeries(dir, true))).spec, { outDir: join(dir, 'wrecked') });
    const facts = (r: ExperimentResults) => ({
      selections: r.selections.map(({ seconds: _s, ...rest }) => rest),
      runs: r.runs.map((x) => ({ key: x.key, k: x.earlyStop!.k, valErr: x.earlyStop!.valErr, trainErr: x.trainErr })),
    });
    expect(facts(wrecked.results)).toEqual(facts(clean.results));
    expect(wrecked.results.runs[0].testErr).not.toBe(clean.results.runs[0].testErr);
  }, 120_000);

  it('a stop in the ALM\'s runs on the fit part keeps their checkpoint, and the resume ends as an unbroken experiment', async () => {
    const { spec } = prepareExperiment({ ...INPUT, methods: ['alm'], inits: ['he', 'glorot'], outer: 30, inner: 40, almGrid: 'none', earlyStop: { patience: 20, warmupEvals: 5 } });
    const whole = await runExperiment(spec, { outDir: tempDir() });
    const out = tempDir();
    const controller = new AbortController();
    const first = await runExperiment(spec, {
      outDir: out, signal: controller.signal, almCheckpointSeconds: 0,
      onProgress: (p) => {
        if (p.label.endsWith('on the fit part') && p.fraction > 0.3) controller.abort();
      },
    });
    expect(first.stopped).toBe(true);
    expect(first.results.runs).toHaveLength(0);
    expect(existsSync(join(out, ALM_BATCH_CHECKPOINT.fit))).toBe(true);
    const second = await runExperiment(spec, { outDir: out, resume: true });
    expect(second.stopped).toBe(false);
    expect(existsSync(join(out, ALM_BATCH_CHECKPOINT.fit))).toBe(false);
    expect(timeless(second.results)).toEqual(timeless(whole.results));
  }, 120_000);

  it('restore best keeps each run\'s best iterate on the fit part: no retraining', async () => {
    const { spec } = prepareExperiment({ ...INPUT, methods: ['alm', 'gd'], repeats: 1, earlyStop: { ...INPUT.earlyStop, restore: 'best' } });
    const { results } = await runExperiment(spec, { outDir: tempDir() });
    expect(results.almBatches!.map((b) => b.stage ?? b.phase)).toEqual(['select', 'fit']);
    for (const rec of results.runs) {
      expect(rec.iterations).toBe(rec.earlyStop!.k);
      // The curve is the kept iterate alone, at k*; the validation curve has its minimum there.
      expect(rec.curve.map((p) => p.step)).toEqual([rec.earlyStop!.k]);
      const best = Math.min(...rec.earlyStop!.valCurve.map((p) => p.valErr ?? Infinity));
      expect(rec.earlyStop!.valCurve.find((p) => p.valErr === best)!.step).toBe(rec.earlyStop!.k);
    }
  }, 60_000);

  it('refuses settings out of range, naming them', () => {
    expect(() => prepareExperiment({ ...INPUT, earlyStop: { patience: 0 } })).toThrow(ParameterError);
    expect(() => prepareExperiment({ ...INPUT, earlyStop: { minDelta: 1 } })).toThrow(/minDelta = 1 is out of range/);
    expect(() => prepareExperiment({ ...INPUT, earlyStop: { every: 201 } })).toThrow(/evaluateEvery = 201 is out of range: an integer from 1 to the epochs \(200\)/);
  });
});

describe('the recorded command', () => {
  it('gives absolute paths relative to the working directory, and leaves the rest as typed', () => {
    expect(commandLine(['--dataset', '/repo/data/x.csv', '--out', '/repo/bench/results/e', '--repeats', '10'], '/repo'))
      .toBe('alm-rnn experiment --dataset data/x.csv --out bench/results/e --repeats 10');
    expect(commandLine(['--resume=/elsewhere/run', '--methods', 'alm,gd'], '/repo')).toBe('alm-rnn experiment --resume=../elsewhere/run --methods alm,gd');
    expect(commandLine(['--dataset', 'sp500', '--out', 'runs/a b'], '/repo')).toBe("alm-rnn experiment --dataset sp500 --out 'runs/a b'");
  });
});

