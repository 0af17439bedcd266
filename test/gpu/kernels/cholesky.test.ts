// cholesky.wgsl and refine.wgsl against float64: the factorisation (L below the diagonal, Lᵀ
// mirrored above it, B untouched) and the triangular solves of several augmented SPD systems of
// different sizes in one dispatch (n = 1 … 257 and 1025, right-hand sides 1 … 449), with the columns
// split into workgroups both ways the backend does ('wide' for a GPU, 'narrow' for a software
// adapter), the global-memory paths (forced by a small workgroup-memory budget), a 2-D solve
// grid (forced by a short grid row), the TINY pivot guard, the re-solve that adds a correction, and the residual kernel.
// Tolerances: well-conditioned systems (eigenvalues in about [1, 17]); the f32 factor must match
// the float64 one within 1e-6·max|L|·√(n/32) (at least 1e-6·max|L|) and the solution the float64
// one within 3e-6·max|X|·√(n/32) (at least 3e-6·max|X|): f32 rounding grows like √n over n
// steps. Measured: at most 0.08 and 0.2 of these bounds.
import { afterEach, describe, expect, it } from 'vitest';
import { createCholesky, planSolves, type SolvePlanOptions, type SpdSystem } from '../../../src/backends/webgpu/kernels/cholesky.ts';
import { createRefine } from '../../../src/backends/webgpu/kernels/refine.ts';
import { packParams } from '../../../src/backends/webgpu/kernels/common.ts';
import { planLayout, SOLVE_FLOATS, WORKGROUP_BYTES } from '../../../src/backends/webgpu/layout.ts';
import { Rng } from '../../../src/problem/rng.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { maxAbs, solveSpd } from '../../helpers/gpu-fixture.ts';
import { f32, read, run, storage, uniform, upload, useGpu, withErrorScope } from '../../helpers/gpu.ts';

const ctx = useGpu();
const trash: GPUBuffer[] = [];
afterEach(() => trash.splice(0).forEach((b) => b.destroy()));

const NO_LAMBDAS = { l1: 0, l2: 0, l3: 0, l4: 0, l5: 0, l6: 0 };

/** A random SPD n×n matrix with eigenvalues in about [1, 17], and an n×k right-hand side. */
function randomSystem(rng: Rng, n: number, k: number): { A: Float64Array; B: Float64Array } {
  const G = rng.fillNormal(new Float64Array(n * n), 1);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let q = 0; q < n; q++) s += G[i * n + q] * G[j * n + q];
      A[i * n + j] = A[j * n + i] = (4 * s) / n + (i === j ? 1 : 0);
    }
  }
  return { A: f32(A), B: f32(rng.fillNormal(new Float64Array(n * k), 1)) };
}

function augment(A: Float64Array, B: Float64Array, n: number, k: number): Float64Array {
  const out = new Float64Array(n * (n + k));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) out[i * (n + k) + j] = A[i * n + j];
    for (let c = 0; c < k; c++) out[i * (n + k) + n + c] = B[i * k + c];
  }
  return out;
}

/** The float64 Cholesky factor (lower triangle, zeros above). */
function factor64(A: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let q = 0; q < j; q++) d -= L[j * n + q] ** 2;
    L[j * n + j] = Math.sqrt(d);
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let q = 0; q < j; q++) s -= L[i * n + q] * L[j * n + q];
      L[i * n + j] = s / L[j * n + j];
    }
  }
  return L;
}

const growth = (n: number) => Math.max(1, Math.sqrt(n / 32));
const paramsFor = (device: GPUDevice) =>
  uniform(device, packParams(planLayout({ T: 1, r: 1, n: 1, m: 1 }), { kind: 'relu' }, [{ gamma: 1, mu: 1, lambdas: NO_LAMBDAS }]));

/**
 * Factorises and solves `shapes` ([n, nrhs] each) in one factor and one solve dispatch and
 * checks the factor, the mirrored Lᵀ, the untouched B (workgroup-memory path), the solutions
 * and the gaps between them.
 */
