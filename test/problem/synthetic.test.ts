import { describe, expect, it } from 'vitest';
import { ParameterError } from '../../src/errors.ts';
import { forward } from '../../src/problem/model.ts';
import { columnStats } from '../../src/problem/standardize.ts';
import { generateSynthetic, SYNTHETIC_PRESETS } from '../../src/problem/synthetic.ts';

describe('generateSynthetic', () => {
  it('small preset: T=10, n=5, m=3, r=4 and the expected array sizes', () => {
    const { series, weights, sizes } = generateSynthetic('small', 1);
    expect([series.T, series.n, series.m]).toEqual([10, 5, 3]);
    expect(sizes).toEqual(SYNTHETIC_PRESETS.small);
    expect(series.x.length).toBe(50);
    expect(series.y.length).toBe(30);
    expect(series.inputNames).toEqual(['x1', 'x2', 'x3', 'x4', 'x5']);
    expect(series.targetNames).toEqual(['y1', 'y2', 'y3']);
    expect([weights.r, weights.n, weights.m]).toEqual([4, 5, 3]);
    expect([weights.W.length, weights.V.length, weights.b.length, weights.A.length, weights.c.length]).toEqual([16, 20, 4, 12, 3]);
  });

  it('large preset: T=500, n=80, m=30, r=100 with weights of std about 0.05', () => {
    const { series, weights } = generateSynthetic('large', 3);
    expect([series.T, series.n, series.m, weights.r]).toEqual([500, 80, 30, 100]);
    const w = weights.W;
    let ss = 0;
    for (const v of w) ss += v * v;
    expect(Math.sqrt(ss / w.length)).toBeCloseTo(0.05, 2);
  });

  it('is deterministic in the seed', () => {
    const a = generateSynthetic('small', 42);
    const b = generateSynthetic('small', 42);
    const c = generateSynthetic('small', 43);
    expect([...a.series.x]).toEqual([...b.series.x]);
    expect([...a.series.y]).toEqual([...b.series.y]);
    expect([...a.weights.W]).toEqual([...b.weights.W]);
    expect([...a.series.x]).not.toEqual([...c.series.x]);
  });

  it('keeps inputs in U(-1, 1) and standardises every output column over the whole series', () => {
    for (const preset of ['small', 'large'] as const) {
      const { series } = generateSynthetic(preset, 5);
      expect(Math.min(...series.x)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...series.x)).toBeLessThan(1);
      for (let k = 0; k < series.m; k++) {
        const st = columnStats(series.y, series.m, k, series.T);
        expect(Math.abs(st.mean)).toBeLessThan(1e-12);
        expect(st.std).toBeCloseTo(1, 12);
      }
    }
    const { series } = generateSynthetic('large', 5);
    const xs = columnStats(series.x, 1, 0, series.x.length);
    expect(xs.mean).toBeCloseTo(0, 1);
    expect(xs.std).toBeCloseTo(1 / Math.sqrt(3), 2);
  });

  it('outputs are the true ReLU RNN plus small noise, standardised', () => {
    const { series, weights, standardization, sizes } = generateSynthetic('small', 9);
    const { yHat } = forward(weights, { kind: 'relu' }, series.x, series.T);
    let maxDev = 0;
    for (let t = 0; t < series.T; t++) {
      for (let k = 0; k < series.m; k++) {
        const raw = series.y[t * series.m + k] * standardization.targetStd[k] + standardization.targetMean[k];
        maxDev = Math.max(maxDev, Math.abs(raw - yHat[t * series.m + k]));
      }
    }
    expect(maxDev).toBeGreaterThan(0);
    expect(maxDev).toBeLessThan(6 * sizes.noiseStd);
  });

  it('accepts custom sizes and validates them', () => {
    const d = generateSynthetic({ T: 7, n: 2, m: 1, r: 3, weightStd: 0.5, noiseStd: 0.01 }, 0);
    expect([d.series.T, d.series.n, d.series.m, d.weights.r]).toEqual([7, 2, 1, 3]);
    expect(() => generateSynthetic({ T: 7, n: 0, m: 1, r: 3 }, 0)).toThrow(ParameterError);
    expect(() => generateSynthetic({ T: 7, n: 2, m: 1, r: 2.5 }, 0)).toThrow('r = 2.5 is out of range: a positive integer');
    expect(() => generateSynthetic({ T: 7, n: 2, m: 1, r: 2, noiseStd: -1 }, 0)).toThrow(/noiseStd = -1/);
    expect(() => generateSynthetic('medium' as 'small', 0)).toThrow(/synthetic preset = medium is out of range: one of small, large/);
  });
});
