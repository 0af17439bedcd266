// Host side of gram.wgsl: the z-block normal equations reduced over time.
import source from '../../../../shaders/gram.wgsl?raw';
import { TILE, type GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, grid1d, sequence, type Recorder } from './kernel.ts';

/** Buffers the Gram kernels read and write. */
export interface GramBuffers {
  params: GPUBuffer;
  h: GPUBuffer;
  x: GPUBuffer;
  u: GPUBuffer;
  xi: GPUBuffer;
  y: GPUBuffer;
  /** Partial sums per segment for this system. */
  part: GPUBuffer;
  /** The system to be factorised, and the untouched copy (binding ranges at the system's offset). */
  sys: GPUBufferBinding;
  orig: GPUBufferBinding;
  /** The centring shift [h̄; x̄; 0] (center.wgsl). */
  shift: GPUBuffer;
}

/** Builds the two dispatches (segment partials, then finish) that form one centred z-block system. */
export async function createGram(device: GPUDevice, l: GpuLayout, which: 'P' | 'Q', b: GramBuffers): Promise<Recorder> {
  const W = which === 'P' ? 0 : 1;
  const [partialK, finishK] = await Promise.all([
    createComputeKernel(device, {
      label: `gram ${which} partial`, source, tiled: true, entryPoint: 'partial', constants: { WHICH: W },
      bindings: { 1: 'read-only-storage', 2: 'read-only-storage', 3: 'read-only-storage', 4: 'read-only-storage', 5: 'read-only-storage', 6: 'storage', 9: 'read-only-storage' },
    }),
    createComputeKernel(device, {
      label: `gram ${which} finish`, source, tiled: true, entryPoint: 'finish', constants: { WHICH: W },
      bindings: { 6: 'storage', 7: 'storage', 8: 'storage', 9: 'read-only-storage' },
    }),
  ]);
  const rows = which === 'P' ? l.K : l.Kq;
  const cols = which === 'P' ? l.Wp : l.Wq;
  const nSeg = which === 'P' ? l.nSegP : l.nSegQ;
  const g1 = partialK.bind(`gram ${which} partial bind group`, { 0: b.params, 1: b.h, 2: b.x, 3: b.u, 4: b.xi, 5: b.y, 6: b.part, 9: b.shift });
  const g2 = finishK.bind(`gram ${which} finish bind group`, { 0: b.params, 6: b.part, 7: b.sys, 8: b.orig, 9: b.shift });
  const [fx, fy] = grid1d(Math.ceil((rows * cols) / 256));
  return sequence(`gram ${which}`, [
    dispatch(partialK, g1, Math.ceil(rows / TILE), Math.ceil(cols / TILE), nSeg),
    dispatch(finishK, g2, fx, fy),
  ]);
}
