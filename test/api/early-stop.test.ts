// The earlyStop option of train(), trainGrid() and trainBaseline(), on the problem built to
// overfit (test/helpers/overfit.ts) given as arrays: what the result reports, that the model is
// the one a plain call with the chosen count gives, resume, grids, and the refusals.
import { describe, expect, it } from 'vitest';
import { Model, OptionError, train, trainBaseline, trainGrid, type TrainOptions } from '../../src/index.node.ts';
import { overfitInitial, overfitParams, overfitProblem, OVERFIT_V } from '../helpers/overfit.ts';

const { series } = overfitProblem();
const DATA = { inputs: Float64Array.from(series.x), targets: Float64Array.from(series.y), inputNames: ['x'], targetNames: ['y'] };
const BASE: TrainOptions = {
  ...DATA, hidden: 16, trainSteps: 40, standardize: 'none', backend: 'cpu', workers: 0,
  params: overfitParams(),
  // The initial weights of the engine's tests, whose validation curve has its minimum at 5 of 30.
  init: new Model({ weights: overfitInitial(), activation: { kind: 'relu' } }),
};
const { init: _init, ...GRID_BASE } = BASE;
const ES = { validationSteps: OVERFIT_V };
const W = (m: { weights: { W: Float64Array; A: Float64Array; c: Float64Array } }) => [...m.weights.W, ...m.weights.A, ...m.weights.c];

describe('train() with earlyStop', async () => {
  const saved: string[] = [];
  const stages: (string | undefined)[] = [];
  const unbroken = await train({ ...BASE, earlyStop: ES, checkpoint: { save: (json) => void saved.push(json) }, onIteration: (it) => stages.push(it.stage) });
  const es = unbroken.earlyStop!;

  it('reports k*, its validation error and where it stopped; the model is a plain run of k* outer iterations', async () => {
    // 30 evaluations: warm-up 3, patience 3.
    expect(es.k).toBeGreaterThan(3);
    expect(es.stoppedAt).toBe(es.k + 3);
    expect(es.stoppedAt).toBeLessThan(30);
    expect(es.restore).toBe('retrain');
    expect(Number.isFinite(es.valErr)).toBe(true);
    expect(unbroken.outerIterations).toBe(es.k);
    const plain = await train({ ...BASE, params: { ...BASE.params, outer: es.k } });
    expect(W(unbroken.model)).toEqual(W(plain.model));
    expect(unbroken.testErr).toBe(plain.testErr);
    // Checkpoints cover the run on the fit part: one per outer iteration until it stopped.
    expect(saved).toHaveLength(es.stoppedAt);
    // Progress says which run each report comes from: the fit part's, then the retraining's.
    expect(stages).toEqual([...Array(es.stoppedAt).fill('fit'), ...Array(es.k).fill('retrain')]);
  });

  it('resumed from a checkpoint in the middle, ends as the unbroken run; other settings are refused', async () => {
    const resumed = await train({ ...BASE, earlyStop: ES, resume: saved[es.k] });
    expect(resumed.earlyStop).toEqual(es);
    expect(W(resumed.model)).toEqual(W(unbroken.model));
    expect(() => train({ ...BASE, earlyStop: { ...ES, patience: 9 }, resume: saved[es.k] })).toThrow(/resume was made with other options/);
    // A checkpoint that names its data set (the CLI's, the page's) holds the fit part's steps: it is taken too.
    const named = saved[es.k].replace(/"dataset":"arrays:[^"]*"/g, '"dataset":"series.csv"');
    expect(named).not.toBe(saved[es.k]);
    const fromNamed = await train({ ...BASE, earlyStop: ES, resume: named });
    expect(fromNamed.earlyStop).toEqual(es);
    expect(W(fromNamed.model)).toEqual(W(unbroken.model));
  });

  it('restore best keeps the fit run\'s best iterate', async () => {
    const best = await train({ ...BASE, earlyStop: { ...ES, restore: 'best' } });
    expect(best.earlyStop).toEqual({ ...es, restore: 'best' });
    expect(W(best.model)).not.toEqual(W(unbroken.model));
  });

  it('trainGrid: each trial equals its solo early-stopped run; with select the score is the best validation error and the chosen is retrained for its k*', async () => {
    // A grid takes initialisers, not models: seeds whose curves stop at different counts.
    const grid = await trainGrid({ ...GRID_BASE, seeds: [2, 4], taus: [0.1, 1], earlyStop: ES });
    expect(new Set(grid.trials.map((t) => t.earlyStop!.stoppedAt)).size).toBeGreaterThan(1);
    for (const [i, t] of grid.trials.entries()) {
      const solo = await train({ ...GRID_BASE, seed: t.seed, params: { ...BASE.params, tau: t.tau }, earlyStop: ES });
      expect(grid.trials[i].earlyStop).toEqual(solo.earlyStop);
      expect(grid.trials[i].valErr).toBe(solo.earlyStop!.valErr);
      expect(W(grid.trials[i].model)).toEqual(W(solo.model));
    }
    const sel = await trainGrid({ ...GRID_BASE, seeds: [2, 4], taus: [0.1, 1], earlyStop: ES, select: 'validation' });
    const scores = grid.trials.map((t) => t.valErr!);
    expect(sel.selected!.index).toBe(scores.indexOf(Math.min(...scores)));
    expect(sel.selected!.earlyStop).toEqual(grid.trials[sel.selected!.index].earlyStop);
    expect(W(sel.selected!.model)).toEqual(W(grid.trials[sel.selected!.index].model));
  });
});

