// Host side of u_update.wgsl: ψ = Ψ(h)w and the element-wise u-block minimiser.
import { U_UPDATE_WGSL as source } from '../shader-sources.ts';
import { TILE, type GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, type Recorder } from './kernel.ts';

/** Buffers of the u-update (and of the w-part data residual, which writes `wres`). */
export interface UUpdateBuffers {
  params: GPUBuffer;
  h: GPUBuffer;
  x: GPUBuffer;
  u: GPUBuffer;
  xi: GPUBuffer;
  zeta: GPUBuffer;
  z: GPUBuffer;
  wres: GPUBuffer;
}

async function build(device: GPUDevice, l: GpuLayout, label: string, constants: Record<string, number>, b: UUpdateBuffers): Promise<Recorder> {
  const ro = 'read-only-storage' as const;
  const k = await createComputeKernel(device, {
    label, source, tiled: true, entryPoint: 'update', constants,
    bindings: { 1: ro, 2: ro, 3: 'storage', 4: ro, 5: ro, 6: ro, 7: 'storage' },
  });
  const g = k.bind(`${label} bind group`, { 0: b.params, 1: b.h, 2: b.x, 3: b.u, 4: b.xi, 5: b.zeta, 6: b.z, 7: b.wres });
  return dispatch(k, g, Math.ceil(l.r / TILE), l.rowTiles, l.trials);
}

/** Builds the dispatch that overwrites u with the u-block minimiser; `exactDot` is tile.wgsl's EXACT_DOT (probe.ts). */
export function createUUpdate(device: GPUDevice, l: GpuLayout, act: number, exactDot: number, b: UUpdateBuffers): Promise<Recorder> {
  return build(device, l, 'u_update', { ACT: act, EXACT_DOT: exactDot, RESIDUAL: 0 }, b);
}

/** Builds the dispatch that writes the w-part's data residual wres = u + ξ/γ − Ψ(h)w (the refinement's E). */
export function createWResidual(device: GPUDevice, l: GpuLayout, exactDot: number, b: UUpdateBuffers): Promise<Recorder> {
  return build(device, l, 'refine w-part data residual', { EXACT_DOT: exactDot, RESIDUAL: 1 }, b);
}
