// The WebGPU backend as a whole, as a batch of one trial (Node + Dawn; SwiftShader without a
// GPU; batches of several trials: webgpu-batch.test.ts): the golden float64 states, whole ALM runs against the float64 CPU backend from the same initial point, the
// w-part solve on real (ill-conditioned) data, the state round trip, the per-sweep
// dispatch/read-back budget, and the limit check.
// Tolerances (f32 against float64): golden states after 1 and 5 sweeps 2e-5 of each array's
// max; ALM runs of a few outer iterations 1e-3 relative on TrainErr/TestErr/FeasVio and
// 2e-3 of max|w| on the weights. The w-part solve on sp500: weights within 3e-6 of max|M| of
// the float64 solve from the same f32 state (f32 rounding is 6e-8; without the refinement from
// the data the error is ~3e-5, which the test also checks, so that it can fail).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAlm, type AlmResult } from '../../src/alm/alm.ts';
import { DEFAULT_PARAMS, lambdasFor, paramsFor, type AlmParams } from '../../src/alm/params.ts';
import type { BcdBackend, BcdState } from '../../src/backends/backend.ts';
import { CpuTrial } from '../../src/backends/cpu/cpu-trial.ts';
import { TrialsBackend } from '../../src/backends/trials.ts';
import { isSoftwareAdapter, type AcquiredGpu } from '../../src/backends/webgpu/device.ts';
import { checkLimits, GpuLimitError, planLayout } from '../../src/backends/webgpu/layout.ts';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend.ts';
import { loadDataset } from '../../src/problem/datasets.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { Activation, Problem, RnnWeights } from '../../src/problem/types.ts';
import { expectAllClose } from '../helpers/allclose.ts';
import { flat, goldenProblem, goldenState, goldenWeights, loadGolden, type GoldenState } from '../helpers/golden.ts';
import { maxAbs } from '../helpers/gpu-fixture.ts';
import { sharedGpu } from '../helpers/gpu.ts';

const golden = loadGolden();
let gpu: AcquiredGpu;
let backend: WebGpuBackend;

beforeAll(async () => {
  gpu = await sharedGpu();
  backend = new WebGpuBackend(gpu.device, { adapterInfo: gpu.adapterInfo });
});
afterAll(() => {
  backend?.dispose();
});

/** |a − e| ≤ rel · max|e| element-wise, per array. */
function expectStateClose(actual: BcdState, expected: BcdState, rel: number, label: string): void {
  for (const k of ['W', 'V', 'b', 'A', 'c'] as const) {
    const e = expected.weights[k];
    expectAllClose(actual.weights[k], e, { rtol: 0, atol: rel * Math.max(maxAbs(e), 1e-12) }, `${label} ${k}`);
  }
  for (const k of ['h', 'u', 'xi', 'zeta'] as const) {
    expectAllClose(actual[k], expected[k], { rtol: 0, atol: rel * Math.max(maxAbs(expected[k]), 1e-12) }, `${label} ${k}`);
  }
}

describe('device', () => {
  it('has an adapter and reports it', () => {
    expect(gpu.device).toBeTruthy();
    expect(backend.info.kind).toBe('webgpu');
    expect(backend.info.software).toBe(isSoftwareAdapter(gpu.adapterInfo));
    expect(backend.info.description).toContain('webgpu');
  });

  it('tells software adapters', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: '', isFallback: false })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'H200', isFallback: false })).toBe(false);
    expect(isSoftwareAdapter({ vendor: 'x', architecture: '', description: '', isFallback: true })).toBe(true);
  });
});

