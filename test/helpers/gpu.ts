// GPU test plumbing: one WebGPU device per test process (Dawn in Node; SwiftShader without a
// GPU), and small helpers to upload arrays, run recorded dispatches and read results back as float64.
import { beforeAll } from 'vitest';
import { acquireGpu, type AcquiredGpu } from '../../src/backends/webgpu/node-gpu.ts';
import { MAP_READ_MODE, Usage, type Recorder } from '../../src/backends/webgpu/kernels/kernel.ts';

/** Where the process's device lives: on globalThis, which the test files of one process share (module state may not be). */
const SHARED_GPU = Symbol.for('alm-rnn test device');

/**
 * The test process's device, acquired on first use and kept until the process ends (a lost
 * device is replaced on the next call). The GPU test files run in one process (project "gpu" in
 * vitest.config.ts), so they share the device and with it the pipelines compiled for it: the
 * kernels cache them per device, and SwiftShader needs tens of seconds of CPU per fresh set.
 * Tests must not destroy it. A missing adapter is a failure, not a skip: CI installs chromium
 * (SwiftShader) so an adapter must exist.
 */
export function sharedGpu(): Promise<AcquiredGpu> {
  const slot = globalThis as { [SHARED_GPU]?: Promise<AcquiredGpu> };
  let acquiring = slot[SHARED_GPU];
  if (!acquiring) {
    const fresh = acquireGpu();
    slot[SHARED_GPU] = acquiring = fresh;
    fresh.then(
      (gpu) => gpu.device.lost.then(() => { if (slot[SHARED_GPU] === fresh) delete slot[SHARED_GPU]; }),
      () => { if (slot[SHARED_GPU] === fresh) delete slot[SHARED_GPU]; },
    );
  }
  return acquiring;
}

/** The process's shared device (sharedGpu), ready before the file's tests. */
export function useGpu(): { readonly gpu: AcquiredGpu } {
  const holder = {} as { gpu: AcquiredGpu };
  beforeAll(async () => {
    holder.gpu = await sharedGpu();
  });
  return holder;
}

/** A storage buffer holding `data` as f32 (at least `minFloats` long). */
export function upload(device: GPUDevice, data: ArrayLike<number>, label = 'test data', minFloats = 0): GPUBuffer {
  const floats = Math.max(data.length, minFloats, 4);
  const buf = device.createBuffer({ label, size: Math.ceil((floats * 4) / 16) * 16, usage: Usage.STORAGE | Usage.COPY_DST | Usage.COPY_SRC });
  if (data.length > 0) device.queue.writeBuffer(buf, 0, Float32Array.from(data));
  return buf;
}

/** An empty storage buffer of `floats` f32. */
export function storage(device: GPUDevice, floats: number, label = 'test buffer'): GPUBuffer {
  return upload(device, [], label, floats);
}

/** A uniform buffer with the given bytes. */
export function uniform(device: GPUDevice, bytes: ArrayBuffer, label = 'test params'): GPUBuffer {
  const buf = device.createBuffer({ label, size: Math.ceil(bytes.byteLength / 16) * 16, usage: Usage.UNIFORM | Usage.COPY_DST });
  device.queue.writeBuffer(buf, 0, bytes);
  return buf;
}

/** Records the recorders into one pass, submits, and waits. */
export async function run(device: GPUDevice, recorders: Recorder[]): Promise<void> {
  const enc = device.createCommandEncoder({ label: 'test' });
  const pass = enc.beginComputePass({ label: 'test pass' });
  for (const r of recorders) r.record(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
}

/** Reads `floats` f32 from `buffer` (at `offset` floats) as float64. */
export async function read(device: GPUDevice, buffer: GPUBuffer, floats: number, offset = 0): Promise<Float64Array> {
  const size = Math.ceil((floats * 4) / 4) * 4;
  const staging = device.createBuffer({ label: 'test read-back', size: Math.max(16, Math.ceil(size / 16) * 16), usage: Usage.MAP_READ | Usage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buffer, offset * 4, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(MAP_READ_MODE);
  const out = Float64Array.from(new Float32Array(staging.getMappedRange(0, size)));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Collects device errors raised while `fn` runs and throws the first. */
export async function withErrorScope<T>(device: GPUDevice, fn: () => Promise<T>): Promise<T> {
  device.pushErrorScope('validation');
  const out = await fn();
  const err = await device.popErrorScope();
  if (err) throw new Error(`WebGPU validation error: ${err.message}`);
  return out;
}

/** Rounds to f32 (what the GPU sees of a float64 input). */
export function f32(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(a));
}
