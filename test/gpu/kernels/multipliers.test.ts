// multipliers.wgsl, certificate.wgsl and reduce.wgsl against float64: the per-workgroup sums
// of C1 = u − Ψ(h)w, C2 = h − σ(u), C·ξ, C·ζ, ||ξ||², ||ζ||², ||u||², the fit residual
// y − Ah − c, the weight norms, the multiplier update ξ += γC1, ζ += γC2, and the h/u part of
// the certificate. Tolerance: sums 2e-5 relative (plus 1e-9 absolute); updated ξ, ζ 1e-5 of
// max|ξ|.
import { afterEach, describe, it } from 'vitest';
import { createCertificate } from '../../../src/backends/webgpu/kernels/certificate.ts';
import { activationCode } from '../../../src/backends/webgpu/kernels/common.ts';
import { createMultipliers } from '../../../src/backends/webgpu/kernels/multipliers.ts';
import { createReduce } from '../../../src/backends/webgpu/kernels/reduce.ts';
import { NSLOT } from '../../../src/backends/webgpu/layout.ts';
import { activate } from '../../../src/problem/activations.ts';
import type { Activation } from '../../../src/problem/types.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { AWKWARD_SIZES, fixtureBuffers, maxAbs, psi, randomFixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { f32, read, run, upload, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
let bufs: FixtureBuffers | undefined;
afterEach(() => bufs?.destroy());

const sumsq = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x * x, 0);

async function slots(device: GPUDevice, out: GPUBuffer): Promise<Float64Array> {
  const raw = await read(device, out, 2 * NSLOT);
  return Float64Array.from({ length: NSLOT }, (_, i) => raw[2 * i] + raw[2 * i + 1]);
}

const ACTS: Activation[] = [{ kind: 'relu' }, { kind: 'elu' }];
const TOL = { rtol: 2e-5, atol: 1e-9 };

describe.each(AWKWARD_SIZES)('multipliers at T=$T r=$r n=$n m=$m', (dims) => {
  it.each(ACTS)('residual sums, multiplier update, certificate sums ($kind)', async (act) => {
    const device = ctx.gpu.device;
    const fx = randomFixture(dims, 7 * dims.T + dims.m, act, 1.9);
    bufs = fixtureBuffers(device, fx);
    const b = bufs;
    const { T, r, m } = dims;
    const l = fx.layout;
    const code = activationCode(act);
    const mode = 2;
    const mult = await createMultipliers(device, l, code, mode, { params: b.params, h: b.h, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, y: b.y, z: b.z, red: b.red });
    const reduce = await createReduce(device, l, b.params, b.red, b.z, b.out);

    // Reference sums.
    const ps = psi(fx);
    const c1 = fx.u.map((v, e) => v - ps[e]);
    const c2 = fx.h.map((v, e) => v - activate(act, fx.u[e]));
    const fit = new Float64Array(T * m);
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < m; k++) {
        let s = fx.w.c[k];
        for (let j = 0; j < r; j++) s += fx.w.A[k * r + j] * fx.h[t * r + j];
        fit[t * m + k] = fx.y[t * m + k] - s;
      }
    }
    const dot = (a: ArrayLike<number>, c: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * c[i], 0);
    const weights = [fx.w.A, fx.w.W, fx.w.V, fx.w.b, fx.w.c].map(sumsq);

    await run(device, [mult.stats, reduce]);
    let s = await slots(device, b.out);
    expectAllClose(
      [s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], ...s.subarray(12, 17)],
      [sumsq(c1), sumsq(c2), dot(c1, fx.xi), dot(c2, fx.zeta), sumsq(fx.xi), sumsq(fx.zeta), sumsq(fx.u), sumsq(fit), ...weights],
      TOL, 'slots 0–7, 12–16',
    );

    await run(device, [mult.statsUpdate, reduce]);
    s = await slots(device, b.out);
    const xiNew = fx.xi.map((v, e) => v + fx.gamma * c1[e]);
    const zetaNew = fx.zeta.map((v, e) => v + fx.gamma * c2[e]);
    expectAllClose(await read(device, b.xi, T * r), xiNew, { rtol: 0, atol: 1e-5 * maxAbs(xiNew) }, 'ξ updated');
    expectAllClose(await read(device, b.zeta, T * r), zetaNew, { rtol: 0, atol: 1e-5 * maxAbs(zetaNew) }, 'ζ updated');
    expectAllClose([s[4], s[5]], [sumsq(xiNew), sumsq(zetaNew)], TOL, '||ξ||², ||ζ||² after the update');

    // Certificate h/u part with a perturbed previous u.
    const uprev = f32(fx.u.map((v, e) => v + 0.01 * Math.sin(e)));
    const uprevBuf = upload(device, uprev, 'uprev');
    const cert = await createCertificate(device, l, code, mode, { params: b.params, u: b.u, uprev: uprevBuf, z: b.z, red: b.red });
    await run(device, [cert, reduce]);
    s = await slots(device, b.out);
    uprevBuf.destroy();
    let g2 = 0;
    let du2 = 0;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < r; i++) {
        const e = t * r + i;
        let g = activate(act, fx.u[e]) - activate(act, uprev[e]);
        if (t + 1 < T) for (let k = 0; k < r; k++) g += fx.w.W[k * r + i] * (fx.u[(t + 1) * r + k] - uprev[(t + 1) * r + k]);
        g2 += (fx.gamma * g) ** 2;
        du2 += (fx.u[e] - uprev[e]) ** 2;
      }
    }
    expectAllClose([s[8], s[9]], [g2, du2], { rtol: 1e-4, atol: 1e-12 }, 'certificate sums');
  });
});
