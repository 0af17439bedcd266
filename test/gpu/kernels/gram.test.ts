// gram.wgsl against float64: the centred augmented z-block systems
// [P̃P̃ᵀ + (2/γ)SΛ_wSᵀ | P̃(U + Ξ/γ)ᵀ] and [Q̃Q̃ᵀ + TSΛ_aSᵀ | Q̃Yᵀ] (p̃ = p − m̂, S = I − m̂e_lastᵀ),
// reduced over time in segments with compensated sums.
// Tolerance: |gpu − ref| ≤ 2e-6 · Σ_t |terms| (f32 unit roundoff 6e-8 × a 16-term block sum).
import { afterEach, describe, expect, it } from 'vitest';
import { createGram } from '../../../src/backends/webgpu/kernels/gram.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { AWKWARD_SIZES, fixtureBuffers, pVec, randomFixture, type Fixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { f32, read, run, upload, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
let bufs: FixtureBuffers | undefined;
afterEach(() => bufs?.destroy());

/** A centring shift [m_h; m_x; 0] (not exactly the means: any shift must work). */
function testShift(fx: Fixture): Float64Array {
  const { r, n } = fx.dims;
  return f32(Float64Array.from({ length: r + n + 1 }, (_, i) => (i < r ? 0.4 + 0.01 * i : i < r + n ? 0.02 * (i - r) - 0.05 : 0)));
}

/** Reference system and the sums of |terms| per entry, row-major rows × cols. */
function reference(fx: Fixture, which: 'P' | 'Q', shift: Float64Array): { ref: Float64Array; mag: Float64Array; rows: number; cols: number } {
  const { T, r, m } = fx.dims;
  const l = fx.layout;
  const rows = which === 'P' ? l.K : l.Kq;
  const cols = which === 'P' ? l.Wp : l.Wq;
  const ref = new Float64Array(rows * cols);
  const mag = new Float64Array(rows * cols);
  for (let t = 0; t < T; t++) {
    const v = which === 'P' ? pVec(fx, t) : Float64Array.from([...fx.h.subarray(t * r, (t + 1) * r), 1]);
    for (let i = 0; i + 1 < v.length; i++) v[i] -= shift[i];
    const rhs = new Float64Array(cols - rows);
    for (let k = 0; k < rhs.length; k++) {
      rhs[k] = which === 'P' ? fx.u[t * r + k] + fx.xi[t * r + k] / fx.gamma : fx.y[t * m + k];
    }
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const term = v[i] * (j < rows ? v[j] : rhs[j - rows]);
        ref[i * cols + j] += term;
        mag[i * cols + j] += Math.abs(term);
      }
    }
  }
  const lam = fx.lambdas;
  const Lam = (i: number) => which === 'P'
    ? (2 / fx.gamma) * (i < r ? lam.l2 : i < r + fx.dims.n ? lam.l3 : lam.l4)
    : T * (i < r ? lam.l1 : lam.l5);
  const s = (i: number) => (i === rows - 1 ? 1 : -shift[i]);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      // S Λ Sᵀ = Λ + λ_last (s sᵀ − e_last e_lastᵀ)
      let d = Lam(rows - 1) * (s(i) * s(j) - (i === rows - 1 && j === rows - 1 ? 1 : 0));
      if (i === j) d += Lam(i);
      ref[i * cols + j] += d;
      mag[i * cols + j] += Math.abs(d);
    }
  }
  return { ref, mag, rows, cols };
}

describe.each(AWKWARD_SIZES)('gram at T=$T r=$r n=$n m=$m', (dims) => {
  it.each(['P', 'Q'] as const)('forms the %s-system and its copy', async (which) => {
    const device = ctx.gpu.device;
    const fx = randomFixture(dims, 11 + dims.T);
    bufs = fixtureBuffers(device, fx);
    const l = fx.layout;
    const off = which === 'P' ? 0 : l.sysQOff;
    const shift = testShift(fx);
    const shiftBuf = upload(device, shift, 'shift');
    const { ref, mag, rows, cols } = reference(fx, which, shift);
    const bytes = rows * cols * 4;
    const rec = await createGram(device, l, which, {
      params: bufs.params, h: bufs.h, x: bufs.x, u: bufs.u, xi: bufs.xi, y: bufs.y,
      part: which === 'P' ? bufs.partP : bufs.partQ,
      sys: { buffer: bufs.sysZ, offset: off * 4, size: bytes },
      orig: { buffer: bufs.origZ, offset: off * 4, size: bytes },
      shift: shiftBuf,
    });
    expect(rec.dispatches).toBe(2);
    await run(device, [rec]);
    const sys = await read(device, bufs.sysZ, rows * cols, off);
    const orig = await read(device, bufs.origZ, rows * cols, off);
    const err = sys.map((v, i) => Math.abs(v - ref[i]) / (mag[i] + 1e-30));
    expectAllClose(err, new Float64Array(err.length), { rtol: 0, atol: 2e-6 }, `${which}-system error / Σ|terms|`);
    expectAllClose(orig, sys, { rtol: 0, atol: 0 }, 'copy');
    shiftBuf.destroy();
  });
});

it('splits long series into several Gram segments', () => {
  const l = randomFixture(AWKWARD_SIZES[3], 1).layout;
  expect(l.nSegP).toBeGreaterThan(1);
  expect(l.nSegQ).toBeGreaterThan(1);
});
