// Each closed-form block update is the exact minimiser of L in its block (docs/method.md §4), and
// L never increases across a sweep. L is checked with an independent, plain implementation.
import { describe, expect, it } from 'vitest';
import type { BcdProblem, BcdState } from '../../../src/backends/backend.ts';
import { CpuTrial } from '../../../src/backends/cpu/cpu-trial.ts';
import { lambdasFor } from '../../../src/alm/params.ts';
import { Rng } from '../../../src/problem/rng.ts';
import type { Activation } from '../../../src/problem/types.ts';
import { initializeWeights } from '../../../src/problem/init.ts';
import { centralDifference, naiveLagrangian } from '../../helpers/naive-lagrangian.ts';

const ACTIVATIONS: Activation[] = [{ kind: 'relu' }, { kind: 'leaky', omega: 0.2 }, { kind: 'elu' }];

/** A random problem with odd sizes, plus nonzero multipliers so every term of L is exercised. */
async function setup(act: Activation, seed = 3): Promise<{ be: CpuTrial; p: BcdProblem; gamma: number }> {
  const rng = new Rng(seed);
  const T = 13, n = 3, m = 2, r = 5;
  const p: BcdProblem = {
    T, n, m, r,
    x: rng.fillUniform(new Float64Array(T * n), -1, 1),
    y: rng.fillNormal(new Float64Array(T * m), 1),
    activation: act,
    lambdas: lambdasFor({ tau: 0.7, lambda6: 1e-3 }, r, n, m),
    mu: 0.05,
  };
  const be = new CpuTrial();
  await be.load(p, initializeWeights('normal-1e-1', r, n, m, rng));
  const gamma = 2.5;
  await be.sweep(2, gamma);
  await be.updateMultipliers(gamma);
  await be.sweep(1, gamma);
  return { be, p, gamma };
}

describe.each(ACTIVATIONS)('CPU block updates ($kind)', (act) => {
  it('z-block: ∇_W, ∇_V, ∇_b, ∇_A, ∇_c of L vanish after updateZ', async () => {
    const { be, p, gamma } = await setup(act);
    be.updateZ(gamma);
    const s = await be.readState();
    const L = (): number => naiveLagrangian(p, s, gamma);
    for (const key of ['W', 'V', 'b', 'A', 'c'] as const) {
      const arr = s.weights[key];
      for (let i = 0; i < arr.length; i++) {
        // L is quadratic in z, so central differences are exact up to rounding.
        expect(Math.abs(centralDifference(arr, i, 1e-3, L)), `${key}[${i}]`).toBeLessThan(1e-8);
      }
    }
  });

  it('h-block: ∇_h L vanishes after updateH', async () => {
    const { be, p, gamma } = await setup(act);
    be.updateZ(gamma);
    be.updateH(gamma);
    const s = await be.readState();
    const L = (): number => naiveLagrangian(p, s, gamma);
    for (let i = 0; i < s.h.length; i++) {
      expect(Math.abs(centralDifference(s.h, i, 1e-3, L)), `h[${i}]`).toBeLessThan(1e-8);
    }
  });

  it('u-block: no perturbation of a u entry lowers L + (μ/2)||u − u_prev||²', async () => {
    const { be, p, gamma } = await setup(act);
    be.updateZ(gamma);
    be.updateH(gamma);
    const before = (await be.readState()).u.slice();
    be.updateU(gamma);
    const s = await be.readState();
    const phi = (): number => {
      let prox = 0;
      for (let i = 0; i < s.u.length; i++) prox += (s.u[i] - before[i]) ** 2;
      return naiveLagrangian(p, s, gamma) + (p.mu / 2) * prox;
    };
    const base = phi();
    for (let i = 0; i < s.u.length; i++) {
      const keep = s.u[i];
      for (const d of [-1, -0.1, -1e-3, -1e-6, 1e-6, 1e-3, 0.1, 1, -keep]) {
        s.u[i] = keep + d;
        expect(phi(), `u[${i}] + ${d}`).toBeGreaterThanOrEqual(base - 1e-12 * Math.abs(base));
      }
      s.u[i] = keep;
    }
  });

  it('L does not increase across the blocks of 20 sweeps', async () => {
    const { be, p, gamma } = await setup(act, 11);
    let last = naiveLagrangian(p, await be.readState(), gamma);
    for (let sweep = 0; sweep < 20; sweep++) {
      for (const block of [() => be.updateZ(gamma), () => be.updateH(gamma), () => be.updateU(gamma)]) {
        block();
        const now = naiveLagrangian(p, await be.readState(), gamma);
        expect(now).toBeLessThanOrEqual(last + 1e-12 * Math.abs(last));
        last = now;
      }
    }
    expect(await be.lagrangian(gamma)).toBeCloseTo(last, 10);
  });
});

