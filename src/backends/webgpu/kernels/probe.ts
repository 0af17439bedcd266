// Host side of probe.wgsl: whether the adapter fuses fma (chooses how tile.wgsl forms exact products).
import { PROBE_WGSL as source } from '../shader-sources.ts';
import { PARAMS_BYTES } from './common.ts';
import { createComputeKernel, MAP_READ_MODE, Usage } from './kernel.ts';

const cache = new WeakMap<GPUDevice, Promise<boolean>>();

/** True when fma() on this device rounds once (so TwoProduct by fma is exact). Cached per device. */
export function fusedFma(device: GPUDevice): Promise<boolean> {
  let p = cache.get(device);
  if (!p) {
    p = probe(device);
    cache.set(device, p);
  }
  return p;
}

async function probe(device: GPUDevice): Promise<boolean> {
  const k = await createComputeKernel(device, { label: 'fma probe', source, entryPoint: 'fma_probe', bindings: { 1: 'storage' } });
  const params = device.createBuffer({ label: 'fma probe params', size: PARAMS_BYTES, usage: Usage.UNIFORM });
  const v = device.createBuffer({ label: 'fma probe values', size: 16, usage: Usage.STORAGE | Usage.COPY_DST | Usage.COPY_SRC });
  const read = device.createBuffer({ label: 'fma probe read-back', size: 16, usage: Usage.MAP_READ | Usage.COPY_DST });
  const a = 1 + 2 ** -12;
  device.queue.writeBuffer(v, 0, new Float32Array([a, a, 0, 0]));
  const enc = device.createCommandEncoder({ label: 'fma probe' });
  const pass = enc.beginComputePass();
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, k.bind('fma probe bind group', { 0: params, 1: v }));
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(v, 0, read, 0, 16);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(MAP_READ_MODE);
  const e = new Float32Array(read.getMappedRange())[2];
  read.unmap();
  for (const b of [params, v, read]) b.destroy();
  return e === 2 ** -24;
}

/** The EXACT_DOT mode of tile.wgsl for this device: 1 (TwoProduct by fma) or 2 (Dekker's split). */
export async function exactDotMode(device: GPUDevice): Promise<1 | 2> {
  return (await fusedFma(device)) ? 1 : 2;
}
