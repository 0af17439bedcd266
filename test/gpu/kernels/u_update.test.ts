// u_update.wgsl against float64: ψ = W h_{t−1} + V x_t + b, then the u-block minimiser of
// φ(u) = (γ/2)(u − θ1)² + (γ/2)(θ2 − σ(u))² + (μ/2)(u − θ3)² + λ6u² per entry (reference: the
// CPU backend's float64 minimizeU). Tolerance: |u − ref| ≤ 1e-5(1 + |ref|); where the two
// half-line minimisers tie to within f32 rounding the GPU may pick the other one, which is
// accepted when φ(u_gpu) ≤ φ(ref) + 1e-5(1 + φ(ref)) (at most 1% of entries). Both dot-product
// modes of tile.wgsl (EXACT_DOT 0 and 2) are run.
// With RESIDUAL (createWResidual): wres = u + ξ/γ − ψ, on inputs where u + ξ/γ ≈ ψ (as near a
// solution, where the refinement uses it). Tolerance: with exact products (EXACT_DOT 2) |err| ≤ 4·2⁻²⁴ of
// |ψ| + |u| + |ξ/γ|, the rounding of the operands, not of the sum of |terms| of the dot product.
import { afterEach, describe, expect, it } from 'vitest';
import { minimizeU, phi } from '../../../src/backends/cpu/u-update.ts';
import { activationCode } from '../../../src/backends/webgpu/kernels/common.ts';
import { createUUpdate, createWResidual } from '../../../src/backends/webgpu/kernels/u_update.ts';
import type { Activation } from '../../../src/problem/types.ts';
import { AWKWARD_SIZES, fixtureBuffers, psi, randomFixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { f32, read, run, storage, useGpu } from '../../helpers/gpu.ts';

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
      const rec = await createUUpdate(device, fx.layout, activationCode(act), mode, { params: b.params, h: b.h, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, z: b.z, wres: b.uprev });
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

describe.each(AWKWARD_SIZES)('w-part data residual at T=$T r=$r n=$n m=$m', (dims) => {
  it('forms u + ξ/γ − Ψ(h)w to the rounding of its operands', async () => {
    const device = ctx.gpu.device;
    const gamma = 7;
    const fx = randomFixture(dims, 3 * dims.T + dims.r, { kind: 'relu' }, gamma);
    // Large weights so that the dot products cancel; u close to ψ − ξ/γ (a small residual).
    for (const k of ['W', 'V', 'b'] as const) fx.w[k] = f32(fx.w[k].map((v) => 40 * v));
    const ps = psi(fx);
    fx.u = f32(ps.map((v, e) => v - fx.xi[e] / gamma + 1e-3 * Math.sin(e)));
    bufs = fixtureBuffers(device, fx);
    const b = bufs;
    const wres = storage(device, dims.T * dims.r, 'wres');
    const rec = await createWResidual(device, fx.layout, 2, { params: b.params, h: b.h, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, z: b.z, wres });
    await run(device, [rec]);
    const got = await read(device, wres, dims.T * dims.r);
    const eps = 2 ** -24;
    let worst = 0;
    for (let e = 0; e < got.length; e++) {
      const ref = fx.u[e] + fx.xi[e] / gamma - ps[e];
      const scale = Math.abs(ps[e]) + Math.abs(fx.u[e]) + Math.abs(fx.xi[e] / gamma);
      worst = Math.max(worst, Math.abs(got[e] - ref) / (eps * scale + 1e-30));
    }
    expect(worst, 'max |err| / (2⁻²⁴ · (|ψ| + |u| + |ξ/γ|))').toBeLessThanOrEqual(4);
    wres.destroy();

  });
});