describe('golden float64 states', () => {
  const check = async (key: 'init' | 'bcd_1' | 'bcd_5', sweeps: number) => {
    await backend.load([goldenProblem(golden)], [goldenWeights(golden.init, golden.sizes)]);
    await backend.sweep(sweeps, [golden.params.gamma0]);
    const expected: GoldenState = golden[key];
    expectStateClose(await backend.readState(0), goldenState(expected, golden.sizes), 2e-5, key);
    const [norms] = await backend.constraintNorms();
    expectAllClose([norms.c1, norms.c2], [expected.C1norm, expected.C2norm], { rtol: 1e-4, atol: 1e-6 }, `${key} ||C1||, ||C2||`);
    expectAllClose(await backend.lagrangian([expected.gamma]), [expected.AL], { rtol: 1e-5, atol: 0 }, `${key} AL`);
  };
  it('builds s^0', () => check('init', 0));
  it('matches bcd_1 after one sweep', () => check('bcd_1', 1));
  it('matches bcd_5 after five sweeps', () => check('bcd_5', 5));

  it('reproduces the golden 3×5 ALM run through runAlm', async () => {
    const { T, T1, n, m, r } = golden.sizes;
    const problem: Problem = {
      name: 'golden-T20', series: { T, n, m, x: flat(golden.data.X), y: flat(golden.data.Y), inputNames: [], targetNames: [] },
      T1, r, activation: { kind: 'relu' },
    };
    const p = golden.params;
    const params: AlmParams = {
      ...DEFAULT_PARAMS, gamma0: p.gamma0, eps0: p.eps0, Gamma: p.Gamma, mu: p.mu, tau: p.tau, lambda6: golden.lambdas.l6,
      eta1: p.eta1, eta2: p.eta2, eta3: p.eta3, eta4: p.eta4, outer: 3, inner: 5, innerStop: 'cap',
    };
    const result = await runAlm(backend, problem, params, goldenWeights(golden.init, golden.sizes));
    const e = golden.alm_3x5;
    expectStateClose(await backend.readState(0), goldenState(e, golden.sizes), 1e-4, 'alm_3x5');
    const hist = golden.alm_3x5_history.slice(1);
    expect(result.history.map((h) => h.warm)).toEqual(hist.map((h) => h.warm));
    expectAllClose(result.history.map((h) => h.gammaNext), hist.map((h) => h.gamma), { rtol: 1e-6, atol: 0 }, 'γ_k');
    expectAllClose(result.history.map((h) => h.feasVio), hist.map((h) => h.FeasVio), { rtol: 1e-4, atol: 0 }, 'FeasVio');
    expectAllClose(result.history.map((h) => h.trainErr), hist.map((h) => h.TrainErr), { rtol: 1e-4, atol: 0 }, 'TrainErr');
    expectAllClose(result.history.map((h) => h.testErr), hist.map((h) => h.TestErr), { rtol: 1e-4, atol: 0 }, 'TestErr');
  });
});

/** A random series with a recurrent teacher, T steps, 90% training. */
function randomProblem(seed: number, T: number, n: number, m: number, r: number, activation: Activation): Problem {
  const rng = new Rng(seed);
  const x = rng.fillUniform(new Float64Array(T * n), -1, 1);
  const y = new Float64Array(T * m);
  const h = new Float64Array(3);
  for (let t = 0; t < T; t++) {
    const a = Math.tanh(0.8 * h[0] + x[t * n] - 0.5 * x[t * n + n - 1]);
    h[0] = a;
    for (let k = 0; k < m; k++) y[t * m + k] = (k + 1) * a + 0.3 * x[t * n + (k % n)] + 0.05 * rng.normal();
  }
  return {
    name: `random-${seed}`, series: { T, n, m, x, y, inputNames: [], targetNames: [] },
    T1: Math.round(0.9 * T), r, activation,
  };
}

async function runBoth(problem: Problem, params: AlmParams, seed: number): Promise<[AlmResult, AlmResult, CpuTrial]> {
  const init = initializeWeights('lecun', problem.r, problem.series.n, problem.series.m, new Rng(seed));
  const cpu = new CpuTrial();
  const a = await runAlm(TrialsBackend.of(cpu), problem, params, init);
  const b = await runAlm(backend, problem, params, init);
  return [a, b, cpu];
}