describe('the K×K reduction of the w-block', () => {
  it('gives the same (W, V, b) as solving the paper’s Nw×Nw system directly', async () => {
    const { be, p, gamma } = await setup({ kind: 'relu' });
    const s0: BcdState = await be.readState();
    be.updateZ(gamma);
    const got = (await be.readState()).weights;
    const { T, n, r } = p;
    const Nw = r * r + r * n + r;
    // Ψ(h) is (rT)×Nw with w = [vec_row(W); vec_row(V); b]: row (t, i) holds h_{t−1}, x_t, 1 in block i.
    const lhs = new Float64Array(Nw * Nw), rhs = new Float64Array(Nw);
    const row = new Float64Array(Nw);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < r; i++) {
        row.fill(0);
        for (let j = 0; j < r; j++) row[i * r + j] = t > 0 ? s0.h[(t - 1) * r + j] : 0;
        for (let j = 0; j < n; j++) row[r * r + i * n + j] = p.x[t * n + j];
        row[r * r + r * n + i] = 1;
        const target = gamma * s0.u[t * r + i] + s0.xi[t * r + i];
        for (let a = 0; a < Nw; a++) {
          if (row[a] === 0) continue;
          rhs[a] += row[a] * target;
          for (let c = 0; c < Nw; c++) lhs[a * Nw + c] += gamma * row[a] * row[c];
        }
      }
    }
    const { l2, l3, l4 } = p.lambdas;
    for (let a = 0; a < Nw; a++) lhs[a * Nw + a] += 2 * (a < r * r ? l2 : a < r * r + r * n ? l3 : l4);
    const w = gaussSolve(lhs, rhs, Nw);
    const expected = [...got.W, ...got.V, ...got.b];
    for (let a = 0; a < Nw; a++) expect(expected[a]).toBeCloseTo(w[a], 10);
  });
});

/** Dense Gaussian elimination with partial pivoting (independent of the backend's Cholesky). */
function gaussSolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const M = a.slice(), x = b.slice();
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let i = col + 1; i < n; i++) if (Math.abs(M[i * n + col]) > Math.abs(M[piv * n + col])) piv = i;
    if (piv !== col) {
      for (let j = 0; j < n; j++) [M[col * n + j], M[piv * n + j]] = [M[piv * n + j], M[col * n + j]];
      [x[col], x[piv]] = [x[piv], x[col]];
    }
    for (let i = col + 1; i < n; i++) {
      const f = M[i * n + col] / M[col * n + col];
      if (f === 0) continue;
      for (let j = col; j < n; j++) M[i * n + j] -= f * M[col * n + j];
      x[i] -= f * x[col];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let j = i + 1; j < n; j++) s -= M[i * n + j] * x[j];
    x[i] = s / M[i * n + i];
  }
  return x;
}

describe('the ∂L certificate (docs/method.md §4.5)', () => {
  it('equals ||(∇_z L(s^j), ∇_h L(s^j), −μ(u^j − u^{j−1}))|| computed independently', async () => {
    const { be, p, gamma } = await setup({ kind: 'leaky', omega: 0.3 });
    be.updateZ(gamma);
    be.updateH(gamma);
    const uPrev = (await be.readState()).u.slice();
    be.updateU(gamma);
    const s = await be.readState();
    const L = (): number => naiveLagrangian(p, s, gamma);
    let total = 0;
    for (const arr of [s.weights.W, s.weights.V, s.weights.b, s.weights.A, s.weights.c, s.h]) {
      for (let i = 0; i < arr.length; i++) total += centralDifference(arr, i, 1e-4, L) ** 2;
    }
    for (let i = 0; i < s.u.length; i++) total += (p.mu * (s.u[i] - uPrev[i])) ** 2;
    const cert = await be.certificate(gamma);
    expect(cert).toBeGreaterThan(1e-6);
    expect(Math.abs(cert - Math.sqrt(total)) / cert).toBeLessThan(1e-6);
  });

  it('tends to 0 as sweeps at fixed γ and multipliers converge', async () => {
    // BCD converges slowly on this non-convex problem (about 30× in 1000 sweeps here).
    const { be, gamma } = await setup({ kind: 'leaky', omega: 0.3 }, 5);
    await be.sweep(1, gamma);
    const early = await be.certificate(gamma);
    await be.sweep(1000, gamma);
    const late = await be.certificate(gamma);
    expect(late).toBeLessThan(early / 10);
  });
});
