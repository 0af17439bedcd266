// Parity of the CPU backend's BCD sweeps with the independent float64 implementation.
import { describe, it } from 'vitest';
import { CpuTrial } from '../../../src/backends/cpu/cpu-trial.ts';
import type { BcdState } from '../../../src/backends/backend.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { goldenProblem, goldenState, goldenWeights, loadGolden, type GoldenState } from '../../helpers/golden.ts';

const golden = loadGolden();
const TOL = { rtol: 1e-9, atol: 1e-12 };

function expectStateMatches(actual: BcdState, expected: GoldenState): void {
  const e = goldenState(expected, golden.sizes);
  for (const key of ['W', 'V', 'b', 'A', 'c'] as const) expectAllClose(actual.weights[key], e.weights[key], TOL, key);
  for (const key of ['h', 'u', 'xi', 'zeta'] as const) expectAllClose(actual[key], e[key], TOL, key);
}

describe.each(['wasm', 'js'] as const)('CPU backend against the golden float64 states (%s kernels)', (kernels) => {
  it('builds the feasible s^0 of the golden file', async () => {
    const be = new CpuTrial({ kernels });
    await be.load(goldenProblem(golden), goldenWeights(golden.init, golden.sizes));
    expectStateMatches(await be.readState(), golden.init);
    const norms = await be.constraintNorms();
    expectAllClose([norms.c1, norms.c2], [0, 0], { rtol: 0, atol: 1e-14 }, 'C(s^0)');
    expectAllClose(await be.lagrangian(golden.init.gamma), golden.init.AL, TOL, 'AL');
  });

  for (const [key, sweeps] of [['bcd_1', 1], ['bcd_5', 5]] as const) {
    it(`matches ${key} after ${sweeps} sweep(s) at γ0`, async () => {
      const be = new CpuTrial({ kernels });
      await be.load(goldenProblem(golden), goldenWeights(golden.init, golden.sizes));
      await be.sweep(sweeps, golden.params.gamma0);
      const expected = golden[key];
      expectStateMatches(await be.readState(), expected);
      const norms = await be.constraintNorms();
      expectAllClose([norms.c1, norms.c2], [expected.C1norm, expected.C2norm], TOL, 'constraint norms');
      expectAllClose(await be.lagrangian(expected.gamma), expected.AL, TOL, 'AL');
    });
  }
});