describe('whole ALM runs against the float64 CPU backend', () => {
  const cases: Array<[string, Activation, number, number, number, number]> = [
    ['relu', { kind: 'relu' }, 41, 3, 2, 6],
    ['leaky', { kind: 'leaky', omega: 0.1 }, 30, 1, 1, 1],
    ['elu', { kind: 'elu' }, 53, 5, 3, 17],
  ];
  it.each(cases)('%s: 4 outer × 6 inner from the same initial point', async (_name, act, T, n, m, r) => {
    const problem = randomProblem(T + r, T, n, m, r, act);
    const params: AlmParams = { ...DEFAULT_PARAMS, outer: 4, inner: 6, checkEvery: 3 };
    const [cpuRun, gpuRun, cpu] = await runBoth(problem, params, 100 + r);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    expect(rel(gpuRun.trainErr, cpuRun.trainErr)).toBeLessThan(1e-3);
    expect(rel(gpuRun.testErr, cpuRun.testErr)).toBeLessThan(1e-3);
    expectAllClose(gpuRun.history.map((h) => h.feasVio), cpuRun.history.map((h) => h.feasVio), { rtol: 1e-3, atol: 1e-6 }, 'FeasVio');
    expectAllClose(gpuRun.history.map((h) => h.gammaNext), cpuRun.history.map((h) => h.gammaNext), { rtol: 1e-5, atol: 0 }, 'γ');
    expectStateClose(await backend.readState(0), await cpu.readState(), 2e-3, 'final state');
    const [gc] = await backend.certificate([gpuRun.loopState.gamma]);
    const cc = await cpu.certificate(cpuRun.loopState.gamma);
    expect(rel(gc, cc), `certificate ${gc} vs ${cc}`).toBeLessThan(0.05);
  });
});

describe('the w-part solve on real data', () => {
  it('refines from the data residual to near f32 rounding on sp500 (where the normal equations alone lose two digits)', async () => {
    // A state three outer iterations into the paper's sp500 run (float64), rounded to f32.
    const loaded = loadDataset('sp500', { standardize: 'whole' });
    const params = paramsFor('sp500', { tau: loaded.defaults.tau, overrides: { outer: 3, inner: 100 } });
    const { r } = loaded.defaults;
    const { n, m } = loaded.series;
    const T = loaded.T1;
    const problem: Problem = { name: 'sp500', series: loaded.series, T1: T, r, activation: { kind: 'relu' } };
    const initial = initializeWeights('lecun', r, n, m, new Rng(1));
    const cpu = new CpuTrial();
    const run = await runAlm(TrialsBackend.of(cpu), problem, params, initial);
    const gamma = run.loopState.gamma;
    const f = (a: Float64Array) => Float64Array.from(a, Math.fround);
    const s = await cpu.readState();
    const state: BcdState = {
      weights: { ...s.weights, W: f(s.weights.W), V: f(s.weights.V), b: f(s.weights.b), A: f(s.weights.A), c: f(s.weights.c) },
      h: f(s.h), u: f(s.u), xi: f(s.xi), zeta: f(s.zeta),
    };
    const bcd = {
      T, n, m, r, x: loaded.series.x.subarray(0, T * n), y: loaded.series.y.subarray(0, T * m),
      activation: problem.activation, lambdas: lambdasFor(params, r, n, m), mu: params.mu,
    };
    /** The weights after one sweep from `state` (the z-block reads h, u, ξ as written). */
    const afterSweep = async (b: BcdBackend): Promise<RnnWeights> => {
      await b.load([bcd], [initial]);
      await b.writeState(0, state);
      await b.sweep(1, [gamma]);
      return (await b.readWeights())[0];
    };
    const exact = await afterSweep(TrialsBackend.of(new CpuTrial()));
    const errorOf = (w: RnnWeights) => {
      let d = 0;
      let mx = 0;
      for (const k of ['W', 'V', 'b'] as const) {
        for (let i = 0; i < w[k].length; i++) {
          d = Math.max(d, Math.abs(w[k][i] - exact[k][i]));
          mx = Math.max(mx, Math.abs(exact[k][i]));
        }
      }
      return d / mx;
    };
    const refined = errorOf(await afterSweep(backend));
    const plain = new WebGpuBackend(gpu.device, { adapterInfo: gpu.adapterInfo, refineSteps: 0 });
    const unrefined = errorOf(await afterSweep(plain));
    plain.dispose();
    expect(unrefined, 'the problem is hard enough to need the refinement').toBeGreaterThan(1e-5);
    expect(refined, `refined ${refined} vs unrefined ${unrefined}`).toBeLessThan(3e-6);
  });
});

