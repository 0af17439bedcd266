// The trial dimension of every kernel family: three trials of one shape (their own data,
// weights, γ, λ's, μ) in one dispatch per kernel, the middle one frozen (its Params flag off).
// Each active trial's output blocks must equal, bit for bit, the same kernels run on that
// trial alone (B = 1), and every block of the frozen trial must be untouched (the reduced
// scalars excepted: reduce.wgsl reduces every trial, its output is scratch). The per-kernel
// float64 references of the other test files check the values; this file checks the indexing.
// Shapes: one that fits a tile and one that takes several tiles and Gram segments.
import { afterEach, describe, expect, it } from 'vitest';
import { createCenter } from '../../../src/backends/webgpu/kernels/center.ts';
import { createCertificate } from '../../../src/backends/webgpu/kernels/certificate.ts';
import { createCholesky } from '../../../src/backends/webgpu/kernels/cholesky.ts';
import { activationCode } from '../../../src/backends/webgpu/kernels/common.ts';
import { createGram } from '../../../src/backends/webgpu/kernels/gram.ts';
import { createHSystem } from '../../../src/backends/webgpu/kernels/h_system.ts';
import { createHUpdate } from '../../../src/backends/webgpu/kernels/h_update.ts';
import { createInitialState } from '../../../src/backends/webgpu/kernels/initial_state.ts';
import type { Recorder } from '../../../src/backends/webgpu/kernels/kernel.ts';
import { createMultipliers } from '../../../src/backends/webgpu/kernels/multipliers.ts';
import { createReduce } from '../../../src/backends/webgpu/kernels/reduce.ts';
import { createRefine } from '../../../src/backends/webgpu/kernels/refine.ts';
import { createUUpdate, createWResidual } from '../../../src/backends/webgpu/kernels/u_update.ts';
import type { Activation } from '../../../src/problem/types.ts';
import { batchBuffers, blockLengths, randomFixture, type BatchBuffers, type BlockName, type Dims } from '../../helpers/gpu-fixture.ts';
import { read, run, useGpu, withErrorScope } from '../../helpers/gpu.ts';

const ctx = useGpu();
const trash: Array<{ destroy(): void }> = [];
afterEach(() => trash.splice(0).forEach((b) => b.destroy()));

/** One kernel family's dispatches over a batch, and the blocks it writes. */
interface Family {
  name: string;
  outputs: BlockName[];
  build(device: GPUDevice, bb: BatchBuffers, act: Activation): Promise<Recorder[]>;
}

const zStrides = (bb: BatchBuffers) => ({ trials: bb.layout.trials, aStride: bb.layout.sysZLen, outStride: bb.layout.weightsLen });

const FAMILIES: Family[] = [
  {
    name: 'center', outputs: ['shift', 'xz', 'z'],
    async build(device, { layout: l, params, buffers: b }) {
      const c = await createCenter(device, l, { params, h: b.h, shift: b.shift, xz: b.xz, z: b.z });
      return [c.means, c.center, c.uncenter];
    },
  },
  {
    name: 'gram (P, Q, P-residual)', outputs: ['partP', 'partQ', 'sysZ', 'origZ'],
    async build(device, { layout: l, params, buffers: b }) {
      const span = (l.trials - 1) * l.sysZLen * 4;
      const common = { params, h: b.h, x: b.x, u: b.u, xi: b.xi, y: b.y, shift: b.shift, wres: b.wres, xz: b.xz };
      const P = { buffer: b.sysZ, offset: 0, size: span + l.K * l.Wp * 4 };
      const oP = { buffer: b.origZ, offset: 0, size: span + l.K * l.Wp * 4 };
      const Q = { buffer: b.sysZ, offset: l.sysQOff * 4, size: span + l.Kq * l.Wq * 4 };
      const oQ = { buffer: b.origZ, offset: l.sysQOff * 4, size: span + l.Kq * l.Wq * 4 };
      return Promise.all([
        createGram(device, l, 'P', { ...common, part: b.partP, sys: P, orig: oP }),
        createGram(device, l, 'Q', { ...common, part: b.partQ, sys: Q, orig: oQ }),
        createGram(device, l, 'P-residual', { ...common, part: b.partP, sys: P, orig: oP }),
      ]);
    },
  },
  {
    name: 'z-block factor, solve, refine', outputs: ['sysZ', 'xz', 'red'],
    async build(device, bb) {
      const { layout: l, params, buffers: b } = bb;
      const span = (l.trials - 1) * l.sysZLen * 4;
      const common = { params, h: b.h, x: b.x, u: b.u, xi: b.xi, y: b.y, shift: b.shift, wres: b.wres, xz: b.xz };
      const P = { buffer: b.sysZ, offset: 0, size: span + l.K * l.Wp * 4 };
      const oP = { buffer: b.origZ, offset: 0, size: span + l.K * l.Wp * 4 };
      const Q = { buffer: b.sysZ, offset: l.sysQOff * 4, size: span + l.Kq * l.Wq * 4 };
      const oQ = { buffer: b.origZ, offset: l.sysQOff * 4, size: span + l.Kq * l.Wq * 4 };
      const gp = await createGram(device, l, 'P', { ...common, part: b.partP, sys: P, orig: oP });
      const gq = await createGram(device, l, 'Q', { ...common, part: b.partQ, sys: Q, orig: oQ });
      const chol = await createCholesky(device, 'trials z-block', [
        { off: 0, n: l.K, nrhs: l.r, outOff: 0, kind: 0 },
        { off: l.sysQOff, n: l.Kq, nrhs: l.m, outOff: l.offN, kind: 1 },
      ], params, b.sysZ, b.xz, { spread: 'narrow', ...zStrides(bb) });
      trash.push(chol.descriptors);
      const rb = { params, orig: b.origZ, sys: b.sysZ, out: b.xz, descriptors: chol.descriptors, red: b.red, shift: b.shift };
      const refineQ = await createRefine(device, l, 1, rb, 1);
      return [gp, gq, chol.factor, chol.solve, refineQ, chol.solveAdd];
    },
  },
  {
    name: 'h-block (h_system, factor, solve, h_update)', outputs: ['sysH', 'z', 'h'],
    async build(device, { layout: l, params, buffers: b }, act) {
      const form = await createHSystem(device, l, params, b.z, b.sysH);
      const chol = await createCholesky(device, 'trials h-block', [
        { off: 0, n: l.r, nrhs: l.nrhs1, outOff: l.offH1, kind: 2 },
        { off: l.sysH2Off, n: l.r, nrhs: l.nrhs2, outOff: l.offH2, kind: 3 },
      ], params, b.sysH, b.z, { trials: l.trials, aStride: l.sysHLen, outStride: l.zLen });
      trash.push(chol.descriptors);
      const upd = await createHUpdate(device, l, activationCode(act), { params, y: b.y, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, z: b.z, h: b.h });
      return [form, chol.factor, chol.solve, upd];
    },
  },
  {
    name: 'u_update and the w-part residual', outputs: ['wres', 'u'],
    async build(device, { layout: l, params, buffers: b }, act) {
      const ub = { params, h: b.h, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, z: b.z, wres: b.wres };
      return Promise.all([createWResidual(device, l, 2, ub), createUUpdate(device, l, activationCode(act), 2, ub)]);
    },
  },
  {
    name: 'multipliers, certificate, reduce', outputs: ['xi', 'zeta', 'red', 'out'],
    async build(device, { layout: l, params, buffers: b }, act) {
      const mult = await createMultipliers(device, l, activationCode(act), 2, { params, h: b.h, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, y: b.y, z: b.z, red: b.red });
      const cert = await createCertificate(device, l, activationCode(act), 2, { params, u: b.u, uprev: b.wres, z: b.z, red: b.red });
      const reduce = await createReduce(device, l, params, b.red, b.z, b.out);
      return [mult.statsUpdate, cert, reduce];
    },
  },
  {
    name: 'initial_state', outputs: ['u', 'h'],
    async build(device, { layout: l, params, buffers: b }, act) {
      const s0 = await createInitialState(device, l, activationCode(act), { params, x: b.x, z: b.z, u: b.u, h: b.h }, 4);
      trash.push(s0.chunks);
      return [s0.recorder];
    },
  },
];