async function checkSystems(shapes: Array<[number, number]>, seed: number, opts: SolvePlanOptions): Promise<void> {
  const device = ctx.gpu.device;
  const rng = new Rng(seed);
  const systems: SpdSystem[] = [];
  const data: number[] = [];
  const mats: Array<{ A: Float64Array; B: Float64Array }> = [];
  let outOff = 0;
  for (const [n, k] of shapes) {
    const sys = randomSystem(rng, n, k);
    mats.push(sys);
    systems.push({ off: data.length, n, nrhs: k, outOff, kind: 2 });
    for (const v of augment(sys.A, sys.B, n, k)) data.push(v);
    outOff += n * k + 3; // gaps: outputs must land exactly at outOff
  }
  const a = upload(device, data, 'systems');
  const out = upload(device, new Float64Array(outOff).fill(-7), 'solutions');
  const params = paramsFor(device);
  trash.push(a, out, params);
  const chol = await withErrorScope(device, () => createCholesky(device, 'test', systems, params, a, out, opts));
  trash.push(chol.descriptors);
  expect(chol.factor.dispatches + chol.solve.dispatches).toBe(2);
  await withErrorScope(device, () => run(device, [chol.factor, chol.solve]));
  const got = await read(device, out, outOff);
  const fac = await read(device, a, data.length);
  chol.plan.systems.forEach((s, q) => {
    const { n, nrhs: k } = s;
    const what = `system ${q} (n=${n}, nrhs=${k}, cols=${s.cols}${s.solveInA ? ', solve in global memory' : ''}${s.factorInA ? ', factor starts in global memory' : ''})`;
    const L = factor64(mats[q].A, n);
    const gotL = new Float64Array(n * n);
    const mirror = new Float64Array(n * n);
    const w = n + k;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) gotL[i * n + j] = fac[s.off + i * w + j];
      for (let j = 0; j < i; j++) mirror[i * n + j] = fac[s.off + j * w + i];
    }
    expectAllClose(gotL, L, { rtol: 0, atol: 1e-6 * growth(n) * maxAbs(L) }, `${what}: L`);
    for (let i = 0; i < n; i++) gotL[i * n + i] = 0;
    expectAllClose(mirror, gotL, { rtol: 0, atol: 0 }, `${what}: Lᵀ above the diagonal`);
    if (!s.solveInA) {
      const B = new Float64Array(n * k);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) B[i * k + c] = fac[s.off + i * w + n + c];
      expectAllClose(B, mats[q].B, { rtol: 0, atol: 0 }, `${what}: B untouched`);
    }
    const ref = solveSpd(mats[q].A, mats[q].B, n, k);
    const x = got.subarray(s.outOff, s.outOff + n * k);
    expectAllClose(x, ref, { rtol: 0, atol: 3e-6 * growth(n) * maxAbs(ref) }, `${what}: X`);
    expect(got[s.outOff + n * k], `${what}: the gap after the solution is untouched`).toBe(-7);
  });
}

/** Shapes per way of splitting: every size with both; 449 right-hand sides at n = 257 only 'narrow' (few workgroups: SwiftShader runs 'wide' 449-workgroup grids slowly). */
const SHAPES: Record<'wide' | 'narrow', Array<Array<[number, number]>>> = {
  wide: [
    [[1, 1], [2, 3], [31, 449]],
    [[33, 3], [181, 100], [2, 1]],
    [[257, 40], [31, 1]],
  ],
  narrow: [
    [[1, 1], [2, 3], [31, 449]],
    [[33, 3], [181, 100], [2, 1]],
    [[257, 449], [31, 1]],
    [[1025, 3]], // K = r + n + 1 at r = n = 512: 3 columns fill 3075 of the 4096 f32
  ],
};

describe.each(['wide', 'narrow'] as const)('cholesky factor + solve, %s column blocks', (spread) => {
  it.each(SHAPES[spread].map((s) => [s]))('systems %j in one dispatch', async (shapes) => {
    await checkSystems(shapes, shapes.length * 7 + shapes[0][0], { spread });
  }, 120_000); // n = 1025: a few seconds on SwiftShader (one workgroup factorises)
});

it('global-memory paths: columns too large for workgroup memory, mixed with one that fits', async () => {
  const opts = { spread: 'narrow' as const, solveFloats: 64, factorFloats: 16 };
  const shapes: Array<[number, number]> = [[31, 5], [3, 2], [70, 40]];
  const plan = planSolves(shapes.map(([n, k]) => ({ off: 0, n, nrhs: k, outOff: 0, kind: 2 })), opts);
  expect(plan.systems.map((s) => [s.solveInA, s.factorInA])).toEqual([[false, true], [false, false], [true, true]]);
  await checkSystems(shapes, 11, opts);
});

it('a solve grid over x and y (rows of the grid wrap, the padding workgroup returns)', async () => {
  const shapes: Array<[number, number]> = [[2, 6], [3, 5]];
  const opts = { maxCols: 1, maxGridX: 4 };
  const plan = planSolves(shapes.map(([n, k]) => ({ off: 0, n, nrhs: k, outOff: 0, kind: 2 })), opts);
  expect(plan.blocks).toBe(11);
  expect(plan.grid).toEqual([4, 3]);
  // The default wraps only past 65 535 blocks (a whole T = 100 000 worth of columns fits).
  expect(planSolves([{ off: 0, n: 2, nrhs: 100_000, outOff: 0, kind: 2 }], { maxCols: 1 }).grid).toEqual([50_000, 2]);
  await checkSystems(shapes, 3, opts);
});