describe('state and budget', () => {
  it('round-trips the state, resets to s^0, and keeps multipliers on reset', async () => {
    const problem = randomProblem(3, 25, 2, 1, 3, { kind: 'relu' });
    const init = initializeWeights('he', 3, 2, 1, new Rng(4));
    const bcd = { T: problem.T1, n: 2, m: 1, r: 3, x: problem.series.x.subarray(0, problem.T1 * 2), y: problem.series.y.subarray(0, problem.T1), activation: problem.activation, lambdas: { l1: 0.1, l2: 0.1, l3: 0.1, l4: 0.1, l5: 0.1, l6: 1e-8 }, mu: 1e-7 };
    await backend.load([bcd], [init]);
    const s0 = await backend.readState(0);
    expect((await backend.certificate([1]))[0]).toBe(Infinity);
    await backend.sweep(3, [2]);
    await backend.updateMultipliers([2]);
    const s1 = await backend.readState(0);
    await backend.resetToInitial([true]);
    const s2 = await backend.readState(0);
    expectStateClose({ ...s2, xi: s1.xi, zeta: s1.zeta }, { ...s0, xi: s1.xi, zeta: s1.zeta }, 0, 's^0 after reset');
    expectAllClose(s2.xi, s1.xi, { rtol: 0, atol: 0 }, 'ξ kept on reset');
    await backend.writeState(0, s1);
    expectStateClose(await backend.readState(0), s1, 0, 'written state');
  });

  it('sweeps with at most 30 dispatches and no read-back each', async () => {
    await backend.load([goldenProblem(golden)], [goldenWeights(golden.init, golden.sizes)]);
    const before = backend.stats.readbacks;
    const dispatches = backend.stats.dispatches;
    await backend.sweep(7, [1.5]);
    expect(backend.stats.readbacks).toBe(before);
    expect(backend.stats.sweepReadbacks).toBe(0);
    expect(backend.stats.dispatchesPerSweep).toBeLessThanOrEqual(30);
    expect(backend.stats.dispatches - dispatches).toBe(7 * backend.stats.dispatchesPerSweep);
    expect(backend.stats.lastBatchSweeps).toBe(7);
  });

  it('rejects a problem beyond the device limits, naming the limit and the excess', () => {
    const l = planLayout({ T: 100_000, r: 512, n: 512, m: 128 });
    const limits = { ...gpu.device.limits, maxStorageBufferBindingSize: 128 * 1024 * 1024, maxBufferSize: 256 * 1024 * 1024 } as GPUSupportedLimits;
    let err: unknown;
    try {
      checkLimits(l, limits);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GpuLimitError);
    const e = err as GpuLimitError;
    expect(e.limit).toBe('maxStorageBufferBindingSize');
    expect(e.required).toBe(100_000 * 512 * 4);
    expect(e.message).toMatch(/maxStorageBufferBindingSize ≥ 204800000.*over by 70582272 bytes/);
    // The same problem fits the adapter's real limits when they allow 1 GiB bindings.
    if (gpu.device.limits.maxStorageBufferBindingSize >= 1 << 30) expect(() => checkLimits(l, gpu.device.limits)).not.toThrow();
  });
});
