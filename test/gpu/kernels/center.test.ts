// center.wgsl against float64: the time means of h_{t−1} (the x part of the shift is the
// host's), and the change of basis between centred solutions and weights: only the bias rows
// change, b = b̃ − Σ_j m̂_j M̃ᵀ_j and c = c̃ − Σ_j h̄_j Ñᵀ_j; `center` inverts `uncenter`.
// Tolerance: 1e-6 relative to the size of the terms.
import { afterEach, describe, expect, it } from 'vitest';
import { createCenter } from '../../../src/backends/webgpu/kernels/center.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { AWKWARD_SIZES, fixtureBuffers, maxAbs, randomFixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { f32, read, run, storage, upload, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
let bufs: FixtureBuffers | undefined;
const trash: GPUBuffer[] = [];
afterEach(() => {
  bufs?.destroy();
  trash.splice(0).forEach((b) => b.destroy());
});

describe.each(AWKWARD_SIZES)('center at T=$T r=$r n=$n m=$m', (dims) => {
  it('forms the means and changes basis both ways', async () => {
    const device = ctx.gpu.device;
    const fx = randomFixture(dims, 13 + dims.r);
    bufs = fixtureBuffers(device, fx);
    const l = fx.layout;
    const { T, r, n } = dims;
    const xbar = f32(Float64Array.from({ length: n }, (_, j) => 0.1 * j - 0.2));
    const shiftInit = new Float64Array(l.K);
    shiftInit.set(xbar, r);
    const shift = upload(device, shiftInit, 'shift');
    const xz = storage(device, l.weightsLen, 'xz');
    trash.push(shift, xz);
    const c = await createCenter(device, l, { params: bufs.params, h: bufs.h, shift, xz, z: bufs.z });
    expect(c.means.dispatches + c.uncenter.dispatches + c.center.dispatches).toBe(3);
    const z0 = await read(device, bufs.z, l.weightsLen);

    await run(device, [c.means]);
    const m = await read(device, shift, l.K);
    const hbar = new Float64Array(r);
    for (let t = 0; t + 1 < T; t++) for (let i = 0; i < r; i++) hbar[i] += fx.h[t * r + i] / T;
    expectAllClose(m.subarray(0, r), hbar, { rtol: 1e-6, atol: 1e-7 }, 'h̄');
    expectAllClose(m.subarray(r), [...xbar, 0], { rtol: 0, atol: 0 }, 'x̄ and the last entry untouched');

    // center: xz = S⁻ᵀ z, then uncenter: z = Sᵀ xz must give z back.
    await run(device, [c.center]);
    const xzv = await read(device, xz, l.weightsLen);
    const expected = z0.slice();
    const mf = f32(m);
    for (let k = 0; k < r; k++) {
      let s = 0;
      for (let j = 0; j < l.K - 1; j++) s += mf[j] * z0[j * r + k];
      expected[(l.K - 1) * r + k] += s;
    }
    for (let k = 0; k < dims.m; k++) {
      let s = 0;
      for (let j = 0; j < r; j++) s += mf[j] * z0[l.offN + j * dims.m + k];
      expected[l.offN + r * dims.m + k] += s;
    }
    expectAllClose(xzv, expected, { rtol: 0, atol: 1e-6 * (1 + maxAbs(expected)) }, 'center');
    await run(device, [c.uncenter]);
    expectAllClose(await read(device, bufs.z, l.weightsLen), z0, { rtol: 0, atol: 2e-6 * (1 + maxAbs(expected)) }, 'uncenter ∘ center');
  });
});
