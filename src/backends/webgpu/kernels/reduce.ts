// Host side of reduce.wgsl: the final reductions to the scalars that are read back.
import { REDUCE_WGSL as source } from '../shader-sources.ts';
import { NSLOT, type GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, Usage, type Recorder } from './kernel.ts';

/** Builds the dispatch that writes NSLOT (sum, compensation) pairs to `out`. */
export async function createReduce(
  device: GPUDevice, l: GpuLayout, params: GPUBuffer, red: GPUBuffer, z: GPUBuffer, out: GPUBuffer,
): Promise<Recorder> {
  const k = await createComputeKernel(device, {
    label: 'reduce', source, entryPoint: 'reduce',
    bindings: { 1: 'read-only-storage', 2: 'read-only-storage', 3: 'read-only-storage', 4: 'storage' },
  });
  const counts = device.createBuffer({ label: 'reduce slot counts', size: 12 * 4, usage: Usage.STORAGE | Usage.COPY_DST });
  device.queue.writeBuffer(counts, 0, new Uint32Array(l.slotCounts));
  return dispatch(k, k.bind('reduce bind group', { 0: params, 1: red, 2: counts, 3: z, 4: out }), NSLOT, 1, l.trials);
}
