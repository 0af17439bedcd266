// Host side of refine.wgsl: residuals of the z-block systems (refinement and certificate).
import { REFINE_WGSL as source } from '../shader-sources.ts';
import type { GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, type Recorder } from './kernel.ts';

/** Buffers of the residual kernel. */
export interface RefineBuffers {
  params: GPUBuffer;
  orig: GPUBuffer;
  sys: GPUBuffer;
  out: GPUBuffer;
  descriptors: GPUBuffer;
  red: GPUBuffer;
  /** The centring shift of the z-block systems. */
  shift: GPUBuffer;
}

/**
 * Builds the dispatch that writes R = B − A X into the right-hand sides of systems firstSystem …
 * firstSystem + nSystems − 1 and sums the squared gradient; with `fromB` it only sums, taking R
 * from the right-hand sides (the P-system's data residual, gram.wgsl WHICH 2).
 */
export async function createRefine(device: GPUDevice, l: GpuLayout, nSystems: number, b: RefineBuffers, firstSystem = 0, fromB = false): Promise<Recorder> {
  const k = await createComputeKernel(device, {
    label: `refine residual (systems ${firstSystem}…${firstSystem + nSystems - 1}${fromB ? ', given' : ''})`, source, entryPoint: 'residual',
    constants: { FIRST_SYSTEM: firstSystem, FROM_B: fromB ? 1 : 0 },
    bindings: { 1: 'read-only-storage', 2: 'storage', 3: 'read-only-storage', 4: 'read-only-storage', 5: 'storage', 6: 'read-only-storage' },
  });
  const g = k.bind('refine residual bind group', { 0: b.params, 1: b.orig, 2: b.sys, 3: b.out, 4: b.descriptors, 5: b.red, 6: b.shift });
  return dispatch(k, g, l.refineX, nSystems, l.trials);
}
