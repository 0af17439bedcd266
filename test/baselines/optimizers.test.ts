// Each optimiser's update rule on a hand case: the five weights of an r = n = m = 1 RNN,
// p = (W, V, b, A, c) = (1, −2, 0.5, 3, 0), two steps with fixed gradients g1 and g2.
import { describe, expect, it } from 'vitest';
import { createOptimizer, type OptimizerSpec } from '../../src/baselines/optimizers.ts';
import { ParameterError } from '../../src/errors.ts';
import type { RnnWeights } from '../../src/problem/types.ts';

function weights(v: number[]): RnnWeights {
  return {
    r: 1, n: 1, m: 1,
    W: Float64Array.of(v[0]), V: Float64Array.of(v[1]), b: Float64Array.of(v[2]), A: Float64Array.of(v[3]), c: Float64Array.of(v[4]),
  };
}
const flat = (w: RnnWeights): number[] => [w.W[0], w.V[0], w.b[0], w.A[0], w.c[0]];
const P0 = [1, -2, 0.5, 3, 0];
const G1 = [0.5, -1, 2, 0, 4];
const G2 = [-1, 0.5, 2, 1, -4];

/** Runs two steps and returns the parameters after each. */
function twoSteps(spec: OptimizerSpec, g1 = G1, g2 = G2): [number[], number[]] {
  const opt = createOptimizer(spec);
  const p = weights(P0);
  const grad1 = weights(g1);
  opt.step(p, grad1);
  expect(flat(grad1)).toEqual(g1); // gradients are never modified
  const after1 = flat(p);
  opt.step(p, weights(g2));
  expect(opt.iterations).toBe(2);
  return [after1, flat(p)];
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(a, `entry ${i}`).toBeCloseTo(expected[i], 14));
}

describe('optimiser update rules (two hand-computed steps)', () => {
  it('gd: p ← p − η g', () => {
    // η = 0.1: p1 = p0 − 0.1 g1, p2 = p1 − 0.1 g2.
    const [p1, p2] = twoSteps({ method: 'gd', lr: 0.1 });
    expectClose(p1, [0.95, -1.9, 0.3, 3, -0.4]);
    expectClose(p2, [1.05, -1.95, 0.1, 2.9, 0]);
  });

  it('sgd: the same rule as gd (mini-batches come from the trainer)', () => {
    const [p1, p2] = twoSteps({ method: 'sgd', lr: 0.1 });
    expectClose(p1, [0.95, -1.9, 0.3, 3, -0.4]);
    expectClose(p2, [1.05, -1.95, 0.1, 2.9, 0]);
  });

  it('gdc: clips the global norm of the gradient to the threshold', () => {
    // g1 = (0, 3, 0, 4, 0) has norm 5 > τ = 1: the step is 0.1 · g1/5 = 0.02 g1.
    // g2 = (0.3, 0, −0.4, 0, 0) has norm 0.5 ≤ 1: a plain gd step 0.1 g2.
    const [p1, p2] = twoSteps({ method: 'gdc', lr: 0.1, clip: 1 }, [0, 3, 0, 4, 0], [0.3, 0, -0.4, 0, 0]);
    expectClose(p1, [1, -2.06, 0.5, 2.92, 0]);
    expectClose(p2, [0.97, -2.06, 0.54, 2.92, 0]);
  });

  it('gdnm: v ← μv − ηg, p ← p + μv − ηg (Keras / Sutskever Nesterov)', () => {
    // η = 0.1, μ = 0.9. Step 1: v1 = −0.1 g1 = (−0.05, 0.1, −0.2, 0, −0.4), p1 = p0 − 0.19 g1.
    // Step 2: v2 = 0.9 v1 − 0.1 g2 = (0.055, 0.04, −0.38, −0.1, 0.04),
    //         p2 = p1 + 0.9 v2 − 0.1 g2 = p1 + (0.1495, −0.014, −0.542, −0.19, 0.436).
    const [p1, p2] = twoSteps({ method: 'gdnm', lr: 0.1, momentum: 0.9 });
    expectClose(p1, [0.905, -1.81, 0.12, 3, -0.76]);
    expectClose(p2, [1.0545, -1.824, -0.422, 2.81, -0.324]);
  });

  it('adam: Kingma & Ba with bias correction, β1 = 0.9, β2 = 0.999, ε = 1e−7', () => {
    // Step 1: m̂ = g1, v̂ = g1², so p1 = p0 − 0.1 g1/(|g1| + 1e−7) (0 where g1 = 0).
    // Step 2 for b (g = 2 both times): m = 0.38, v = 0.007996, m̂ = 0.38/0.19 = 2, v̂ = 0.007996/0.001999 = 4,
    //   p2 = p1 − 0.1·2/(2 + 1e−7). For A (g = 0 then 1): m̂ = 0.1/0.19, v̂ = 0.001/0.001999.
    // Values to 16 digits from a 40-digit decimal evaluation of the same formulas.
    const [p1, p2] = twoSteps({ method: 'adam', lr: 0.1 });
    expectClose(p1, [0.900000019999996, -1.900000009999999, 0.40000000499999975, 3, -0.09999999750000006]);
    expectClose(p2, [0.9366103680733919, -1.8733663094033907, 0.30000000999999950, 2.9255863281643524, -0.09473683973684216]);
    expect(p1[0]).toBeCloseTo(1 - 0.1 * 0.5 / (0.5 + 1e-7), 14);
    expect(p2[2]).toBeCloseTo(p1[2] - 0.1 * 2 / (2 + 1e-7), 14);
    expect(p2[3]).toBeCloseTo(3 - 0.1 * (0.1 / 0.19) / (Math.sqrt(0.001 / 0.001999) + 1e-7), 14);
  });

  it('rejects out-of-range settings with a ParameterError naming the field', () => {
    expect(() => createOptimizer({ method: 'gd', lr: 0 })).toThrow(ParameterError);
    expect(() => createOptimizer({ method: 'gd', lr: Number.NaN })).toThrow(/lr/);
    expect(() => createOptimizer({ method: 'gdc', lr: 0.1, clip: -1 })).toThrow(/clip/);
    expect(() => createOptimizer({ method: 'gdnm', lr: 0.1, momentum: 1 })).toThrow(/momentum/);
    expect(() => createOptimizer({ method: 'adam', lr: 0.1, beta2: 1.5 })).toThrow(/beta2/);
    expect(() => createOptimizer({ method: 'nope', lr: 0.1 } as unknown as OptimizerSpec)).toThrow(/method/);
  });

  it('rejects gradients of another shape', () => {
    const opt = createOptimizer({ method: 'adam', lr: 0.1 });
    const big: RnnWeights = { ...weights(G1), W: new Float64Array(4) };
    expect(() => opt.step(weights(P0), big)).toThrow(/W/);
  });
});
