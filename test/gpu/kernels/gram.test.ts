// gram.wgsl against float64: the centred augmented z-block systems
// [P̃P̃ᵀ + (2/γ)SΛ_wSᵀ | P̃(U + Ξ/γ)ᵀ] and [Q̃Q̃ᵀ + TSΛ_aSᵀ | Q̃Yᵀ] (p̃ = p − m̂, S = I − m̂e_lastᵀ),
// reduced over time in segments with compensated sums, and the P-system's refinement
// right-hand side from the data, P̃Eᵀ − (2/γ)SΛ_wSᵀX (WHICH 2).
// Tolerance: |gpu − ref| ≤ 2e-6 · Σ |terms| (f32 unit roundoff 6e-8 × a 16-term block sum).
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
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      const d = regulariser(fx, which, shift, i, j);
      ref[i * cols + j] += d;
      mag[i * cols + j] += Math.abs(d);
    }
  }
  return { ref, mag, rows, cols };
}

/** Entry (i, j) of the system's regulariser S Λ Sᵀ = Λ + λ_last (s sᵀ − e_last e_lastᵀ), s = [−m̂; 1]. */
function regulariser(fx: Fixture, which: 'P' | 'Q', shift: Float64Array, i: number, j: number): number {
  const { T, r, n } = fx.dims;
  const rows = which === 'P' ? r + n + 1 : r + 1;
  const lam = fx.lambdas;
  const Lam = (q: number) => which === 'P'
    ? (2 / fx.gamma) * (q < r ? lam.l2 : q < r + n ? lam.l3 : lam.l4)
    : T * (q < r ? lam.l1 : lam.l5);
  const s = (q: number) => (q === rows - 1 ? 1 : -shift[q]);
  let d = Lam(rows - 1) * (s(i) * s(j) - (i === rows - 1 && j === rows - 1 ? 1 : 0));
  if (i === j) d += Lam(i);
  return d;
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
      shift: shiftBuf, wres: bufs.uprev, xz: bufs.z,
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

describe.each(AWKWARD_SIZES)('gram P-residual at T=$T r=$r n=$n m=$m', (dims) => {
  it('forms P̃Eᵀ − (2/γ)SΛ_wSᵀX in the right-hand-side columns, leaving the factor alone', async () => {
    const device = ctx.gpu.device;
    const fx = randomFixture(dims, 29 + dims.T);
    bufs = fixtureBuffers(device, fx);
    const l = fx.layout;
    const { T, r } = dims;
    const K = l.K;
    const shift = testShift(fx);
    const E = f32(Float64Array.from({ length: T * r }, (_, i) => Math.sin(1.7 * i + 0.3) * 1e-2));
    const X = f32(Float64Array.from({ length: l.weightsLen }, (_, i) => Math.cos(0.9 * i) * 0.7));
    const sentinel = f32(Float64Array.from({ length: l.sysZLen }, (_, i) => 1000 + i));
    const bShift = upload(device, shift, 'shift');
    const bE = upload(device, E, 'E');
    const bX = upload(device, X, 'xz');
    const sysZ = upload(device, sentinel, 'sysZ');
    const bytes = K * l.Wp * 4;
    const rec = await createGram(device, l, 'P-residual', {
      params: bufs.params, h: bufs.h, x: bufs.x, u: bufs.u, xi: bufs.xi, y: bufs.y, part: bufs.partP,
      sys: { buffer: sysZ, offset: 0, size: bytes }, orig: { buffer: bufs.origZ, offset: 0, size: bytes },
      shift: bShift, wres: bE, xz: bX,
    });
    await run(device, [rec]);
    const got = await read(device, sysZ, l.sysZLen);
    // Reference: R̃ = P̃Eᵀ − (2/γ)SΛ_wSᵀX in float64.
    const pt = Array.from({ length: T }, (_, t) => pVec(fx, t).map((v, i) => (i + 1 < K ? v - shift[i] : 1)));
    const err: number[] = [];
    for (let i = 0; i < K; i++) {
      for (let k = 0; k < r; k++) {
        let v = 0;
        let mag = 0;
        for (let t = 0; t < T; t++) {
          v += pt[t][i] * E[t * r + k];
          mag += Math.abs(pt[t][i] * E[t * r + k]);
        }
        for (let j = 0; j < K; j++) {
          const g = regulariser(fx, 'P', shift, i, j) * X[j * r + k];
          v -= g;
          mag += Math.abs(g);
        }
        err.push(Math.abs(got[i * l.Wp + K + k] - v) / (mag + 1e-30));
      }
    }
    expectAllClose(Float64Array.from(err), new Float64Array(err.length), { rtol: 0, atol: 2e-6 }, 'P-residual error / Σ|terms|');
    // The factor's part of the system and the Q-system are not touched.
    for (let i = 0; i < l.sysZLen; i++) {
      const inB = i < K * l.Wp && i % l.Wp >= K;
      if (!inB && got[i] !== sentinel[i]) throw new Error(`entry ${i} outside the P right-hand side was written`);
    }
    for (const b of [bShift, bE, bX, sysZ]) b.destroy();
  });
});

it('splits long series into several Gram segments', () => {
  const l = randomFixture(AWKWARD_SIZES[3], 1).layout;
  expect(l.nSegP).toBeGreaterThan(1);
  expect(l.nSegQ).toBeGreaterThan(1);
});
