// Random inputs for the per-kernel GPU tests at awkward sizes, the device buffers they live in,
// and the float64 views (rounded to f32 first, as the GPU sees them) the references start from.
import type { Lambdas } from '../../src/backends/backend.ts';
import { planLayout, NSLOT, type GpuLayout } from '../../src/backends/webgpu/layout.ts';
import { packParams } from '../../src/backends/webgpu/kernels/common.ts';
import { weightsToDevice } from '../../src/backends/webgpu/webgpu-backend.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { Activation, RnnWeights } from '../../src/problem/types.ts';
import { f32, storage, uniform, upload } from './gpu.ts';

/** Problem dimensions of one kernel test. */
export interface Dims {
  T: number;
  r: number;
  n: number;
  m: number;
}

/**
 * Sizes that are not multiples of the 16×16 tiles or 256-wide workgroups: r = n = m = 1; one
 * and several tiles; a long series whose Gram reductions run in several segments.
 */
export const AWKWARD_SIZES: Dims[] = [
  { T: 37, r: 5, n: 3, m: 2 },
  { T: 23, r: 1, n: 1, m: 1 },
  { T: 70, r: 17, n: 19, m: 3 },
  { T: 300, r: 9, n: 4, m: 2 },
];

/** A random state of a problem, every array already rounded to f32. */
export interface Fixture {
  dims: Dims;
  layout: GpuLayout;
  act: Activation;
  lambdas: Lambdas;
  mu: number;
  gamma: number;
  x: Float64Array;
  y: Float64Array;
  h: Float64Array;
  u: Float64Array;
  xi: Float64Array;
  zeta: Float64Array;
  w: RnnWeights;
}

function normal(rng: Rng, len: number, std: number): Float64Array {
  return f32(rng.fillNormal(new Float64Array(len), std));
}

/** Draws a fixture; h is non-negative (as after ReLU) with some exact zeros. */
export function randomFixture(dims: Dims, seed: number, act: Activation = { kind: 'relu' }, gamma = 3.5): Fixture {
  const rng = new Rng(seed);
  const { T, r, n, m } = dims;
  const h = f32(normal(rng, T * r, 1).map((v) => Math.max(0, v + 0.3)));
  const w: RnnWeights = {
    r, n, m,
    W: normal(rng, r * r, 0.4), V: normal(rng, r * n, 0.5), b: normal(rng, r, 0.2),
    A: normal(rng, m * r, 0.5), c: normal(rng, m, 0.3),
  };
  return {
    dims, act, gamma,
    layout: planLayout(dims),
    lambdas: { l1: 0.03, l2: 0.02, l3: 0.05, l4: 0.07, l5: 0.11, l6: 1e-8 },
    mu: 1e-7,
    x: f32(rng.fillUniform(new Float64Array(T * n), -1, 1)),
    y: normal(rng, T * m, 1),
    h,
    u: normal(rng, T * r, 1),
    xi: normal(rng, T * r, 0.3),
    zeta: normal(rng, T * r, 0.3),
    w,
  };
}

/** The fixture on the device, with every work buffer a sweep needs. */
export interface FixtureBuffers {
  params: GPUBuffer;
  x: GPUBuffer;
  y: GPUBuffer;
  h: GPUBuffer;
  u: GPUBuffer;
  xi: GPUBuffer;
  zeta: GPUBuffer;
  uprev: GPUBuffer;
  z: GPUBuffer;
  partP: GPUBuffer;
  partQ: GPUBuffer;
  sysZ: GPUBuffer;
  origZ: GPUBuffer;
  sysH: GPUBuffer;
  red: GPUBuffer;
  out: GPUBuffer;
  destroy(): void;
}

/** Uploads a fixture (weights into z in the device layout) and allocates the work buffers. */
export function fixtureBuffers(device: GPUDevice, fx: Fixture): FixtureBuffers {
  const l = fx.layout;
  const z = new Float64Array(l.zLen);
  z.set(weightsToDevice(fx.w, l));
  const b = {
    params: uniform(device, packParams(l, fx.act, [{ gamma: fx.gamma, mu: fx.mu, lambdas: fx.lambdas }])),
    x: upload(device, fx.x, 'x'),
    y: upload(device, fx.y, 'y'),
    h: upload(device, fx.h, 'h'),
    u: upload(device, fx.u, 'u'),
    xi: upload(device, fx.xi, 'xi'),
    zeta: upload(device, fx.zeta, 'zeta'),
    uprev: upload(device, fx.u, 'uprev'),
    z: upload(device, z, 'z'),
    partP: storage(device, l.partPLen, 'partP'),
    partQ: storage(device, l.partQLen, 'partQ'),
    sysZ: storage(device, l.sysZLen, 'sysZ'),
    origZ: storage(device, l.sysZLen, 'origZ'),
    sysH: storage(device, l.sysHLen, 'sysH'),
    red: storage(device, 12 * l.statsRows, 'red'),
    out: storage(device, 2 * NSLOT, 'out'),
  };
  return {
    ...b,
    destroy() {
      for (const buf of Object.values(b)) buf.destroy();
    },
  };
}