describe('planSolves', () => {
  it('keeps every block within workgroup memory or marks it global, and numbers the blocks in order', () => {
    const systems: SpdSystem[] = [[181, 100], [101, 30], [100, 410], [1025, 512], [5000, 3]].map(([n, k]) => ({ off: 0, n, nrhs: k, outOff: 0, kind: 0 }));
    for (const spread of ['wide', 'narrow'] as const) {
      const plan = planSolves(systems, { spread });
      let first = 0;
      for (const s of plan.systems) {
        expect(s.cols).toBeGreaterThanOrEqual(1);
        expect(s.cols).toBeLessThanOrEqual(Math.min(256, s.nrhs));
        expect(s.solveInA).toBe(s.n > SOLVE_FLOATS);
        if (!s.solveInA) expect(s.n * s.cols).toBeLessThanOrEqual(SOLVE_FLOATS);
        expect(s.firstBlock).toBe(first);
        expect(s.blocks).toBe(Math.ceil(s.nrhs / s.cols));
        first += s.blocks;
      }
      expect(plan.blocks).toBe(first);
    }
    // The solve's workgroup memory is WebGPU's default limit, not more.
    expect(WORKGROUP_BYTES).toBeLessThanOrEqual(16384);
  });
});

it('pivot guard: a non-positive pivot becomes sqrt(TINY), the solve stays finite', async () => {
  const device = ctx.gpu.device;
  const data = [0, 0, 1, 0, 0, 2]; // [0 0 | 1; 0 0 | 2]
  const a = upload(device, data, 'singular system');
  const out = storage(device, 2, 'solution');
  const params = paramsFor(device);
  trash.push(a, out, params);
  const chol = await createCholesky(device, 'pivot test', [{ off: 0, n: 2, nrhs: 1, outOff: 0, kind: 2 }], params, a, out);
  trash.push(chol.descriptors);
  await run(device, [chol.factor, chol.solve]);
  const piv = Math.fround(Math.sqrt(Math.fround(1e-30)));
  const fac = await read(device, a, 6);
  expectAllClose([fac[0], fac[4]], [piv, piv], { rtol: 1e-6, atol: 0 }, 'guarded pivots');
  const x = await read(device, out, 2);
  expectAllClose(x, [1 / piv ** 2, 2 / piv ** 2], { rtol: 1e-5, atol: 0 }, 'X with guarded pivots');
});

it('refinement: residual R = B − A X, the adding re-solve reduces the error', async () => {
  const device = ctx.gpu.device;
  const rng = new Rng(5);
  const n = 24;
  const k = 6;
  // An ill-conditioned SPD system (eigenvalues 1e-3…1e1) so that one f32 solve is visibly off.
  const Q = rng.fillNormal(new Float64Array(n * n), 1);
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < j; p++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += Q[i * n + j] * Q[i * n + p];
      for (let i = 0; i < n; i++) Q[i * n + j] -= d * Q[i * n + p];
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += Q[i * n + j] ** 2;
    for (let i = 0; i < n; i++) Q[i * n + j] /= Math.sqrt(s);
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += Q[i * n + p] * Q[j * n + p] * 10 ** (1 - (4 * p) / (n - 1));
      A[i * n + j] = s;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) A[i * n + j] = A[j * n + i];
  const Af = f32(A);
  const B = f32(rng.fillNormal(new Float64Array(n * k), 1));
  const ref = solveSpd(Af, B, n, k);
  const aug = augment(Af, B, n, k);
  const l = planLayout({ T: 1, r: k, n: n - k - 1, m: 1 }); // refineX covers n·k outputs
  const params = uniform(device, packParams(l, { kind: 'relu' }, [{ gamma: 2, mu: 1, lambdas: NO_LAMBDAS }]));
  const a = upload(device, aug, 'systems');
  const orig = upload(device, aug, 'orig');
  const out = storage(device, n * k, 'solution');
  const red = storage(device, 12 * l.statsRows, 'red');
  const shift = storage(device, n, 'shift');
  trash.push(params, a, orig, out, red, shift);
  const sys = [{ off: 0, n, nrhs: k, outOff: 0, kind: 2 }];
  // Two columns per block: the re-solve runs in three workgroups.
  const chol = await createCholesky(device, 'refine test', sys, params, a, out, { maxCols: 2 });
  trash.push(chol.descriptors);
  expect(chol.plan.blocks).toBe(3);
  const refine = await createRefine(device, l, 1, { params, orig, sys: a, out, descriptors: chol.descriptors, red, shift });
  await run(device, [chol.factor, chol.solve]);
  const x0 = await read(device, out, n * k);
  await run(device, [refine]);
  // The residual kernel against float64 at the current X.
  const r = await read(device, a, n * (n + k));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = B[i * k + c];
      let mag = Math.abs(s);
      for (let j = 0; j < n; j++) {
        s -= Af[i * n + j] * x0[j * k + c];
        mag += Math.abs(Af[i * n + j] * x0[j * k + c]);
      }
      expect(Math.abs(r[i * (n + k) + n + c] - s), `R[${i}][${c}]`).toBeLessThanOrEqual(2e-6 * mag);
    }
  }
  await run(device, [chol.solveAdd]);
  const x1 = await read(device, out, n * k);
  const e0 = maxAbs(x0.map((v, i) => v - ref[i]));
  const e1 = maxAbs(x1.map((v, i) => v - ref[i]));
  expect(e1, `refined error ${e1} vs one solve ${e0}`).toBeLessThan(e0);
  expect(e1 / maxAbs(ref)).toBeLessThan(1e-3);
});
