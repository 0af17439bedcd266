// Host side of initial_state.wgsl: s^0 (u_t = W h_{t−1} + V x_t + b, h_t = σ(u_t)) built on the
// device from the weights in z, so loading a long series costs no T·r² loop in JavaScript.
import source from '../../../../shaders/initial_state.wgsl?raw';
import type { GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, grid1d, sequence, type Recorder } from './kernel.ts';

/** Buffers of the s^0 build. */
export interface InitialStateBuffers {
  params: GPUBuffer;
  x: GPUBuffer;
  /** Mᵀ = [W V b]ᵀ (K×r) at offset 0. */
  z: GPUBuffer;
  /** Written: u of s^0 (T×r). */
  u: GPUBuffer;
  /** Written: h of s^0 (T×r). */
  h: GPUBuffer;
}

/** Workgroup size of both entry points (initial_state.wgsl's WG). */
const WG = 256;

/** The two dispatches that write s^0 into `u` and `h`: the input part for all t, then the recurrence. */
export async function createInitialState(device: GPUDevice, l: GpuLayout, act: number, b: InitialStateBuffers): Promise<Recorder> {
  const ro = 'read-only-storage' as const;
  const bindings = { 1: ro, 2: ro, 3: 'storage', 4: 'storage' } as const;
  const [inputs, recurrence] = await Promise.all([
    createComputeKernel(device, { label: 'initial_state inputs', source, entryPoint: 'inputs', constants: { ACT: act }, bindings }),
    createComputeKernel(device, { label: 'initial_state recurrence', source, entryPoint: 'recurrence', constants: { ACT: act }, bindings }),
  ]);
  const res = { 0: b.params, 1: b.x, 2: b.z, 3: b.u, 4: b.h };
  const [gx, gy] = grid1d(Math.ceil((l.T * l.r) / WG));
  return sequence('initial state s^0', [
    dispatch(inputs, inputs.bind('initial_state inputs bind group', res), gx, gy),
    dispatch(recurrence, recurrence.bind('initial_state recurrence bind group', res), 1),
  ]);
}
