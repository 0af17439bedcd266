import { describe, expect, it } from 'vitest';
import {
  bpttLossAndGradient, bpttWindow, createBpttWorkspace, globalNorm, hiddenStateAt, regularization, type Lambdas,
} from '../../src/baselines/bptt.ts';
import { evaluate, forward, meanSquaredError } from '../../src/problem/model.ts';
import { cloneWeights, type Activation, type RnnWeights, type Series } from '../../src/problem/types.ts';
import { randomProblem, randomWeights } from './helpers.ts';
import { maxRelativeDifference } from '../helpers/allclose.ts';

const ACTIVATIONS: Activation[] = [{ kind: 'relu' }, { kind: 'leaky', omega: 0.1 }, { kind: 'elu' }];
const KEYS = ['W', 'V', 'b', 'A', 'c'] as const;
const LAMBDAS: Lambdas = { A: 0.03, W: 0.02, V: 0.05, b: 0.01, c: 0.04 };

/** Smallest |u_t,i| over steps [0, steps) of the forward run from h_0 = 0. */
function minAbsPreactivation(w: RnnWeights, act: Activation, s: Series, steps: number): number {
  const { h } = forward(w, act, s.x, steps);
  let min = Infinity;
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < w.r; i++) {
      let u = w.b[i];
      for (let j = 0; j < w.r; j++) u += t > 0 ? w.W[i * w.r + j] * h[(t - 1) * w.r + j] : 0;
      for (let j = 0; j < w.n; j++) u += w.V[i * w.n + j] * s.x[t * w.n + j];
      min = Math.min(min, Math.abs(u));
    }
  }
  return min;
}

/** Central-difference gradient of `loss` with respect to every weight entry. */
function finiteDifference(w: RnnWeights, loss: (w: RnnWeights) => number, step: number): RnnWeights {
  const g = cloneWeights(w);
  const probe = cloneWeights(w);
  for (const k of KEYS) {
    for (let i = 0; i < probe[k].length; i++) {
      const v = probe[k][i];
      probe[k][i] = v + step;
      const up = loss(probe);
      probe[k][i] = v - step;
      const down = loss(probe);
      probe[k][i] = v;
      g[k][i] = (up - down) / (2 * step);
    }
  }
  return g;
}

/** max_i |a_i − b_i| / max(|b_i|, floor·||b||∞) over all entries. */
function maxRelativeError(a: RnnWeights, b: RnnWeights, floor = 1e-3): number {
  let scale = 0;
  for (const k of KEYS) for (const v of b[k]) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (const k of KEYS) {
    for (let i = 0; i < a[k].length; i++) {
      worst = Math.max(worst, Math.abs(a[k][i] - b[k][i]) / Math.max(Math.abs(b[k][i]), floor * scale));
    }
  }
  return worst;
}

describe.each(ACTIVATIONS)('BPTT gradient, activation $kind', (act) => {
  const [r, n, m, T, T1] = [4, 3, 2, 14, 12];
  // Pick a problem whose pre-activations keep away from the kink at 0 (ReLU, leaky ReLU) by
  // far more than the finite-difference step can move them.
  let seed = 1;
  let problem = randomProblem(T, T1, n, m, r, act, seed);
  let w = randomWeights(r, n, m, 0.6, seed + 100);
  while (act.kind !== 'elu' && minAbsPreactivation(w, act, problem.series, T1) < 2e-3) {
    seed++;
    problem = randomProblem(T, T1, n, m, r, act, seed);
    w = randomWeights(r, n, m, 0.6, seed + 100);
  }
  const { x, y } = problem.series;
  const step = 1e-5;

  it('full-batch loss equals TrainErr plus the λ terms', () => {
    expect(bpttLossAndGradient(w, act, x, y, T1).loss).toBeCloseTo(evaluate(w, problem).trainErr, 13);
    const reg = regularization(w, LAMBDAS);
    expect(reg).toBeGreaterThan(0);
    expect(bpttLossAndGradient(w, act, x, y, T1, LAMBDAS).loss).toBeCloseTo(evaluate(w, problem).trainErr + reg, 13);
  });

  it('full-batch gradient matches central differences (relative error ≤ 1e-6)', () => {
    for (const lambdas of [undefined, LAMBDAS]) {
      const { grad } = bpttLossAndGradient(w, act, x, y, T1, lambdas);
      const fd = finiteDifference(w, (p) => bpttLossAndGradient(p, act, x, y, T1, lambdas).loss, step);
      expect(globalNorm(grad)).toBeGreaterThan(0.1);
      expect(maxRelativeError(grad, fd)).toBeLessThan(1e-6);
    }
  });

  it('windowed gradient (carried-in state held constant) matches central differences', () => {
    const [from, to] = [5, 11];
    const h0 = hiddenStateAt(w, act, x, from, new Float64Array(r), new Float64Array(r));
    const { loss, grad } = bpttWindow(w, act, x, y, from, to, h0, LAMBDAS);
    // The carried-in state is the exact one, so the window's loss is the plain forward pass's.
    const { yHat } = forward(w, act, x, T);
    expect(loss).toBeCloseTo(meanSquaredError(y, yHat, m, from, to) + regularization(w, LAMBDAS), 13);
    const fd = finiteDifference(w, (p) => bpttWindow(p, act, x, y, from, to, h0, LAMBDAS).loss, step);
    expect(maxRelativeError(grad, fd)).toBeLessThan(1e-6);
  });

  it('reuses a workspace and an output gradient without changing the result', () => {
    const ws = createBpttWorkspace(r, n, m, T1);
    const out = randomWeights(r, n, m, 5, 7); // garbage that must be overwritten
    const fresh = bpttLossAndGradient(w, act, x, y, T1, LAMBDAS);
    bpttWindow(w, act, x, y, 2, 6, null, LAMBDAS, out, ws); // dirty the workspace
    const again = bpttLossAndGradient(w, act, x, y, T1, LAMBDAS, out, ws);
    expect(again.grad).toBe(out);
    expect(again.loss).toBe(fresh.loss);
    for (const k of KEYS) expect(Array.from(out[k])).toEqual(Array.from(fresh.grad[k]));
  });
});

