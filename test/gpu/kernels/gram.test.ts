// gram.wgsl against float64: the augmented z-block systems [PPᵀ + (2/γ)Λ_w | P(U + Ξ/γ)ᵀ] and
// [QQᵀ + TΛ_a | QYᵀ], reduced over time in segments with compensated sums.
// Tolerance: |gpu − ref| ≤ 2e-6 · Σ_t |terms| (f32 unit roundoff 6e-8 × a 16-term block sum).
import { afterEach, describe, expect, it } from 'vitest';
import { createGram } from '../../../src/backends/webgpu/kernels/gram.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { AWKWARD_SIZES, fixtureBuffers, pVec, randomFixture, type Fixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { read, run, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
let bufs: FixtureBuffers | undefined;
afterEach(() => bufs?.destroy());

/** Reference system and the sums of |terms| per entry, row-major rows × cols. */
function reference(fx: Fixture, which: 'P' | 'Q'): { ref: Float64Array; mag: Float64Array; rows: number; cols: number } {
  const { T, r, m } = fx.dims;
  const l = fx.layout;
  const rows = which === 'P' ? l.K : l.Kq;
  const cols = which === 'P' ? l.Wp : l.Wq;
  const ref = new Float64Array(rows * cols);
  const mag = new Float64Array(rows * cols);
  for (let t = 0; t < T; t++) {
    const v = which === 'P' ? pVec(fx, t) : Float64Array.from([...fx.h.subarray(t * r, (t + 1) * r), 1]);
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
  for (let i = 0; i < rows; i++) {
    const d = which === 'P'
      ? (2 / fx.gamma) * (i < r ? lam.l2 : i < r + fx.dims.n ? lam.l3 : lam.l4)
      : T * (i < r ? lam.l1 : lam.l5);
    ref[i * cols + i] += d;
    mag[i * cols + i] += d;
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
    const { ref, mag, rows, cols } = reference(fx, which);
    const bytes = rows * cols * 4;
    const rec = await createGram(device, l, which, {
      params: bufs.params, h: bufs.h, x: bufs.x, u: bufs.u, xi: bufs.xi, y: bufs.y,
      part: which === 'P' ? bufs.partP : bufs.partQ,
      sys: { buffer: bufs.sysZ, offset: off * 4, size: bytes },
      orig: { buffer: bufs.origZ, offset: off * 4, size: bytes },
    });
    expect(rec.dispatches).toBe(2);
    await run(device, [rec]);
    const sys = await read(device, bufs.sysZ, rows * cols, off);
    const orig = await read(device, bufs.origZ, rows * cols, off);
    const err = sys.map((v, i) => Math.abs(v - ref[i]) / (mag[i] + 1e-30));
    expectAllClose(err, new Float64Array(err.length), { rtol: 0, atol: 2e-6 }, `${which}-system error / Σ|terms|`);
    expectAllClose(orig, sys, { rtol: 0, atol: 0 }, 'copy');
  });
});

it('splits long series into several Gram segments', () => {
  const l = randomFixture(AWKWARD_SIZES[3], 1).layout;
  expect(l.nSegP).toBeGreaterThan(1);
  expect(l.nSegQ).toBeGreaterThan(1);
});
