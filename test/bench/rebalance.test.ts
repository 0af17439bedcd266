// The rebalancing symmetry of bench/research/rebalance.ts (used by bench/research/sp500-diagnosis.ts): the
// rescaled state predicts the same, keeps the constraints and the multiplier terms, and the
// balancing D minimises the λ terms (no lower value nearby).
import { describe, expect, it } from 'vitest';
import { balancingScales, rescaleState, rescaleWeights, unitSquares } from '../../bench/research/rebalance.ts';
import type { BcdState, Lambdas } from '../../src/backends/backend.ts';
import { activate } from '../../src/problem/activations.ts';
import { forward } from '../../src/problem/model.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { Activation, RnnWeights } from '../../src/problem/types.ts';
import { expectAllClose } from '../helpers/allclose.ts';

const r = 5, n = 3, m = 2, T = 7;
const lambdas: Lambdas = { l1: 0.05, l2: 0.02, l3: 0.03, l4: 0.1, l5: 0.5, l6: 1e-3 };

function randomWeights(rng: Rng): RnnWeights {
  const draw = (k: number) => Float64Array.from({ length: k }, () => rng.normal() * 0.7);
  return { r, n, m, W: draw(r * r), V: draw(r * n), b: draw(r), A: draw(m * r), c: draw(m) };
}

/** λ terms of R(s) for weights and u (the fit term is invariant and left out). */
function lambdaTerms(w: RnnWeights, u: Float64Array): number {
  const sq = (a: Float64Array) => a.reduce((s, v) => s + v * v, 0);
  return lambdas.l1 * sq(w.A) + lambdas.l2 * sq(w.W) + lambdas.l3 * sq(w.V) + lambdas.l4 * sq(w.b) + lambdas.l5 * sq(w.c) + lambdas.l6 * sq(u);
}

/** C1 = u − (W h_{t−1} + V x_t + b) and C2 = h − σ(u), T×r time-major. */
function residuals(s: BcdState, x: Float64Array, act: Activation): { c1: Float64Array; c2: Float64Array } {
  const { W, V, b } = s.weights;
  const c1 = new Float64Array(T * r);
  const c2 = new Float64Array(T * r);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < r; i++) {
      let v = b[i];
      if (t > 0) for (let j = 0; j < r; j++) v += W[i * r + j] * s.h[(t - 1) * r + j];
      for (let j = 0; j < n; j++) v += V[i * n + j] * x[t * n + j];
      c1[t * r + i] = s.u[t * r + i] - v;
      c2[t * r + i] = s.h[t * r + i] - activate(act, s.u[t * r + i]);
    }
  }
  return { c1, c2 };
}

describe.each<Activation>([{ kind: 'relu' }, { kind: 'leaky', omega: 0.1 }])('rebalancing with $kind', (act) => {
  const rng = new Rng(11);
  const w = randomWeights(rng);
  const x = Float64Array.from({ length: T * n }, () => rng.uniform() * 2 - 1);
  const d = Float64Array.from({ length: r }, () => Math.exp(rng.normal()));

  it('keeps every prediction of the forward pass', () => {
    const before = forward(w, act, x, T);
    const after = forward(rescaleWeights(w, d), act, x, T);
    expectAllClose(after.yHat, before.yHat, { rtol: 1e-12, atol: 1e-12 }, 'ŷ');
    for (let e = 0; e < T * r; e++) expect(after.h[e]).toBeCloseTo(before.h[e] * d[e % r], 12);
  });

  it('scales the constraint residuals by D and keeps ξᵀC1 and ζᵀC2', () => {
    const noisy = (a: Float64Array) => a.map((v) => v + 0.1 * rng.normal());
    const fw = forward(w, act, x, T);
    const s: BcdState = {
      weights: w, h: noisy(fw.h), u: noisy(fw.h), xi: noisy(new Float64Array(T * r)), zeta: noisy(new Float64Array(T * r)),
    };
    const s2 = rescaleState(s, d);
    const a = residuals(s, x, act);
    const b = residuals(s2, x, act);
    expectAllClose(b.c1, a.c1.map((v, e) => v * d[e % r]), { rtol: 1e-10, atol: 1e-12 }, 'C1');
    expectAllClose(b.c2, a.c2.map((v, e) => v * d[e % r]), { rtol: 1e-10, atol: 1e-12 }, 'C2');
    const dot = (p: Float64Array, q: Float64Array) => p.reduce((acc, v, i) => acc + v * q[i], 0);
    expect(dot(s2.xi, b.c1)).toBeCloseTo(dot(s.xi, a.c1), 10);
    expect(dot(s2.zeta, b.c2)).toBeCloseTo(dot(s.zeta, a.c2), 10);
  });

  it('finds the D that minimises the λ terms: lower than at D = I, and no lower value nearby', () => {
    const u = forward(w, act, x, T).h.map((v) => v + 0.3);
    const best = balancingScales(w, lambdas, unitSquares(u, r), 500);
    const at = (dd: Float64Array) => {
      const s = rescaleState({ weights: w, h: u, u, xi: new Float64Array(T * r), zeta: new Float64Array(T * r) }, dd);
      return lambdaTerms(s.weights, s.u);
    };
    const f0 = at(best);
    expect(f0).toBeLessThan(at(new Float64Array(r).fill(1)));
    for (let i = 0; i < r; i++) {
      for (const step of [1.01, 0.99, 1.1, 0.9]) {
        const dd = Float64Array.from(best);
        dd[i] *= step;
        expect(at(dd)).toBeGreaterThanOrEqual(f0 * (1 - 1e-12));
      }
    }
  });
});
