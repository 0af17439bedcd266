// h_system.wgsl + cholesky.wgsl (factor, solve) + h_update.wgsl against float64: the h-block of §4.3,
//   D1 h_t = (2/T)Aᵀ(y_t − c) + Wᵀ(γ(u_{t+1} − V x_{t+1} − b) + ξ_{t+1}) + γσ(u_t) − ζ_t  (t < T)
//   D2 h_T = (2/T)Aᵀ(y_T − c) + γσ(u_T) − ζ_T,
// for ReLU, leaky ReLU and ELU. D ⪰ γI is well conditioned: tolerance 1e-5 of max|h|.
import { afterEach, describe, it } from 'vitest';
import { createCholesky } from '../../../src/backends/webgpu/kernels/cholesky.ts';
import { activationCode } from '../../../src/backends/webgpu/kernels/common.ts';
import { createHSystem } from '../../../src/backends/webgpu/kernels/h_system.ts';
import { createHUpdate } from '../../../src/backends/webgpu/kernels/h_update.ts';
import { activate } from '../../../src/problem/activations.ts';
import type { Activation } from '../../../src/problem/types.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { AWKWARD_SIZES, fixtureBuffers, maxAbs, randomFixture, solveSpd, type Fixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { read, run, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
let bufs: FixtureBuffers | undefined;
afterEach(() => bufs?.destroy());

function referenceH(fx: Fixture): Float64Array {
  const { T, r, n, m } = fx.dims;
  const { W, V, b, A, c } = fx.w;
  const g = fx.gamma;
  const D = (withW: boolean) => {
    const d = new Float64Array(r * r);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) {
        let s = 0;
        for (let k = 0; k < m; k++) s += A[k * r + i] * A[k * r + j];
        s *= 2 / T;
        if (withW) for (let k = 0; k < r; k++) s += g * W[k * r + i] * W[k * r + j];
        d[i * r + j] = s + (i === j ? g : 0);
      }
    }
    return d;
  };
  const D1 = D(true);
  const D2 = D(false);
  const h = new Float64Array(T * r);
  for (let t = 0; t < T; t++) {
    const rhs = new Float64Array(r);
    for (let i = 0; i < r; i++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += A[k * r + i] * (fx.y[t * m + k] - c[k]);
      rhs[i] = (2 / T) * s + g * activate(fx.act, fx.u[t * r + i]) - fx.zeta[t * r + i];
    }
    if (t + 1 < T) {
      const e = new Float64Array(r);
      for (let k = 0; k < r; k++) {
        let vx = b[k];
        for (let j = 0; j < n; j++) vx += V[k * n + j] * fx.x[(t + 1) * n + j];
        e[k] = g * (fx.u[(t + 1) * r + k] - vx) + fx.xi[(t + 1) * r + k];
      }
      for (let i = 0; i < r; i++) for (let k = 0; k < r; k++) rhs[i] += W[k * r + i] * e[k];
    }
    h.set(solveSpd(t + 1 < T ? D1 : D2, rhs, r, 1), t * r);
  }
  return h;
}

const ACTS: Activation[] = [{ kind: 'relu' }, { kind: 'leaky', omega: 0.1 }, { kind: 'elu' }];

describe.each(AWKWARD_SIZES)('h-block at T=$T r=$r n=$n m=$m', (dims) => {
  it.each(ACTS)('solves every h_t ($kind)', async (act) => {
    const device = ctx.gpu.device;
    const fx = randomFixture(dims, 3 * dims.T + dims.r, act, 2.75);
    bufs = fixtureBuffers(device, fx);
    const l = fx.layout;
    const b = bufs;
    const form = await createHSystem(device, l, b.params, b.z, b.sysH);
    const chol = await createCholesky(device, 'h-block test', [
      { off: 0, n: l.r, nrhs: l.nrhs1, outOff: l.offH1, kind: 2 },
      { off: l.sysH2Off, n: l.r, nrhs: l.nrhs2, outOff: l.offH2, kind: 3 },
    ], b.params, b.sysH, b.z);
    const upd = await createHUpdate(device, l, activationCode(act), { params: b.params, y: b.y, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, z: b.z, h: b.h });
    await run(device, [form, chol.factor, chol.solve, upd]);
    chol.descriptors.destroy();
    const ref = referenceH(fx);
    const got = await read(device, b.h, dims.T * dims.r);
    expectAllClose(got, ref, { rtol: 0, atol: 1e-5 * maxAbs(ref) }, 'h');
  });
});
