// Host side of multipliers.wgsl: constraint residual sums, the multiplier update and the terms
// of the augmented Lagrangian.
import { MULTIPLIERS_WGSL as source } from '../shader-sources.ts';
import type { GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, type Recorder } from './kernel.ts';

/** Buffers of the multiplier kernels. */
export interface MultiplierBuffers {
  params: GPUBuffer;
  h: GPUBuffer;
  x: GPUBuffer;
  u: GPUBuffer;
  xi: GPUBuffer;
  zeta: GPUBuffer;
  y: GPUBuffer;
  z: GPUBuffer;
  red: GPUBuffer;
}

/** The two dispatches of the family. */
export interface Multipliers {
  /** Residual sums at the current state (slots 0…7). */
  stats: Recorder;
  /** The same, after ξ += γC1, ζ += γC2. */
  statsUpdate: Recorder;
}

/** Builds the multiplier-family dispatches; `exactDot` is tile.wgsl's EXACT_DOT (probe.ts). */
export async function createMultipliers(device: GPUDevice, l: GpuLayout, act: number, exactDot: number, b: MultiplierBuffers): Promise<Multipliers> {
  const ro = 'read-only-storage' as const;
  const bindings = { 1: ro, 2: ro, 3: ro, 4: 'storage', 5: 'storage', 6: ro, 7: ro, 8: 'storage' } as const;
  const [sk, suk] = await Promise.all([
    createComputeKernel(device, {
      label: 'multipliers stats', source, tiled: true, entryPoint: 'stats', constants: { ACT: act, UPDATE: 0, EXACT_DOT: exactDot }, bindings,
    }),
    createComputeKernel(device, {
      label: 'multipliers stats+update', source, tiled: true, entryPoint: 'stats', constants: { ACT: act, UPDATE: 1, EXACT_DOT: exactDot }, bindings,
    }),
  ]);
  const res = { 0: b.params, 1: b.h, 2: b.x, 3: b.u, 4: b.xi, 5: b.zeta, 6: b.y, 7: b.z, 8: b.red };
  return {
    stats: dispatch(sk, sk.bind('multipliers stats bind group', res), l.nStatsX, l.rowTiles, l.trials),
    statsUpdate: dispatch(suk, suk.bind('multipliers stats+update bind group', res), l.nStatsX, l.rowTiles, l.trials),
  };
}
