// initial_state.wgsl against float64: s^0 (u_t = W h_{t−1} + V x_t + b, h_t = σ(u_t)) for ReLU,
// leaky ReLU and ELU at awkward sizes, a hidden size past the workgroup-memory path, and a
// long series. Two checks: (1) against the float64 reference's s^0 (the CPU backend's) with a
// contracting W, where f32 and float64 trajectories stay close: |Δ| ≤ 1e-5·max|u|; (2)
// feasibility of the device's own f32 state with any W: the constraint residuals formed in
// float64 from the read-back h and u are at f32 rounding, ≤ 2e-6·max|u| per entry. (3) The
// recurrence split into chunks of a few steps (one dispatch each) gives bit-identical states.
import { afterEach, describe, expect, it } from 'vitest';
import { activationCode } from '../../../src/backends/webgpu/kernels/common.ts';
import { createInitialState } from '../../../src/backends/webgpu/kernels/initial_state.ts';
import { CpuTrial } from '../../../src/backends/cpu/cpu-trial.ts';
import { activate } from '../../../src/problem/activations.ts';
import type { Activation } from '../../../src/problem/types.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { AWKWARD_SIZES, fixtureBuffers, maxAbs, randomFixture, type Dims, type Fixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { read, run, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
let bufs: FixtureBuffers | undefined;
afterEach(() => bufs?.destroy());

const ACTIVATIONS: Activation[] = [{ kind: 'relu' }, { kind: 'leaky', omega: 0.2 }, { kind: 'elu' }];

/** Runs the kernel on a fixture (recurrence chunks of `steps`, default one chunk here); returns the device's h and u. */
async function deviceS0(fx: Fixture, steps?: number): Promise<{ h: Float64Array; u: Float64Array }> {
  const { device } = ctx.gpu;
  bufs?.destroy();
  bufs = fixtureBuffers(device, fx);
  const s0 = await createInitialState(device, fx.layout, activationCode(fx.act), {
    params: bufs.params, x: bufs.x, z: bufs.z, u: bufs.u, h: bufs.h,
  }, steps);
  const { T, r } = fx.dims;
  expect(s0.recorder.dispatches).toBe(1 + Math.ceil(T / (steps ?? T)));
  await run(device, [s0.recorder]);
  const out = { h: await read(device, bufs.h, T * r), u: await read(device, bufs.u, T * r) };
  s0.chunks.destroy();
  return out;
}

function fixture(dims: Dims, seed: number, act: Activation, wScale: number): Fixture {
  const fx = randomFixture(dims, seed, act);
  // A contracting W (‖W‖₂ < 1) keeps the f32 and float64 trajectories together over long T.
  const norm = Math.sqrt(fx.w.W.reduce((s, v) => s + v * v, 0));
  fx.w.W = Float64Array.from(fx.w.W, (v) => Math.fround((v / Math.max(norm, 1e-30)) * wScale));
  return fx;
}

const SIZES: Dims[] = [...AWKWARD_SIZES, { T: 5, r: 1100, n: 2, m: 1 }, { T: 3000, r: 3, n: 2, m: 1 }];

describe.each(ACTIVATIONS)('initial_state ($kind)', (act) => {
  it.each(SIZES)('matches the float64 recurrence at T=$T r=$r n=$n', async (dims) => {
    const fx = fixture(dims, 40 + dims.r, act, 0.8);
    const got = await deviceS0(fx, dims.T);
    const cpu = new CpuTrial();
    await cpu.load({ ...dims, x: fx.x, y: fx.y, activation: act, lambdas: fx.lambdas, mu: fx.mu }, fx.w);
    const ref = await cpu.readState();
    cpu.dispose();
    const scale = Math.max(maxAbs(ref.u), 1e-30);
    expectAllClose(got.u, ref.u, { rtol: 0, atol: 1e-5 * scale }, 'u');
    expectAllClose(got.h, ref.h, { rtol: 0, atol: 1e-5 * scale }, 'h');
  });

  it('is feasible in its own f32 arithmetic even with an expanding W', async () => {
    const dims = { T: 200, r: 17, n: 5, m: 1 };
    const fx = fixture(dims, 7, act, 3);
    const { h, u } = await deviceS0(fx, dims.T);
    const { T, r, n } = dims;
    const { W, V, b } = fx.w;
    let worst = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < r; i++) {
        let psi = b[i];
        if (t > 0) for (let j = 0; j < r; j++) psi += W[i * r + j] * h[(t - 1) * r + j];
        for (let j = 0; j < n; j++) psi += V[i * n + j] * fx.x[t * n + j];
        worst = Math.max(worst, Math.abs(u[t * r + i] - psi), Math.abs(h[t * r + i] - activate(act, u[t * r + i])));
      }
    }
    expect(Number.isFinite(worst)).toBe(true);
    expect(worst).toBeLessThanOrEqual(2e-6 * Math.max(maxAbs(u), 1));
  });
});

describe('initial_state in chunks', () => {
  it.each([
    { T: 41, r: 5, n: 3, m: 1, steps: 4 },
    { T: 7, r: 1100, n: 2, m: 1, steps: 2 },
    { T: 10, r: 3, n: 1, m: 1, steps: 1 },
  ])('gives the same state as one dispatch at T=$T r=$r, $steps steps a dispatch', async ({ steps, ...dims }) => {
    const fx = fixture(dims, 90 + dims.r, { kind: 'relu' }, 1.3);
    const whole = await deviceS0(fx, dims.T);
    const chunked = await deviceS0(fx, steps);
    expectAllClose(chunked.u, whole.u, { rtol: 0, atol: 0 }, 'u');
    expectAllClose(chunked.h, whole.h, { rtol: 0, atol: 0 }, 'h');
  });
});
