// Host side of initial_state.wgsl: s^0 (u_t = W h_{t−1} + V x_t + b, h_t = σ(u_t)) built on the
// device from the weights in z, so loading a long series costs no T·r² loop in JavaScript; the
// recurrence is split into dispatches of bounded length.
import { INITIAL_STATE_WGSL as source } from '../shader-sources.ts';
import type { GpuLayout } from '../layout.ts';
import { createComputeKernel, dispatch, grid1d, sequence, Usage, type Recorder } from './kernel.ts';

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

/**
 * Multiply-adds of W h_{t−1} (r² a step) one recurrence dispatch may do: 2^26, about a quarter
 * of a million sequential ones per invocation, milliseconds on a GPU (a browser's watchdog
 * allows seconds). At r = 512 that is 256 steps a dispatch; at r ≤ 100 and T ≤ 6 700, one.
 */
export const RECURRENCE_MACS_PER_DISPATCH = 2 ** 26;

/** Byte stride of the per-dispatch chunk ranges (WebGPU's minimum uniform offset alignment). */
const CHUNK_STRIDE = 256;

/** The s^0 build, and the buffer of chunk ranges it owns (the caller destroys it with the problem). */
export interface InitialState {
  recorder: Recorder;
  chunks: GPUBuffer;
}

/**
 * The dispatches that write s^0 into `u` and `h`: the input part for all t, then the
 * recurrence in chunks of `stepsPerDispatch` steps (default from RECURRENCE_MACS_PER_DISPATCH).
 */
export async function createInitialState(
  device: GPUDevice, l: GpuLayout, act: number, b: InitialStateBuffers, stepsPerDispatch?: number,
): Promise<InitialState> {
  const ro = 'read-only-storage' as const;
  const bindings = { 1: ro, 2: ro, 3: 'storage', 4: 'storage' } as const;
  const [inputs, recurrence] = await Promise.all([
    createComputeKernel(device, { label: 'initial_state inputs', source, entryPoint: 'inputs', constants: { ACT: act }, bindings }),
    createComputeKernel(device, {
      label: 'initial_state recurrence', source, entryPoint: 'recurrence', constants: { ACT: act }, bindings: { ...bindings, 5: 'uniform' },
    }),
  ]);
  const steps = Math.max(1, Math.floor(stepsPerDispatch ?? RECURRENCE_MACS_PER_DISPATCH / (l.r * l.r)));
  const nChunks = Math.ceil(l.T / steps);
  const ranges = new Uint32Array((nChunks * CHUNK_STRIDE) / 4);
  for (let c = 0; c < nChunks; c++) {
    ranges[(c * CHUNK_STRIDE) / 4] = c * steps;
    ranges[(c * CHUNK_STRIDE) / 4 + 1] = Math.min(l.T, (c + 1) * steps);
  }
  const chunks = device.createBuffer({ label: 's^0 recurrence chunks', size: ranges.byteLength, usage: Usage.UNIFORM | Usage.COPY_DST });
  device.queue.writeBuffer(chunks, 0, ranges);
  const res = { 0: b.params, 1: b.x, 2: b.z, 3: b.u, 4: b.h };
  const [gx, gy] = grid1d(Math.ceil((l.T * l.r) / WG));
  const parts = [dispatch(inputs, inputs.bind('initial_state inputs bind group', res), gx, gy, l.trials)];
  for (let c = 0; c < nChunks; c++) {
    const group = recurrence.bind(`initial_state recurrence bind group (chunk ${c})`, {
      ...res, 5: { buffer: chunks, offset: c * CHUNK_STRIDE, size: 16 },
    });
    parts.push(dispatch(recurrence, group, 1, 1, l.trials));
  }
  return { recorder: sequence('initial state s^0', parts), chunks };
}
