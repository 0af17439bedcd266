// Host side of certificate.wgsl: the h- and u-parts of the stationarity certificate.
import { CERTIFICATE_WGSL as source } from '../shader-sources.ts';
import { TILE, type GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, type Recorder } from './kernel.ts';

/** Builds the dispatch that writes Σg² and ΣΔu² partial sums (slots 8, 9) from u and uprev; `exactDot` as in tile.wgsl. */
export async function createCertificate(
  device: GPUDevice, l: GpuLayout, act: number, exactDot: number, b: { params: GPUBuffer; u: GPUBuffer; uprev: GPUBuffer; z: GPUBuffer; red: GPUBuffer },
): Promise<Recorder> {
  const ro = 'read-only-storage' as const;
  const k = await createComputeKernel(device, {
    label: 'certificate h-part', source, tiled: true, entryPoint: 'hpart', constants: { ACT: act, EXACT_DOT: exactDot },
    bindings: { 1: ro, 2: ro, 3: ro, 4: 'storage' },
  });
  const g = k.bind('certificate h-part bind group', { 0: b.params, 1: b.u, 2: b.uprev, 3: b.z, 4: b.red });
  return dispatch(k, g, Math.ceil(l.r / TILE), l.rowTiles, l.trials);
}
