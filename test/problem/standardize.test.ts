import { describe, expect, it } from 'vitest';
import { DataError, ParameterError } from '../../src/errors.ts';
import { Rng } from '../../src/problem/rng.ts';
import {
  applyStandardization,
  columnStats,
  splitPoint,
  standardize,
  unstandardizeTargets,
} from '../../src/problem/standardize.ts';
import type { Series } from '../../src/problem/types.ts';

/** A random series with columns of different means and scales. */
function randomSeries(T: number, n: number, m: number, seed = 7): Series {
  const rng = new Rng(seed);
  const x = new Float64Array(T * n);
  const y = new Float64Array(T * m);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < n; j++) x[t * n + j] = 10 * j + (j + 1) * rng.normal();
    for (let k = 0; k < m; k++) y[t * m + k] = -5 + 0.01 * (k + 1) * rng.normal() + 0.001 * t;
  }
  return {
    T, n, m, x, y,
    inputNames: Array.from({ length: n }, (_, j) => `in${j}`),
    targetNames: Array.from({ length: m }, (_, k) => `out${k}`),
  };
}

/** Mean and population std of every column over rows [from, to). */
function stats(data: Float64Array, width: number, from: number, to: number): { mean: number[]; std: number[] } {
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < width; j++) {
    let s = 0;
    for (let t = from; t < to; t++) s += data[t * width + j];
    const mu = s / (to - from);
    let ss = 0;
    for (let t = from; t < to; t++) ss += (data[t * width + j] - mu) ** 2;
    mean.push(mu);
    std.push(Math.sqrt(ss / (to - from)));
  }
  return { mean, std };
}

