// Host side of u_update.wgsl: ψ = Ψ(h)w and the element-wise u-block minimiser.
import source from '../../../../shaders/u_update.wgsl?raw';
import { TILE, type GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, type Recorder } from './kernel.ts';

/** Buffers of the u-update. */
export interface UUpdateBuffers {
  params: GPUBuffer;
  h: GPUBuffer;
  x: GPUBuffer;
  u: GPUBuffer;
  xi: GPUBuffer;
  zeta: GPUBuffer;
  z: GPUBuffer;
}

/** Builds the dispatch that overwrites u with the u-block minimiser; `exactDot` is tile.wgsl's EXACT_DOT (probe.ts). */
export async function createUUpdate(device: GPUDevice, l: GpuLayout, act: number, exactDot: number, b: UUpdateBuffers): Promise<Recorder> {
  const ro = 'read-only-storage' as const;
  const k = await createComputeKernel(device, {
    label: 'u_update', source, tiled: true, entryPoint: 'update', constants: { ACT: act, EXACT_DOT: exactDot },
    bindings: { 1: ro, 2: ro, 3: 'storage', 4: ro, 5: ro, 6: ro },
  });
  const g = k.bind('u_update bind group', { 0: b.params, 1: b.h, 2: b.x, 3: b.u, 4: b.xi, 5: b.zeta, 6: b.z });
  return dispatch(k, g, Math.ceil(l.r / TILE), l.rowTiles);
}

/** Builds the dispatch that writes the w-part's data residual wres = u + ξ/γ − Ψ(h)w (u_update.wgsl `residual`). */
export async function createWResidual(device: GPUDevice, l: GpuLayout, exactDot: number, b: Omit<UUpdateBuffers, 'zeta'> & { wres: GPUBuffer }): Promise<Recorder> {
  const ro = 'read-only-storage' as const;
  const k = await createComputeKernel(device, {
    label: 'refine w-part data residual', source, tiled: true, entryPoint: 'residual', constants: { EXACT_DOT: exactDot },
    bindings: { 1: ro, 2: ro, 3: 'storage', 4: ro, 6: ro, 7: 'storage' },
  });
  const g = k.bind('w-part data residual bind group', { 0: b.params, 1: b.h, 2: b.x, 3: b.u, 4: b.xi, 6: b.z, 7: b.wres });
  return dispatch(k, g, Math.ceil(l.r / TILE), l.rowTiles);
}