describe('hiddenStateAt', () => {
  it('equals the forward pass state after any number of steps', () => {
    const act: Activation = { kind: 'elu' };
    const p = randomProblem(9, 8, 3, 2, 5, act, 3);
    const w = randomWeights(5, 3, 2, 0.5, 4);
    const { h } = forward(w, act, p.series.x, 9);
    const out = new Float64Array(5);
    const tmp = new Float64Array(5);
    expect(Array.from(hiddenStateAt(w, act, p.series.x, 0, out, tmp))).toEqual([0, 0, 0, 0, 0]);
    for (const steps of [1, 2, 5, 9]) {
      expect(Array.from(hiddenStateAt(w, act, p.series.x, steps, out, tmp))).toEqual(Array.from(h.subarray((steps - 1) * 5, steps * 5)));
    }
  });

  it('rejects a workspace that is too small', () => {
    const p = randomProblem(9, 8, 3, 2, 5, { kind: 'relu' }, 3);
    const w = randomWeights(5, 3, 2, 0.5, 4);
    expect(() => bpttLossAndGradient(w, { kind: 'relu' }, p.series.x, p.series.y, 8, undefined, undefined, createBpttWorkspace(5, 3, 2, 4)))
      .toThrow(/workspace/);
  });
});

describe.each(ACTIVATIONS)('BPTT on wasm against js kernels, activation $kind', (act) => {
  // Odd sizes exercise every SIMD tail; the wasm kernel sums over time in another order.
  const [r, n, m, T, T1] = [13, 5, 3, 101, 97];
  const problem = randomProblem(T, T1, n, m, r, act, 9);
  const w = randomWeights(r, n, m, 0.4, 19);
  const { x, y } = problem.series;

  it('full batch and a window agree to 1e-13 relative per array, and each is deterministic', () => {
    const wsJs = createBpttWorkspace(r, n, m, T1, 'js');
    const wsWasm = createBpttWorkspace(r, n, m, T1, 'wasm');
    expect([wsJs.kernels, wsWasm.kernels]).toEqual(['js', 'wasm']);
    const h0 = hiddenStateAt(w, act, x, 40, new Float64Array(r), new Float64Array(r));
    for (const [from, to, start] of [[0, T1, null], [40, 71, h0]] as const) {
      const js = bpttWindow(w, act, x, y, from, to, start, LAMBDAS, undefined, wsJs);
      const wasm = bpttWindow(w, act, x, y, from, to, start, LAMBDAS, undefined, wsWasm);
      const again = bpttWindow(w, act, x, y, from, to, start, LAMBDAS, undefined, wsWasm);
      expect(Math.abs(wasm.loss - js.loss) / js.loss, 'loss').toBeLessThan(1e-13);
      for (const k of KEYS) {
        const rel = maxRelativeDifference(wasm.grad[k], js.grad[k]);
        expect(rel, `∂L/∂${k} (${from}..${to})`).toBeLessThan(1e-13);
        expect(Array.from(again.grad[k]), `∂L/∂${k} again`).toEqual(Array.from(wasm.grad[k]));
      }
    }
  });
});
