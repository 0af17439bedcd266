// Presets: the paper's three settings (docs/method.md §6, Table 3 captions, §5.4), the quick
// preset, overrides, and the validation of a spec.
import { describe, expect, it } from 'vitest';
import { PAPER_PRESETS } from '../../src/alm/params.ts';
import { UserInputError } from '../../src/errors.ts';
import { prepareExperiment } from '../../src/experiments/runner.ts';
import {
  defaultValidationSteps, PAPER_CLIP_GRID, PAPER_LR_GRID, presetSettings, validateSpec,
} from '../../src/experiments/settings.ts';

describe('presets', () => {
  it.each([
    ['synthetic-small', 50, 10, 500, 2, 1, 0.99, 1.01],
    ['sp500', 200, 500, 5000, 50, 1, 0.99, 1.01],
    ['synthetic-large', 100, 500, 1000, 100, 500, 0.9, 1.015],
  ])('%s: the paper\'s caps, epochs, batch, τ and η', (dataset, outer, inner, epochs, batch, tau, eta1, eta3) => {
    const { spec } = prepareExperiment({ dataset });
    expect(spec.preset).toBe('paper');
    expect([spec.alm.outer, spec.alm.inner]).toEqual([outer, inner]);
    expect(spec.alm.tau).toBe(tau);
    expect(spec.alm.eta1).toBe(eta1);
    expect(spec.alm.eta3).toBe(eta3);
    expect(spec.alm).toMatchObject(PAPER_PRESETS[dataset]);
    expect(spec.alm).toMatchObject({ gamma0: 1, eps0: 0.1, mu: 1e-7, lambda6: 1e-8 });
    expect(spec.baseline).toEqual({ epochs, sgdBatch: batch, momentum: 0.9, regularization: 'none', loss: 'sum' });
    expect(spec.repeats).toBe(10);
    expect(spec.selection.lrGrid).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(spec.selection.clipGrid).toEqual([0.5, 1, 1.5, 2, 3, 4, 5, 6]);
    expect(spec.methods).toEqual(['alm', 'gd', 'gdc', 'gdnm', 'sgd', 'adam', 'alm+gd']);
    expect(spec.inits).toEqual(['he', 'normal-1e-3', 'normal-1e-1', 'glorot', 'lecun']);
  });

  it('the grids are the paper\'s', () => {
    expect(PAPER_LR_GRID).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1]);
    expect(PAPER_CLIP_GRID).toEqual([0.5, 1, 1.5, 2, 3, 4, 5, 6]);
  });

  it('quick keeps the η\'s of the paper but shrinks caps, epochs, grids and repeats', () => {
    const q = presetSettings('sp500', 'quick');
    expect(q.outer * q.inner).toBeLessThanOrEqual(100);
    expect(q.epochs).toBeLessThanOrEqual(30);
    expect(q.repeats).toBe(2);
    const { spec } = prepareExperiment({ dataset: 'synthetic-large', preset: 'quick' });
    expect(spec.alm.eta2).toBe(0.9);
    expect(spec.alm.tau).toBe(500);
  });

  it('validation part: a tenth of the training part, at least one step', () => {
    expect(defaultValidationSteps(9)).toBe(1);
    expect(defaultValidationSteps(393)).toBe(39);
    expect(defaultValidationSteps(450)).toBe(45);
    expect(prepareExperiment({ dataset: 'synthetic-small' }).spec.selection.validationSteps).toBe(1);
  });

  it('overrides win over the preset', () => {
    const { spec } = prepareExperiment({
      dataset: 'sp500', outer: 3, inner: 4, epochs: 7, sgdBatch: 9, repeats: 2, selectRepeats: 1, lrGrid: [0.5],
      clipGrid: [2], validationSteps: 20, tau: 0.5, seed: 11, dataSeed: 3, methods: ['alm', 'sgd', 'alm'], inits: ['lecun'],
      baselineRegularization: 'same',
    });
    expect([spec.alm.outer, spec.alm.inner, spec.alm.tau]).toEqual([3, 4, 0.5]);
    expect(spec.alm.eta1).toBe(0.99);
    expect(spec.baseline).toMatchObject({ epochs: 7, sgdBatch: 9, regularization: 'same' });
    // The ALM's τ grid: the default multiples of the given τ.
    expect(spec.selection).toEqual({ lrGrid: [0.5], clipGrid: [2], almTauGrid: [0.05, 0.15, 0.5, 1.5, 5], validationSteps: 20, repeats: 1 });
    expect(prepareExperiment({ dataset: 'sp500', almGrid: 'none' }).spec.selection.almTauGrid).toEqual([]);
    expect(prepareExperiment({ dataset: 'sp500', almGrid: [1, 2] }).spec.selection.almTauGrid).toEqual([1, 2]);
    expect(spec.methods).toEqual(['alm', 'sgd']);
    expect([spec.seed, spec.dataSeed, spec.repeats]).toEqual([11, 3, 2]);
  });

  it('every seed the experiment draws is a seed, and the epochs have a stated maximum', () => {
    // Repeat j draws seed + j; selection repeat s (3 on sp500) draws seed + 1e6 + s: all must be at most MAX_SEED (2^31 - 2).
    expect(() => prepareExperiment({ dataset: 'sp500', seed: 2147483646 - 1_000_000 })).toThrow(
      /^seed = 2146483646 is out of range: an integer from 0 to 2146483644 \(the experiment draws seeds up to seed \+ 1000002, and a seed is at most 2147483646\)$/);
    expect(() => prepareExperiment({ dataset: 'sp500', seed: 2147483646 - 1_000_002 })).not.toThrow();
    expect(() => prepareExperiment({ dataset: 'sp500', dataSeed: 9007199254740993 })).toThrow(/^dataSeed = \S+ is out of range: an integer from 0 to 2147483646$/);
    expect(() => prepareExperiment({ dataset: 'sp500', epochs: 1e7 })).toThrow(/^epochs = 10000000 is out of range: an integer from 1 to 1000000$/);
  });

  it('a CSV-like data set without a paper preset gets everyday settings', () => {
    const s = presetSettings('welch-goyal', 'paper');
    expect(s).toMatchObject({ outer: 50, inner: 100, epochs: 1000, sgdBatch: 50 });
  });
});

describe('validateSpec', () => {
  const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick' });
  it.each([
    [{ repeats: 0 }, /repeats = 0/],
    [{ methods: ['alm', 'lbfgs'] }, /methods = lbfgs .* one of alm, gd/],
    [{ methods: [] }, /at least one/],
    [{ inits: ['xavier'] }, /inits = xavier/],
    [{ selection: { ...spec.selection, lrGrid: [0.1, -1] } }, /lrGrid = -1/],
    [{ selection: { ...spec.selection, validationSteps: 8 } }, /validationSteps = 8 .* \[1, 7\]/],
    [{ baseline: { ...spec.baseline, epochs: 0 } }, /epochs = 0/],
    [{ alm: { ...spec.alm, eta1: 1.5 } }, /eta1 = 1.5/],
  ])('names the field: %o', (patch, message) => {
    expect(() => validateSpec({ ...spec, ...patch } as typeof spec, 9)).toThrow(message);
    expect(() => validateSpec({ ...spec, ...patch } as typeof spec, 9)).toThrow(UserInputError);
  });
});
