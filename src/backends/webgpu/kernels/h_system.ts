// Host side of h_system.wgsl: forms the two augmented h-block systems from the new weights.
import { H_SYSTEM_WGSL as source } from '../shader-sources.ts';
import type { GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, grid1d, type Recorder } from './kernel.ts';

/** Builds the dispatch that writes [D1 | I | Aᵀ | Wᵀ | −γWᵀV] and [D2 | I | Aᵀ] into `sysh`. */
export async function createHSystem(device: GPUDevice, l: GpuLayout, params: GPUBuffer, z: GPUBuffer, sysh: GPUBuffer): Promise<Recorder> {
  const k = await createComputeKernel(device, {
    label: 'h_system form', source, entryPoint: 'form', bindings: { 1: 'read-only-storage', 2: 'storage' },
  });
  const [x, y] = grid1d(Math.ceil(l.sysHLen / 256));
  return dispatch(k, k.bind('h_system bind group', { 0: params, 1: z, 2: sysh }), x, y, l.trials);
}