describe('standardize', () => {
  it("mode 'whole' gives every column mean 0 and population std 1 over all steps", () => {
    const s = randomSeries(50, 3, 2);
    const { series, standardization } = standardize(s, { mode: 'whole' });
    for (const [data, w] of [[series.x, 3], [series.y, 2]] as const) {
      const st = stats(data, w, 0, 50);
      for (const v of st.mean) expect(Math.abs(v)).toBeLessThan(1e-12);
      for (const v of st.std) expect(v).toBeCloseTo(1, 12);
    }
    const raw = stats(s.x, 3, 0, 50);
    expect(standardization.inputMean).toEqual(raw.mean.map((v) => expect.closeTo(v, 12)));
    expect(standardization.inputStd).toEqual(raw.std.map((v) => expect.closeTo(v, 12)));
    // The input series is left untouched.
    expect(s.x[0]).not.toBeCloseTo(series.x[0], 6);
  });

  it('uses the population std (divide by N), like numpy', () => {
    const s: Series = {
      T: 4, n: 1, m: 1,
      x: Float64Array.from([1, 2, 3, 4]),
      y: Float64Array.from([0, 0, 2, 2]),
      inputNames: ['x'], targetNames: ['y'],
    };
    const { standardization, series } = standardize(s, { mode: 'whole' });
    expect(standardization.inputMean[0]).toBe(2.5);
    expect(standardization.inputStd[0]).toBeCloseTo(Math.sqrt(1.25), 15);
    expect(standardization.targetStd[0]).toBe(1);
    expect([...series.y]).toEqual([-1, -1, 1, 1]);
  });

  it("mode 'train' uses only the first T1 steps", () => {
    const s = randomSeries(40, 2, 1);
    const { series, standardization } = standardize(s, { mode: 'train', T1: 30 });
    const train = stats(series.x, 2, 0, 30);
    for (const v of train.mean) expect(Math.abs(v)).toBeLessThan(1e-12);
    for (const v of train.std) expect(v).toBeCloseTo(1, 12);
    expect(standardization.targetMean[0]).toBeCloseTo(stats(s.y, 1, 0, 30).mean[0], 12);
    const whole = stats(series.y, 1, 0, 40);
    expect(Math.abs(whole.mean[0])).toBeGreaterThan(1e-3); // the trend makes the test part differ
  });

  it("columns 'targets' leaves inputs untouched", () => {
    const s = randomSeries(20, 2, 2);
    const { series, standardization } = standardize(s, { mode: 'whole', columns: 'targets' });
    expect([...series.x]).toEqual([...s.x]);
    expect(standardization.inputMean).toEqual([0, 0]);
    expect(standardization.inputStd).toEqual([1, 1]);
    expect(Math.abs(stats(series.y, 2, 0, 20).mean[1])).toBeLessThan(1e-12);
  });

  it('names a constant column and suggests --no-standardize', () => {
    const s = randomSeries(10, 2, 1);
    for (let t = 0; t < 10; t++) s.x[t * 2 + 1] = 3.25;
    expect(() => standardize(s, { mode: 'whole' })).toThrow(DataError);
    expect(() => standardize(s, { mode: 'whole' })).toThrow(/column "in1" is constant over all 10 steps.*--no-standardize/);
  });

  it('treats a column constant up to rounding as constant, and one constant only in training for mode train', () => {
    const s = randomSeries(10, 1, 1);
    for (let t = 0; t < 10; t++) s.y[t] = 1e6 + (t % 2) * 2.5e-10 + (t === 9 ? 1 : 0);
    expect(columnStats(s.y, 1, 0, 9).std).toBeGreaterThan(0);
    // Over the whole series the last step differs: fine. Over the first 9 it is constant.
    expect(() => standardize(s, { mode: 'whole' })).not.toThrow();
    expect(() => standardize(s, { mode: 'train', T1: 9 })).toThrow(/column "out0" is constant over the first 9 \(training\) steps/);
  });

  it("rejects mode 'train' without a usable T1", () => {
    const s = randomSeries(10, 1, 1);
    expect(() => standardize(s, { mode: 'train' })).toThrow(ParameterError);
    expect(() => standardize(s, { mode: 'train', T1: 11 })).toThrow(/T1 = 11 is out of range/);
  });

  it('applyStandardization and unstandardizeTargets invert each other on targets', () => {
    const s = randomSeries(25, 3, 2);
    const { series, standardization } = standardize(s, { mode: 'train', T1: 20 });
    const again = applyStandardization(s, standardization);
    expect([...again.x]).toEqual([...series.x]);
    const back = unstandardizeTargets(series.y, standardization);
    for (let i = 0; i < back.length; i++) expect(back[i]).toBeCloseTo(s.y[i], 12);
  });

  it('applyStandardization checks the shape', () => {
    const s = randomSeries(10, 2, 1);
    const { standardization } = standardize(randomSeries(10, 3, 1), { mode: 'whole' });
    expect(() => applyStandardization(s, standardization)).toThrow(/for 3 inputs and 1 targets, but the series has 2 inputs/);
  });

  it('columnStats gives mean, population std and the largest magnitude', () => {
    const st = columnStats(Float64Array.from([1, 10, -3, 20]), 2, 0, 2);
    expect(st).toEqual({ mean: -1, std: 2, maxAbs: 3 });
  });
});

describe('splitPoint', () => {
  it('rounds T·fraction: the paper splits', () => {
    expect(splitPoint(10, 0.9)).toBe(9);
    expect(splitPoint(437, 0.9)).toBe(393);
    expect(splitPoint(500, 0.9)).toBe(450);
    expect(splitPoint(2, 0.5)).toBe(1);
  });

  it('rejects fractions outside (0, 1)', () => {
    for (const f of [0, 1, -0.1, 1.5, NaN, Infinity]) {
      expect(() => splitPoint(100, f)).toThrow(ParameterError);
    }
    expect(() => splitPoint(100, 1)).toThrow('train-fraction = 1 is out of range: a number strictly between 0 and 1');
  });

  it('rejects fractions that leave no train or no test step', () => {
    expect(() => splitPoint(10, 0.97)).toThrow(/train-fraction = 0.97 is out of range: round\(10·0.97\) = 10 must leave at least 1 training and 1 test step/);
    expect(() => splitPoint(10, 0.01)).toThrow(/round\(10·0.01\) = 0/);
    try {
      splitPoint(10, 0.97);
    } catch (err) {
      expect(err).toBeInstanceOf(ParameterError);
      expect((err as ParameterError).parameter).toBe('train-fraction');
    }
  });

  it('rejects a series too short to split', () => {
    expect(() => splitPoint(1, 0.5)).toThrow(/at least 2 steps/);
  });
});
