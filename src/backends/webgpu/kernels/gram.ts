// Host side of gram.wgsl: the z-block normal equations reduced over time.
import { GRAM_WGSL as source } from '../shader-sources.ts';
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
  /** The system to be factorised, and the untouched copy (binding ranges from the system's offset in trial 0 to its end in the last trial). */
  sys: GPUBufferBinding;
  orig: GPUBufferBinding;
  /** The centring shift [h̄; x̄; 0] (center.wgsl). */
  shift: GPUBuffer;
  /** The w-part's data residual E (T×r, u_update.wgsl with RESIDUAL); read by the 'P-residual' form only. */
  wres: GPUBuffer;
  /** The centred solutions (center.wgsl); read by the 'P-residual' form only. */
  xz: GPUBuffer;
}

/**
 * Builds the two dispatches (segment partials, then finish) that form one centred z-block
 * system: 'P' and 'Q' the systems themselves, 'P-residual' the P-system's refinement
 * right-hand side from the data residual (gram.wgsl WHICH 2), written into the factorised
 * system's right-hand-side columns for solve_add.
 */
export async function createGram(device: GPUDevice, l: GpuLayout, which: 'P' | 'Q' | 'P-residual', b: GramBuffers): Promise<Recorder> {
  const W = { P: 0, Q: 1, 'P-residual': 2 }[which];
  const ro = 'read-only-storage' as const;
  const residual = which === 'P-residual';
  const [partialK, finishK] = await Promise.all([
    createComputeKernel(device, {
      label: `gram ${which} partial`, source, tiled: true, entryPoint: 'partial', constants: { WHICH: W },
      bindings: { 1: ro, 2: ro, 3: ro, 4: ro, 5: ro, 6: 'storage', 9: ro, 10: ro },
    }),
    createComputeKernel(device, {
      label: `gram ${which} finish`, source, tiled: true, entryPoint: residual ? 'finish_residual' : 'finish', constants: { WHICH: W },
      bindings: residual ? { 6: 'storage', 7: 'storage', 9: ro, 11: ro } : { 6: 'storage', 7: 'storage', 8: 'storage', 9: ro },
    }),
  ]);
  const rows = which === 'Q' ? l.Kq : l.K;
  const cols = { P: l.Wp, Q: l.Wq, 'P-residual': l.r }[which];
  const nSeg = which === 'Q' ? l.nSegQ : l.nSegP;
  const g1 = partialK.bind(`gram ${which} partial bind group`, { 0: b.params, 1: b.h, 2: b.x, 3: b.u, 4: b.xi, 5: b.y, 6: b.part, 9: b.shift, 10: b.wres });
  const g2 = residual
    ? finishK.bind(`gram ${which} finish bind group`, { 0: b.params, 6: b.part, 7: b.sys, 9: b.shift, 11: b.xz })
    : finishK.bind(`gram ${which} finish bind group`, { 0: b.params, 6: b.part, 7: b.sys, 8: b.orig, 9: b.shift });
  const [fx, fy] = grid1d(Math.ceil((rows * cols) / 256));
  return sequence(`gram ${which}`, [
    dispatch(partialK, g1, Math.ceil(rows / TILE), Math.ceil(cols / TILE), nSeg * l.trials),
    dispatch(finishK, g2, fx, fy, l.trials),
  ]);
}
