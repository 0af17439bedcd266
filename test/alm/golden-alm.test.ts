// Parity of the ALM outer loop (multipliers, penalty rule, tolerances, warm start) with the
// independent float64 implementation: 3 outer iterations of exactly 5 sweeps each.
import { describe, expect, it } from 'vitest';
import { runAlm } from '../../src/alm/alm.ts';
import { DEFAULT_PARAMS, type AlmParams } from '../../src/alm/params.ts';
import { CpuTrial } from '../../src/backends/cpu/cpu-trial.ts';
import { CpuPoolBackend } from '../../src/backends/cpu/pool.ts';
import { TrialsBackend } from '../../src/backends/trials.ts';
import type { Problem } from '../../src/problem/types.ts';
import { expectAllClose } from '../helpers/allclose.ts';
import { flat, goldenState, goldenWeights, loadGolden } from '../helpers/golden.ts';

const golden = loadGolden();
const TOL = { rtol: 1e-9, atol: 1e-12 };

function goldenAlmProblem(): Problem {
  const { T, T1, n, m, r } = golden.sizes;
  return {
    name: 'golden-T20',
    series: { T, n, m, x: flat(golden.data.X), y: flat(golden.data.Y), inputNames: [], targetNames: [] },
    T1, r, activation: { kind: 'relu' },
  };
}

function goldenParams(outer: number, inner: number): AlmParams {
  const p = golden.params;
  return {
    ...DEFAULT_PARAMS,
    gamma0: p.gamma0, eps0: p.eps0, Gamma: p.Gamma, mu: p.mu, tau: p.tau, lambda6: golden.lambdas.l6,
    eta1: p.eta1, eta2: p.eta2, eta3: p.eta3, eta4: p.eta4, outer, inner, innerStop: 'cap',
  };
}

describe.each(['wasm', 'js'] as const)('ALM outer loop against the golden float64 run (%s kernels)', (kernels) => {
  it('reproduces alm_3x5: state, γ, ε and the per-iteration history', async () => {
    const backend = new CpuTrial({ kernels });
    const result = await runAlm(TrialsBackend.of(backend), goldenAlmProblem(), goldenParams(3, 5), goldenWeights(golden.init, golden.sizes));
    const expected = golden.alm_3x5;
    const e = goldenState(expected, golden.sizes);
    const s = await backend.readState();
    for (const key of ['W', 'V', 'b', 'A', 'c'] as const) expectAllClose(s.weights[key], e.weights[key], TOL, key);
    for (const key of ['h', 'u', 'xi', 'zeta'] as const) expectAllClose(s[key], e[key], TOL, key);
    expectAllClose(result.loopState.gamma, expected.gamma, TOL, 'γ');
    expectAllClose(result.loopState.eps, expected.eps!, TOL, 'ε');
    expectAllClose(await backend.lagrangian(result.loopState.gamma), expected.AL, TOL, 'AL');
    expectAllClose([result.trainErr, result.testErr], [expected.TrainErr, expected.TestErr], TOL, 'errors');

    const hist = golden.alm_3x5_history.slice(1);
    expect(result.history.map((h) => h.k)).toEqual(hist.map((h) => h.k));
    expect(result.history.map((h) => h.warm)).toEqual(hist.map((h) => h.warm));
    expect(result.history.map((h) => h.sweeps)).toEqual(hist.map((h) => h.inner));
    expectAllClose(result.history.map((h) => h.feasVio), hist.map((h) => h.FeasVio), TOL, 'FeasVio');
    expectAllClose(result.history.map((h) => h.trainErr), hist.map((h) => h.TrainErr), TOL, 'TrainErr');
    expectAllClose(result.history.map((h) => h.testErr), hist.map((h) => h.TestErr), TOL, 'TestErr');
    expectAllClose(result.history.map((h) => h.gammaNext), hist.map((h) => h.gamma), TOL, 'γ_k');
    expectAllClose(result.history.map((h) => h.eps), hist.map((h) => h.eps), TOL, 'ε_k');
  });

  it('a batch of one on the worker-thread pool matches it too', async () => {
    const backend = new CpuPoolBackend(2);
    try {
      const result = await runAlm(backend, goldenAlmProblem(), goldenParams(3, 5), goldenWeights(golden.init, golden.sizes));
      const e = goldenState(golden.alm_3x5, golden.sizes);
      const s = await backend.readState(0);
      for (const key of ['W', 'V', 'b', 'A', 'c'] as const) expectAllClose(s.weights[key], e.weights[key], TOL, key);
      for (const key of ['h', 'u', 'xi', 'zeta'] as const) expectAllClose(s[key], e[key], TOL, key);
      expectAllClose(result.loopState.gamma, golden.alm_3x5.gamma, TOL, 'γ');
    } finally {
      backend.dispose();
    }
  });
});
