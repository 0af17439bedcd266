// Rebalancing of the hidden units, the exact symmetry behind one finding of
// bench/research/sp500-diagnosis.ts (it is not part of the method, and not an option of the engine:
// measured there, it lowers the ALM's objective but raises its TestErr on sp500).
//
// ReLU and leaky ReLU are positively homogeneous, so for a positive diagonal D the state
//     W → D W D⁻¹,  V → D V,  b → D b,  A → A D⁻¹,  h → D h,  u → D u
// predicts exactly what the original does, satisfies the constraints C1, C2 exactly when the
// original does (each residual is scaled by D), and has the same fit term — but different
// λ terms: λ1||A D⁻¹||² + λ2||D W D⁻¹||² + λ3||D V||² + λ4||D b||² + λ6||D u||². BCD cannot
// move along this family: it changes every block at once, and with a large γ any single-block
// move off it costs more in the penalty than it gains.
import type { BcdState, Lambdas } from '../../src/backends/backend.ts';
import type { Activation, RnnWeights } from '../../src/problem/types.ts';

/** Bounds on one rebalancing's factor per unit, so a nearly unused unit is not scaled to 0 or ∞ at once. */
const MAX_FACTOR = 1e3;

/** Whether the activation is positively homogeneous (σ(d·u) = d·σ(u) for d > 0), which rebalancing needs. */
export function canRebalance(activation: Activation): boolean {
  return activation.kind === 'relu' || activation.kind === 'leaky';
}

/**
 * The diagonal D (one factor per hidden unit) that minimises the λ terms of the rescaled state,
 * by coordinate descent: the terms in d_i have the form P/d_i² + Q d_i², minimised at (P/Q)^¼.
 * `uSquares[i]` = Σ_t u_{t,i}² (for λ6; zeros to ignore it).
 */
export function balancingScales(w: RnnWeights, lambdas: Lambdas, uSquares: Float64Array, sweeps = 100): Float64Array {
  const { r, n, m } = w;
  const d = new Float64Array(r).fill(1);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    for (let i = 0; i < r; i++) {
      let P = 0;
      let Q = lambdas.l6 * uSquares[i];
      for (let k = 0; k < m; k++) P += lambdas.l1 * w.A[k * r + i] ** 2;
      for (let j = 0; j < r; j++) {
        if (j === i) continue;
        P += lambdas.l2 * (w.W[j * r + i] * d[j]) ** 2;
        Q += lambdas.l2 * (w.W[i * r + j] / d[j]) ** 2;
      }
      for (let j = 0; j < n; j++) Q += lambdas.l3 * w.V[i * n + j] ** 2;
      Q += lambdas.l4 * w.b[i] ** 2;
      if (P > 0 && Q > 0) d[i] = Math.min(MAX_FACTOR, Math.max(1 / MAX_FACTOR, Math.sqrt(Math.sqrt(P / Q))));
    }
  }
  return d;
}

/** The weights rescaled by D (predictions unchanged for a positively homogeneous σ). */
export function rescaleWeights(w: RnnWeights, d: Float64Array): RnnWeights {
  const { r, n, m } = w;
  const W = Float64Array.from(w.W);
  const V = Float64Array.from(w.V);
  const b = Float64Array.from(w.b);
  const A = Float64Array.from(w.A);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) W[i * r + j] *= d[i] / d[j];
    for (let j = 0; j < n; j++) V[i * n + j] *= d[i];
    b[i] *= d[i];
    for (let k = 0; k < m; k++) A[k * r + i] /= d[i];
  }
  return { r, n, m, W, V, b, A, c: Float64Array.from(w.c) };
}

/**
 * The whole ALM state rescaled by D: weights as rescaleWeights, h and u by D, and the
 * multipliers ξ, ζ by D⁻¹ (the constraint residuals scale by D, so ξᵀC1 and ζᵀC2 are kept).
 */
export function rescaleState(s: BcdState, d: Float64Array): BcdState {
  const r = d.length;
  const h = Float64Array.from(s.h);
  const u = Float64Array.from(s.u);
  const xi = Float64Array.from(s.xi);
  const zeta = Float64Array.from(s.zeta);
  for (let e = 0; e < h.length; e++) {
    const f = d[e % r];
    h[e] *= f;
    u[e] *= f;
    xi[e] /= f;
    zeta[e] /= f;
  }
  return { weights: rescaleWeights(s.weights, d), h, u, xi, zeta };
}

/** Σ_t u_{t,i}² per unit of a T×r time-major array. */
export function unitSquares(u: Float64Array, r: number): Float64Array {
  const out = new Float64Array(r);
  for (let e = 0; e < u.length; e++) out[e % r] += u[e] * u[e];
  return out;
}

/** Rebalances the state: the balancing D for its weights (and u), applied to everything. */
export function rebalanceState(s: BcdState, lambdas: Lambdas): BcdState {
  const d = balancingScales(s.weights, lambdas, unitSquares(s.u, s.weights.r));
  return rescaleState(s, d);
}