describe('trainBaseline() with earlyStop', () => {
  it('reports k* in epochs and retrains for exactly k* epochs', async () => {
    const opts = { ...DATA, hidden: 16, trainSteps: 40, standardize: 'none' as const, method: 'adam' as const, learningRate: 0.01, epochs: 600 };
    const stages: (string | undefined)[] = [];
    const r = await trainBaseline({ ...opts, earlyStop: { ...ES, every: 10 }, onEpoch: (e) => stages.push(e.stage) });
    const es = r.earlyStop!;
    expect(es.k % 10).toBe(0);
    // 60 evaluations: warm-up 6, patience 6.
    expect(es.stoppedAt).toBe(es.k + 60);
    const plain = await trainBaseline({ ...opts, epochs: es.k });
    expect(W(r.model)).toEqual(W(plain.model));
    expect(r.epochs).toBe(es.k);
    // Epoch 0 and every 10th of the fit run, then epoch 0 and every epoch of the retraining.
    expect(stages).toEqual([...Array(es.stoppedAt / 10 + 1).fill('fit'), ...Array(es.k + 1).fill('retrain')]);
  });
});

describe('earlyStop refusals: one OptionError naming the option', () => {
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['validationSteps out of range', () => train({ ...BASE, earlyStop: { validationSteps: 39 } }), /^earlyStop\.validationSteps must be an integer in \[1, 38\]/],
    ['patience 0', () => train({ ...BASE, earlyStop: { patience: 0 } }), /^earlyStop\.patience must be an integer ≥ 1, got 0/],
    ['not an object', () => train({ ...BASE, earlyStop: 'validation' as never }), /^earlyStop must be an object/],
    ['restore other than retrain or best', () => train({ ...BASE, earlyStop: { restore: 'last' as never } }), /^earlyStop\.restore must be one of retrain, best/],
    ['minDelta 1', () => train({ ...BASE, earlyStop: { minDelta: 1 } }), /^earlyStop\.minDelta must be a number in \[0, 1\)/],
    ['every on the ALM', () => train({ ...BASE, earlyStop: { every: 5 } as never }), /earlyStop\.every/],
    ['every 0 on a baseline', () => trainBaseline({ ...DATA, method: 'gd', learningRate: 0.1, earlyStop: { every: 0 } }), /^earlyStop\.every must be an integer ≥ 1/],
    ['two validation splits', () => trainGrid({ ...GRID_BASE, select: 'validation', validationSteps: 4, earlyStop: { validationSteps: 5 } }), /^earlyStop\.validationSteps differs from validationSteps/],
  ];
  for (const [what, call, message] of bad) {
    it(what, () => {
      expect(call).toThrow(OptionError);
      expect(call).toThrow(message);
    });
  }
});