/** p_t = [h_{t−1}; x_t; 1] (0-based t) of a fixture. */
export function pVec(fx: Fixture, t: number, h = fx.h): Float64Array {
  const { r, n } = fx.dims;
  const p = new Float64Array(r + n + 1);
  if (t > 0) for (let i = 0; i < r; i++) p[i] = h[(t - 1) * r + i];
  for (let j = 0; j < n; j++) p[r + j] = fx.x[t * n + j];
  p[r + n] = 1;
  return p;
}

/** ψ_t = W h_{t−1} + V x_t + b for all t (T×r), float64. */
export function psi(fx: Fixture, w: RnnWeights = fx.w, h = fx.h): Float64Array {
  const { T, r, n } = fx.dims;
  const out = new Float64Array(T * r);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < r; i++) {
      let s = w.b[i];
      if (t > 0) for (let j = 0; j < r; j++) s += w.W[i * r + j] * h[(t - 1) * r + j];
      for (let j = 0; j < n; j++) s += w.V[i * n + j] * fx.x[t * n + j];
      out[t * r + i] = s;
    }
  }
  return out;
}

/** Solves the SPD system A X = B (A n×n, B n×k, row-major) in float64 by Cholesky. */
export function solveSpd(A: Float64Array, B: Float64Array, n: number, k: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let q = 0; q < j; q++) d -= L[j * n + q] ** 2;
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let q = 0; q < j; q++) s -= L[i * n + q] * L[j * n + q];
      L[i * n + j] = s / ljj;
    }
  }
  const X = B.slice();
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let s = X[i * k + c];
      for (let q = 0; q < i; q++) s -= L[i * n + q] * X[q * k + c];
      X[i * k + c] = s / L[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = X[i * k + c];
      for (let q = i + 1; q < n; q++) s -= L[q * n + i] * X[q * k + c];
      X[i * k + c] = s / L[i * n + i];
    }
  }
  return X;
}

/** max |v|. */
export function maxAbs(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i]));
  return s;
}

/** Names of the per-trial blocks of a batched fixture (every buffer but Params). */
export type BlockName =
  | 'x' | 'y' | 'h' | 'u' | 'xi' | 'zeta' | 'uprev' | 'wres' | 'z' | 'xz' | 'shift'
  | 'partP' | 'partQ' | 'sysZ' | 'origZ' | 'sysH' | 'red' | 'out';

/** Floats of one trial's block of each buffer in layout `l`. */
export function blockLengths(l: GpuLayout): Record<BlockName, number> {
  const tr = l.T * l.r;
  return {
    x: l.T * l.n, y: l.T * l.m, h: tr, u: tr, xi: tr, zeta: tr, uprev: tr, wres: tr,
    z: l.zLen, xz: l.weightsLen, shift: l.K, partP: l.partPLen, partQ: l.partQLen,
    sysZ: l.sysZLen, origZ: l.sysZLen, sysH: l.sysHLen, red: 12 * l.statsRows, out: 2 * NSLOT,
  };
}

/** Fixtures of one shape on the device as one batch: every buffer trial-major, one Params record per trial. */
export interface BatchBuffers {
  layout: GpuLayout;
  params: GPUBuffer;
  buffers: Record<BlockName, GPUBuffer>;
  destroy(): void;
}

/**
 * Uploads `fxs` (one shape) as a batch of fxs.length trials: x, y, h, u, ξ, ζ, the weights in z
 * and xz, u again in uprev, a centring shift [0.3 + 0.01 i; x̄; 0], a small w-part residual in
 * wres, and zeros elsewhere; `active[b]` sets trial b's flag (default all active).
 */
export function batchBuffers(device: GPUDevice, fxs: Fixture[], active: boolean[] = fxs.map(() => true)): BatchBuffers {
  const B = fxs.length;
  const d = fxs[0].dims;
  const l = planLayout(d, undefined, undefined, B);
  const len = blockLengths(l);
  const data = {} as Record<BlockName, Float64Array>;
  for (const k of Object.keys(len) as BlockName[]) data[k] = new Float64Array(B * len[k]);
  fxs.forEach((fx, b) => {
    const put = (k: BlockName, v: ArrayLike<number>) => data[k].set(v, b * len[k]);
    put('x', fx.x);
    put('y', fx.y);
    put('h', fx.h);
    put('u', fx.u);
    put('uprev', fx.u);
    put('xi', fx.xi);
    put('zeta', fx.zeta);
    const w = weightsToDevice(fx.w, l);
    put('z', w);
    put('xz', w);
    put('wres', f32(fx.u.map((v, e) => 1e-2 * Math.sin(v + e))));
    const shift = new Float64Array(l.K);
    for (let i = 0; i < d.r; i++) shift[i] = 0.3 + 0.01 * i;
    for (let j = 0; j < d.n; j++) {
      let s = 0;
      for (let t = 0; t < d.T; t++) s += fx.x[t * d.n + j];
      shift[d.r + j] = s / d.T;
    }
    put('shift', f32(shift));
  });
  const buffers = {} as Record<BlockName, GPUBuffer>;
  for (const k of Object.keys(len) as BlockName[]) buffers[k] = upload(device, data[k], `${k} (${B} trials)`, B * len[k]);
  const params = uniform(device, packParams(l, fxs[0].act, fxs.map((fx, b) => ({ gamma: fx.gamma, mu: fx.mu, lambdas: fx.lambdas, active: active[b] }))));
  return {
    layout: l, params, buffers,
    destroy() {
      params.destroy();
      for (const b of Object.values(buffers)) b.destroy();
    },
  };
}
