// Host side of cholesky.wgsl: factorise-and-solve of augmented SPD systems, one workgroup each.
import source from '../../../../shaders/cholesky.wgsl?raw';
import { createComputeKernel, dispatch, Usage, type Recorder } from './kernel.ts';

/** One augmented system [A | B] in the systems buffer (offsets and sizes in f32 elements). */
export interface SpdSystem {
  off: number;
  n: number;
  nrhs: number;
  /** Where the n×nrhs solution goes in the output buffer. */
  outOff: number;
  /** 0 P-system, 1 Q-system, 2 h-system 1, 3 h-system 2 (refine.wgsl scales residuals by kind). */
  kind: number;
}

/** Packs system descriptors as the `Sys` structs of the shaders (8 u32 each). */
export function packSystems(systems: SpdSystem[]): Uint32Array<ArrayBuffer> {
  const d = new Uint32Array(systems.length * 8);
  systems.forEach((s, i) => d.set([s.off, s.n, s.nrhs, s.outOff, s.kind, 0, 0, 0], i * 8));
  return d;
}

/** Recorders for one set of systems: factorise + solve (overwrite), and re-solve (add). */
export interface Cholesky {
  factorSolve: Recorder;
  resolve: Recorder;
  /** The descriptor buffer (shared with refine.ts). */
  descriptors: GPUBuffer;
}

/** Builds the factorise-and-solve and re-solve dispatches for `systems` stored in `a`, solutions into `out`. */
export async function createCholesky(
  device: GPUDevice, label: string, systems: SpdSystem[], params: GPUBuffer, a: GPUBuffer, out: GPUBuffer,
): Promise<Cholesky> {
  const bindings = { 1: 'storage', 2: 'storage', 3: 'read-only-storage' } as const;
  const [fk, rk] = await Promise.all([
    createComputeKernel(device, { label: `cholesky factor_solve (${label})`, source, entryPoint: 'factor_solve', bindings }),
    createComputeKernel(device, { label: `cholesky resolve (${label})`, source, entryPoint: 'resolve', bindings }),
  ]);
  const packed = packSystems(systems);
  const descriptors = device.createBuffer({ label: `${label} system descriptors`, size: packed.byteLength, usage: Usage.STORAGE | Usage.COPY_DST });
  device.queue.writeBuffer(descriptors, 0, packed);
  const res = { 0: params, 1: a, 2: out, 3: descriptors };
  return {
    factorSolve: dispatch(fk, fk.bind(`cholesky factor_solve (${label}) bind group`, res), systems.length),
    resolve: dispatch(rk, rk.bind(`cholesky resolve (${label}) bind group`, res), systems.length),
    descriptors,
  };
}
