// A deliberately plain, time-major implementation of the augmented Lagrangian (docs/method.md §3),
// written straight from the formulas, to check the backends' block updates independently.
import type { BcdProblem, BcdState } from '../../src/backends/backend.ts';
import { activate } from '../../src/problem/activations.ts';

/** L(s; ξ, ζ, γ) with s, ξ, ζ taken from `state`. */
export function naiveLagrangian(p: BcdProblem, s: BcdState, gamma: number): number {
  const { T, n, m, r, x, y, lambdas: l, activation } = p;
  const { W, V, b, A, c } = s.weights;
  let loss = 0, pen1 = 0, pen2 = 0, xx = 0, zz = 0, uu = 0;
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < m; k++) {
      let yh = c[k];
      for (let i = 0; i < r; i++) yh += A[k * r + i] * s.h[t * r + i];
      loss += (y[t * m + k] - yh) ** 2;
    }
    for (let i = 0; i < r; i++) {
      let psi = b[i];
      if (t > 0) for (let j = 0; j < r; j++) psi += W[i * r + j] * s.h[(t - 1) * r + j];
      for (let j = 0; j < n; j++) psi += V[i * n + j] * x[t * n + j];
      const idx = t * r + i;
      pen1 += (s.u[idx] - psi + s.xi[idx] / gamma) ** 2;
      pen2 += (s.h[idx] - activate(activation, s.u[idx]) + s.zeta[idx] / gamma) ** 2;
      xx += s.xi[idx] ** 2;
      zz += s.zeta[idx] ** 2;
      uu += s.u[idx] ** 2;
    }
  }
  const sq = (a: Float64Array): number => a.reduce((acc, v) => acc + v * v, 0);
  const R = loss / T + l.l1 * sq(A) + l.l2 * sq(W) + l.l3 * sq(V) + l.l4 * sq(b) + l.l5 * sq(c) + l.l6 * uu;
  return R + (gamma / 2) * (pen1 + pen2) - (xx + zz) / (2 * gamma);
}

/** Central-difference derivative of f at the i-th entry of arr (restores the entry). */
export function centralDifference(arr: Float64Array, i: number, h: number, f: () => number): number {
  const keep = arr[i];
  arr[i] = keep + h;
  const up = f();
  arr[i] = keep - h;
  const down = f();
  arr[i] = keep;
  return (up - down) / (2 * h);
}
