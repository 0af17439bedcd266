// cholesky.wgsl and refine.wgsl against float64: factorise-and-solve of several augmented SPD
// systems in one dispatch (sizes 1…70, right-hand sides 1…40), the re-solve that adds a
// correction, and the residual kernel. Well-conditioned systems (cond ≲ 50): the f32 solution
// must match the float64 one within 2e-5 of max|X|.
import { afterEach, describe, expect, it } from 'vitest';
import { createCholesky, type SpdSystem } from '../../../src/backends/webgpu/kernels/cholesky.ts';
import { createRefine } from '../../../src/backends/webgpu/kernels/refine.ts';
import { packParams } from '../../../src/backends/webgpu/kernels/common.ts';
import { planLayout } from '../../../src/backends/webgpu/layout.ts';
import { Rng } from '../../../src/problem/rng.ts';
import { expectAllClose } from '../../helpers/allclose.ts';
import { maxAbs, solveSpd } from '../../helpers/gpu-fixture.ts';
import { f32, read, run, storage, uniform, upload, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
const trash: GPUBuffer[] = [];
afterEach(() => trash.splice(0).forEach((b) => b.destroy()));

/** A random SPD n×n matrix with eigenvalues in about [1, 50], and an n×k right-hand side. */
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

const SHAPES: Array<[number, number][]> = [
  [[1, 1], [3, 2]],
  [[7, 5], [33, 1], [18, 40]],
  [[70, 17], [2, 3]],
];

describe.each(SHAPES)('cholesky on systems %j', (...shapes) => {
  it('factorises and solves every system of the dispatch', async () => {
    const device = ctx.gpu.device;
    const rng = new Rng(shapes.length * 7 + shapes[0][0]);
    const systems: SpdSystem[] = [];
    const data: number[] = [];
    const refs: Float64Array[] = [];
    let outOff = 0;
    for (const [n, k] of shapes) {
      const { A, B } = randomSystem(rng, n, k);
      systems.push({ off: data.length, n, nrhs: k, outOff, kind: 2 });
      data.push(...augment(A, B, n, k));
      refs.push(solveSpd(A, B, n, k));
      outOff += n * k + 3; // gaps: outputs must land exactly at outOff
    }
    const a = upload(device, data, 'systems');
    const out = upload(device, new Float64Array(outOff).fill(-7), 'solutions');
    const params = uniform(device, packParams(planLayout({ T: 1, r: 1, n: 1, m: 1 }), { l1: 0, l2: 0, l3: 0, l4: 0, l5: 0, l6: 0 }, 1, { kind: 'relu' }, 1));
    trash.push(a, out, params);
    const chol = await createCholesky(device, 'test', systems, params, a, out);
    trash.push(chol.descriptors);
    expect(chol.factorSolve.dispatches).toBe(1);
    await run(device, [chol.factorSolve]);
    const got = await read(device, out, outOff);
    systems.forEach((s, i) => {
      const x = got.subarray(s.outOff, s.outOff + s.n * s.nrhs);
      expectAllClose(x, refs[i], { rtol: 0, atol: 2e-5 * maxAbs(refs[i]) }, `system ${i} (n=${s.n}, nrhs=${s.nrhs})`);
      expect(got[s.outOff + s.n * s.nrhs], 'gap after the solution is untouched').toBe(-7);
    });
  });
});

it('refinement: residual R = B − A X, re-solve adds the correction', async () => {
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
  const params = uniform(device, packParams(l, { l1: 0, l2: 0, l3: 0, l4: 0, l5: 0, l6: 0 }, 1, { kind: 'relu' }, 2));
  const a = upload(device, aug, 'systems');
  const orig = upload(device, aug, 'orig');
  const out = storage(device, n * k, 'solution');
  const red = storage(device, 12 * l.statsRows, 'red');
  const shift = storage(device, n, 'shift');
  trash.push(params, a, orig, out, red, shift);
  const sys = [{ off: 0, n, nrhs: k, outOff: 0, kind: 2 }];
  const chol = await createCholesky(device, 'refine test', sys, params, a, out);
  trash.push(chol.descriptors);
  const refine = await createRefine(device, l, 1, { params, orig, sys: a, out, descriptors: chol.descriptors, red, shift });
  await run(device, [chol.factorSolve]);
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
  await run(device, [chol.resolve]);
  const x1 = await read(device, out, n * k);
  const e0 = maxAbs(x0.map((v, i) => v - ref[i]));
  const e1 = maxAbs(x1.map((v, i) => v - ref[i]));
  expect(e1, `refined error ${e1} vs one solve ${e0}`).toBeLessThan(e0);
  expect(e1 / maxAbs(ref)).toBeLessThan(1e-3);
});
