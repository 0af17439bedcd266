// probe.wgsl and tile.wgsl's exact dot products: the fma probe tells fused from unfused fma,
// and with EXACT_DOT the constraint residual C1 = u − Ψ(h)w keeps its accuracy when the terms of
// Ψ(h)w are 10⁴ times larger than C1 (where plain f32 sums lose it). Tolerance: ΣC1² within 1e-3
// relative in exact mode; the fast mode is shown to be worse than 1e-2 on the same data.
import { afterEach, expect, it } from 'vitest';
import { activationCode } from '../../../src/backends/webgpu/kernels/common.ts';
import { createMultipliers } from '../../../src/backends/webgpu/kernels/multipliers.ts';
import { exactDotMode, fusedFma } from '../../../src/backends/webgpu/kernels/probe.ts';
import { createReduce } from '../../../src/backends/webgpu/kernels/reduce.ts';
import { isSoftwareAdapter } from '../../../src/backends/webgpu/device.ts';
import { weightsToDevice } from '../../../src/backends/webgpu/webgpu-backend.ts';
import { fixtureBuffers, psi, randomFixture, type FixtureBuffers } from '../../helpers/gpu-fixture.ts';
import { f32, read, run, useGpu } from '../../helpers/gpu.ts';

const ctx = useGpu();
let bufs: FixtureBuffers | undefined;
afterEach(() => bufs?.destroy());

it('tells whether fma is fused', async () => {
  const fused = await fusedFma(ctx.gpu.device);
  expect(typeof fused).toBe('boolean');
  if (ctx.gpu.adapterInfo.architecture === 'swiftshader') expect(fused).toBe(false);
  expect(await exactDotMode(ctx.gpu.device)).toBe(fused ? 1 : 2);
  expect(isSoftwareAdapter(ctx.gpu.adapterInfo)).toBe(ctx.gpu.adapterInfo.isFallback || /swiftshader/.test(ctx.gpu.adapterInfo.architecture));
});

it('forms C1 accurately from large cancelling terms with exact dot products', async () => {
  const device = ctx.gpu.device;
  const dims = { T: 45, r: 7, n: 21, m: 1 };
  const fx = randomFixture(dims, 99);
  // Large weights and inputs, u = Ψ(h)w + small C1.
  fx.w.W = f32(fx.w.W.map((v) => 300 * v));
  fx.w.V = f32(fx.w.V.map((v) => 300 * v));
  const ps = psi(fx);
  const c1 = Float64Array.from(ps, (_, e) => 5e-4 * Math.sin(e));
  fx.u = f32(ps.map((v, e) => v + c1[e]));
  const exact = fx.u.map((v, e) => v - ps[e]);
  const want = exact.reduce((s, v) => s + v * v, 0);
  const got: Record<number, number> = {};
  for (const mode of [0, await exactDotMode(device)]) {
    bufs?.destroy();
    bufs = fixtureBuffers(device, fx);
    const b = bufs;
    device.queue.writeBuffer(b.z, 0, weightsToDevice(fx.w, fx.layout));
    const mult = await createMultipliers(device, fx.layout, activationCode(fx.act), mode, {
      params: b.params, h: b.h, x: b.x, u: b.u, xi: b.xi, zeta: b.zeta, y: b.y, z: b.z, red: b.red,
    });
    const reduce = await createReduce(device, fx.layout, b.params, b.red, b.z, b.out);
    await run(device, [mult.stats, reduce]);
    const raw = await read(device, b.out, 2);
    got[mode] = raw[0] + raw[1];
  }
  const modes = Object.keys(got).map(Number);
  expect(Math.abs(got[modes[1]] - want) / want, `exact mode ΣC1² ${got[modes[1]]} vs ${want}`).toBeLessThan(1e-3);
  expect(Math.abs(got[0] - want) / want, `fast mode ΣC1² ${got[0]} vs ${want}`).toBeGreaterThan(1e-2);
});