const SHAPES: Dims[] = [
  { T: 23, r: 5, n: 3, m: 2 },
  { T: 300, r: 33, n: 4, m: 2 },
];

/** Runs a family on `bb` and reads every block back. */
async function runFamily(device: GPUDevice, f: Family, bb: BatchBuffers, act: Activation): Promise<Record<BlockName, Float64Array>> {
  const recs = await withErrorScope(device, () => f.build(device, bb, act));
  await withErrorScope(device, () => run(device, recs));
  const out = {} as Record<BlockName, Float64Array>;
  const len = blockLengths(bb.layout);
  for (const k of Object.keys(len) as BlockName[]) out[k] = await read(device, bb.buffers[k], bb.layout.trials * len[k]);
  return out;
}

const bits = (v: Float64Array) => new Uint32Array(Float32Array.from(v).buffer);

describe.each(SHAPES)('kernels over 3 trials at T=$T r=$r n=$n m=$m', (dims) => {
  it.each(FAMILIES.map((f) => [f.name, f] as const))('%s: active trials as alone, the frozen one untouched', async (_name, family) => {
    const device = ctx.gpu.device;
    const act: Activation = { kind: 'elu' };
    const fxs = [0, 1, 2].map((i) => {
      const fx = randomFixture(dims, 500 + 31 * i + dims.T, act, 1.5 + i);
      fx.lambdas = { ...fx.lambdas, l2: fx.lambdas.l2 * (1 + i), l4: fx.lambdas.l4 / (1 + i) };
      fx.mu = [1e-7, 1e-5, 1e-3][i];
      return fx;
    });
    const active = [true, false, true];
    const batch = batchBuffers(device, fxs, active);
    trash.push(batch);
    const len = blockLengths(batch.layout);
    const before = {} as Record<BlockName, Float64Array>;
    for (const k of Object.keys(len) as BlockName[]) before[k] = await read(device, batch.buffers[k], 3 * len[k]);
    const got = await runFamily(device, family, batch, act);
    for (const b of [0, 2]) {
      const solo = batchBuffers(device, [fxs[b]]);
      trash.push(solo);
      const want = await runFamily(device, family, solo, act);
      for (const k of family.outputs) {
        const g = bits(got[k].subarray(b * len[k], (b + 1) * len[k]));
        const w = bits(want[k].subarray(0, len[k]));
        const bad = g.findIndex((v, i) => v !== w[i]);
        expect(bad, `trial ${b}, ${k}[${bad}]: ${got[k][b * len[k] + bad]} vs alone ${want[k][bad]}`).toBe(-1);
      }
    }
    for (const k of Object.keys(len) as BlockName[]) {
      if (k === 'out') continue;
      const g = bits(got[k].subarray(len[k], 2 * len[k]));
      const w = bits(before[k].subarray(len[k], 2 * len[k]));
      const bad = g.findIndex((v, i) => v !== w[i]);
      expect(bad, `frozen trial 1, ${k}[${bad}] was written`).toBe(-1);
    }
  }, 300_000);
});
