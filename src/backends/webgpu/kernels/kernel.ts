// Shared host plumbing of the kernels: shader modules with the common prelude, pipelines with
// explicit bind group layouts (so validation errors name the kernel), and dispatch recorders.
import { COMMON_WGSL as commonSource, TILE_WGSL as tileSource } from '../shader-sources.ts';

/** GPUBufferUsage / GPUMapMode values (local, so nothing depends on the globals being installed). */
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MAP_READ_MODE = 0x1;

/** How a kernel's binding is declared in WGSL. */
export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';

/** What a pipeline is built from. Binding 0 is always the Params uniform of common.wgsl. */
export interface KernelSpec {
  label: string;
  /** The family's WGSL (without the prelude). */
  source: string;
  /** Prepend tile.wgsl (the tiled-product core) after common.wgsl. */
  tiled?: boolean;
  entryPoint: string;
  constants?: Record<string, number>;
  /** Bindings this entry point uses, besides binding 0 (Params). */
  bindings: Record<number, BindingKind>;
}

/** A compiled pipeline and the layout its bind groups must follow. */
export interface ComputeKernel {
  label: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** A bind group over the given buffers (binding number → buffer or buffer range). */
  bind(label: string, resources: Record<number, GPUBuffer | GPUBufferBinding>): GPUBindGroup;
}

/** One dispatch (or a fixed group of dispatches) that can be recorded into a compute pass. */
export interface Recorder {
  readonly label: string;
  readonly dispatches: number;
  record(pass: GPUComputePassEncoder): void;
}

/** A pipeline could not be built; carries the compiler's messages. */
export class GpuPipelineError extends Error {
  override name = 'GpuPipelineError';
}

const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

/** The full WGSL text of a kernel: prelude + (tile core) + family source. */
export function kernelSource(source: string, tiled = false): string {
  return `${commonSource}\n${tiled ? tileSource : ''}\n${source}`;
}

function shaderModule(device: GPUDevice, label: string, code: string): GPUShaderModule {
  let cache = moduleCache.get(device);
  if (!cache) moduleCache.set(device, (cache = new Map()));
  let mod = cache.get(code);
  if (!mod) {
    mod = device.createShaderModule({ label, code });
    cache.set(code, mod);
  }
  return mod;
}

const kernelCache = new WeakMap<GPUDevice, Map<string, Promise<ComputeKernel>>>();

/**
 * Compiles one entry point into a pipeline with an explicit layout (Params at binding 0).
 * Pipelines are cached per device, so loading another problem of the same activation reuses them.
 */
export function createComputeKernel(device: GPUDevice, spec: KernelSpec): Promise<ComputeKernel> {
  let cache = kernelCache.get(device);
  if (!cache) kernelCache.set(device, (cache = new Map()));
  const key = JSON.stringify([spec.label, spec.source, spec.tiled ?? false, spec.entryPoint, spec.constants ?? {}, spec.bindings]);
  let k = cache.get(key);
  if (!k) {
    k = buildKernel(device, spec);
    cache.set(key, k);
    k.catch(() => cache.delete(key));
  }
  return k;
}

async function buildKernel(device: GPUDevice, spec: KernelSpec): Promise<ComputeKernel> {
  const code = kernelSource(spec.source, spec.tiled);
  const module = shaderModule(device, `${spec.label} module`, code);
  const entries: GPUBindGroupLayoutEntry[] = [
    { binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'uniform' } },
  ];
  for (const [b, kind] of Object.entries(spec.bindings)) {
    entries.push({ binding: Number(b), visibility: 4, buffer: { type: kind } });
  }
  const layout = device.createBindGroupLayout({ label: `${spec.label} bind group layout`, entries });
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({
      label: spec.label,
      layout: device.createPipelineLayout({ label: `${spec.label} layout`, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entryPoint, constants: spec.constants },
    });
  } catch (e) {
    let messages = '';
    try {
      const info = await module.getCompilationInfo();
      messages = info.messages.map((m) => `\n  ${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}`).join('');
    } catch {
      /* compilation info is optional */
    }
    throw new GpuPipelineError(`pipeline "${spec.label}" could not be created: ${(e as Error).message}${messages}`);
  }
  return {
    label: spec.label,
    pipeline,
    layout,
    bind(label, resources) {
      return device.createBindGroup({
        label,
        layout,
        entries: Object.entries(resources).map(([b, r]) => ({
          binding: Number(b),
          resource: 'buffer' in r ? r : { buffer: r },
        })),
      });
    },
  };
}

/** Splits a 1-D workgroup count over x and y so that neither exceeds `max` (65 535, WebGPU's minimum limit). */
export function grid1d(workgroups: number, max = 65535): [number, number] {
  if (workgroups <= max) return [Math.max(1, workgroups), 1];
  const y = Math.ceil(workgroups / max);
  return [Math.ceil(workgroups / y), y];
}

/** A recorder for one dispatch of `kernel` with `group` over an x×y×z grid. */
export function dispatch(kernel: ComputeKernel, group: GPUBindGroup, x: number, y = 1, z = 1, label = kernel.label): Recorder {
  return {
    label,
    dispatches: 1,
    record(pass) {
      pass.setPipeline(kernel.pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(x, y, z);
    },
  };
}

/** Several recorders in sequence, as one. */
export function sequence(label: string, parts: Recorder[]): Recorder {
  return {
    label,
    dispatches: parts.reduce((s, p) => s + p.dispatches, 0),
    record(pass) {
      for (const p of parts) p.record(pass);
    },
  };
}

/** Rounds up to a multiple of `a`. */
export function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}
