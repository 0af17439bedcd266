// The u-block of the BCD sweep (docs/method.md §4.4): each entry of u independently minimises
//   φ(u) = (γ/2)(u − θ1)² + (γ/2)(θ2 − σ(u))² + (μ/2)(u − θ3)² + λ6 u².
// ReLU and leaky ReLU have closed forms on each half-line; ELU needs a 1-D search on u ≤ 0.
import type { Activation } from '../../problem/types.ts';
import { activate } from '../../problem/activations.ts';

/** The coefficients shared by every entry in one u-update. */
export interface UCoefficients {
  gamma: number;
  mu: number;
  lambda6: number;
}

/** φ(u) for one entry. */
export function phi(act: Activation, k: UCoefficients, u: number, t1: number, t2: number, t3: number): number {
  const { gamma, mu, lambda6 } = k;
  const a = u - t1, s = t2 - activate(act, u), p = u - t3;
  return 0.5 * gamma * (a * a + s * s) + 0.5 * mu * p * p + lambda6 * u * u;
}

/** The global minimiser of φ over u ∈ R (ties between the two half-lines go to u ≥ 0). */
export function minimizeU(act: Activation, k: UCoefficients, t1: number, t2: number, t3: number): number {
  const { gamma, mu, lambda6 } = k;
  // On u ≥ 0 every supported σ is the identity, so φ is a quadratic there.
  const uPlus = Math.max(0, (gamma * t1 + gamma * t2 + mu * t3) / (2 * gamma + mu + 2 * lambda6));
  let uMinus: number;
  switch (act.kind) {
    case 'relu':
      uMinus = Math.min(0, (gamma * t1 + mu * t3) / (gamma + mu + 2 * lambda6));
      break;
    case 'leaky': {
      const w = act.omega;
      uMinus = Math.min(0, (gamma * t1 + gamma * w * t2 + mu * t3) / (gamma + gamma * w * w + mu + 2 * lambda6));
      break;
    }
    case 'elu':
      uMinus = minimizeEluNegative(k, t1, t2, t3);
      break;
  }
  return phi(act, k, uPlus, t1, t2, t3) <= phi(act, k, uMinus, t1, t2, t3) ? uPlus : uMinus;
}

/**
 * Global minimiser of φ on (−∞, 0] for ELU, σ(u) = e^u − 1. With v = e^u,
 * φ''(u) = a − γ(θ2+1)v + 2γv² (a = γ + μ + 2λ6) is a quadratic in v, so φ'' changes sign at
 * most twice: split (−∞, 0] there, minimise each convex piece by safeguarded Newton on φ'
 * (concave pieces have their minimum at an end), and compare all candidates.
 */
export function minimizeEluNegative(k: UCoefficients, t1: number, t2: number, t3: number): number {
  const { gamma, mu, lambda6 } = k;
  const a = gamma + mu + 2 * lambda6;
  const beta = gamma * (t2 + 1);
  const lin = gamma * t1 + mu * t3;
  const dphi = (u: number): number => {
    const v = Math.exp(u);
    return a * u - lin - beta * v + gamma * v * v;
  };
  const d2phi = (u: number): number => {
    const v = Math.exp(u);
    return a - beta * v + 2 * gamma * v * v;
  };
  const f = (u: number): number => {
    const s = t2 - Math.expm1(u);
    const d = u - t1, p = u - t3;
    return 0.5 * gamma * (d * d + s * s) + 0.5 * mu * p * p + lambda6 * u * u;
  };

  // Split points: roots v of 2γv² − βv + a = 0 with 0 < v < 1.
  const splits: number[] = [];
  const disc = beta * beta - 8 * gamma * a;
  if (disc > 0) {
    const sq = Math.sqrt(disc);
    for (const v of [(beta - sq) / (4 * gamma), (beta + sq) / (4 * gamma)]) {
      if (v > 0 && v < 1) splits.push(Math.log(v));
    }
  }
  splits.sort((x, y) => x - y);
  // φ' ≤ a·u − lin + |β| + γ on u ≤ 0, so φ' < 0 left of this point: a finite left end.
  const left = Math.min((lin - Math.abs(beta) - gamma) / a, splits.length ? splits[0] : 0) - 1;
  const edges = [left, ...splits, 0];

  let best = 0;
  let bestF = f(0);
  const consider = (u: number): void => {
    const fu = f(u);
    if (fu < bestF) {
      best = u;
      bestF = fu;
    }
  };
  for (const e of edges) consider(e);
  for (let p = 0; p + 1 < edges.length; p++) {
    const lo = edges[p], hi = edges[p + 1];
    const mid = 0.5 * (lo + hi);
    if (d2phi(mid) <= 0) continue; // concave piece: its minimum is at an end, already considered
    if (!(dphi(lo) < 0 && dphi(hi) > 0)) continue; // monotone piece: minimum at an end
    consider(convexRoot(dphi, d2phi, lo, hi));
  }
  return best;
}

/** Root of an increasing φ' on [lo, hi] with φ'(lo) < 0 < φ'(hi): Newton steps kept inside a shrinking bracket. */
function convexRoot(dphi: (u: number) => number, d2phi: (u: number) => number, lo: number, hi: number): number {
  let u = 0.5 * (lo + hi);
  for (let it = 0; it < 100; it++) {
    const g = dphi(u);
    if (g === 0) return u;
    if (g < 0) lo = u;
    else hi = u;
    const h = d2phi(u);
    let next = h > 0 ? u - g / h : NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - u) <= 1e-15 * (1 + Math.abs(u)) || hi - lo <= 1e-15 * (1 + Math.abs(u))) return next;
    u = next;
  }
  return u;
}

/**
 * The u-block over a whole r×T state (the plain TypeScript kernel): for every entry, with
 * θ1 = pre − ξ/γ, θ2 = h_t + ζ/γ and θ3 = the current u, u := minimizeU(θ1, θ2, θ3). U, pre, Xi,
 * Zeta are r×T feature-major; hPad holds h_0 … h_T in row i at i·S (S ≥ T + 1).
 */
export function updateUBlock(
  act: Activation, k: UCoefficients, U: Float64Array, pre: Float64Array, Xi: Float64Array, Zeta: Float64Array,
  hPad: Float64Array, S: number, r: number, T: number,
): void {
  const inv = 1 / k.gamma;
  for (let i = 0; i < r; i++) {
    for (let t = 0; t < T; t++) {
      const idx = i * T + t;
      const t1 = pre[idx] - Xi[idx] * inv;
      const t2 = hPad[i * S + t + 1] + Zeta[idx] * inv;
      U[idx] = minimizeU(act, k, t1, t2, U[idx]);
    }
  }
}
