// u_update.wgsl against float64: ψ = W h_{t−1} + V x_t + b, then the u-block minimiser of
// φ(u) = (γ/2)(u − θ1)² + (γ/2)(θ2 − σ(u))² + (μ/2)(u − θ3)² + λ6u² per entry (reference: the
// CPU backend's float64 minimizeU). Tolerance: |u − ref| ≤ 1e-5(1 + |ref|); where the two
// half-line minimisers tie to within f32 rounding the GPU may pick the other one, which is
// accepted when φ(u_gpu) ≤ φ(ref) + 1e-5(1 + φ(ref)) (at most 1% of entries). Both dot-product
// modes of tile.wgsl (EXACT_DOT 0 and 2) are run.
import { afterEach, describe, expect, it } from 'vitest';
import { minimizeU, phi } from '../../../src/backends/cpu/u-update.ts';
import { activationCode } from '../../../src/backends/webgpu/kernels/common.ts';
import { createUUpdate } from '../../../src/backends/webgpu/kernels/u_update.ts';
import type { Activation } from '../../../src/problem/types.ts';
import { AWKWARD_SIZES, fixtureBuffers, psi, randomFixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { read, run, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
let bufs: FixtureBuffers | undefined;
afterEach(() => bufs?.destroy());

const ACTS: Activation[] = [{ kind: 'relu' }, { kind: 'leaky', omega: 0.2 }, { kind: 'elu' }];

describe.each(AWKWARD_SIZES)('u-update at T=$T r=$r n=$n m=$m', (dims) => {
  it.each(ACTS)('minimises φ entry-wise ($kind), fast and exact dot products', async (act) => {
    const device = ctx.gpu.device;
    for (const [gamma, mode] of [[0.7, 0], [40, 0], [3, 2]] as const) {
      const fx = randomFixture(dims, 5 * dims.T + dims.n, act, gamma);
      bufs?.destroy();
      bufs = fixtureBuffers(device, fx);
      const b = bufs;
      const rec = await createUUpdate(device, fx.layout, activationCode(act), mode, { params: b.params, h: b.h, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, z: b.z });
      await run(device, [rec]);
      const got = await read(device, b.u, dims.T * dims.r);
      const ps = psi(fx);
      const k = { gamma, mu: fx.mu, lambda6: fx.lambdas.l6 };
      let flips = 0;
      for (let e = 0; e < got.length; e++) {
        const t1 = ps[e] - fx.xi[e] / gamma;
        const t2 = fx.h[e] + fx.zeta[e] / gamma;
        const t3 = fx.u[e];
        const ref = minimizeU(act, k, t1, t2, t3);
        if (Math.abs(got[e] - ref) <= 1e-5 * (1 + Math.abs(ref))) continue;
        const fr = phi(act, k, ref, t1, t2, t3);
        const fg = phi(act, k, got[e], t1, t2, t3);
        expect(fg, `entry ${e}: u ${got[e]} vs ${ref}, φ ${fg} vs ${fr}`).toBeLessThanOrEqual(fr + 1e-5 * (1 + fr));
        flips++;
      }
      expect(flips).toBeLessThanOrEqual(Math.ceil(0.01 * got.length));
    }
  });
});
