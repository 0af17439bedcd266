// Host side of h_update.wgsl: the batched h-block update for all t.
import { H_UPDATE_WGSL as source } from '../shader-sources.ts';
import { TILE, type GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, type Recorder } from './kernel.ts';

/** Buffers of the h-update. */
export interface HUpdateBuffers {
  params: GPUBuffer;
  y: GPUBuffer;
  x: GPUBuffer;
  u: GPUBuffer;
  xi: GPUBuffer;
  zeta: GPUBuffer;
  z: GPUBuffer;
  h: GPUBuffer;
}

/** Builds the dispatch that overwrites h from the h-block solutions in z. */
export async function createHUpdate(device: GPUDevice, l: GpuLayout, act: number, b: HUpdateBuffers): Promise<Recorder> {
  const ro = 'read-only-storage' as const;
  const k = await createComputeKernel(device, {
    label: 'h_update', source, tiled: true, entryPoint: 'update', constants: { ACT: act },
    bindings: { 1: ro, 2: ro, 3: ro, 4: ro, 5: ro, 6: ro, 7: 'storage' },
  });
  const g = k.bind('h_update bind group', { 0: b.params, 1: b.y, 2: b.x, 3: b.u, 4: b.xi, 5: b.zeta, 6: b.z, 7: b.h });
  return dispatch(k, g, Math.ceil(l.r / TILE), l.hRegTiles + 1, l.trials);
}
