// Host side of center.wgsl: the centring shift of the z-block systems and the change of basis
// between the centred solutions (xz) and the weights (z).
import { CENTER_WGSL as source } from '../shader-sources.ts';
import type { GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, grid1d, type Recorder } from './kernel.ts';

/** Buffers of the centring kernels. */
export interface CenterBuffers {
  params: GPUBuffer;
  h: GPUBuffer;
  /** [h̄; x̄; 0] (K floats); x̄ is written by the host at load. */
  shift: GPUBuffer;
  xz: GPUBuffer;
  z: GPUBuffer;
}

/** The three dispatches of the family. */
export interface Center {
  /** shift[0..r) := time mean of h_{t−1}. */
  means: Recorder;
  /** z := weights from the centred solutions in xz. */
  uncenter: Recorder;
  /** xz := centred form of the weights in z. */
  center: Recorder;
}

/** Builds the centring dispatches. */
export async function createCenter(device: GPUDevice, l: GpuLayout, b: CenterBuffers): Promise<Center> {
  const bindings = { 1: 'read-only-storage', 2: 'storage', 3: 'storage', 4: 'storage' } as const;
  const [mk, uk, ck] = await Promise.all(
    (['means', 'uncenter', 'center'] as const).map((entryPoint) =>
      createComputeKernel(device, { label: `center ${entryPoint}`, source, entryPoint, bindings }),
    ),
  );
  const res = { 0: b.params, 1: b.h, 2: b.shift, 3: b.xz, 4: b.z };
  const [x, y] = grid1d(Math.ceil(l.weightsLen / 256));
  return {
    means: dispatch(mk, mk.bind('center means bind group', res), l.r, 1, l.trials),
    uncenter: dispatch(uk, uk.bind('center uncenter bind group', res), x, y, l.trials),
    center: dispatch(ck, ck.bind('center center bind group', res), x, y, l.trials),
  };
}
