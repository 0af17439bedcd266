// Loading the WebAssembly SIMD kernels (kernels-wasm.ts, built from assembly/kernels.ts) and
// laying out one engine's arrays in its own linear memory. The module is compiled once per
// thread; every engine (a CpuTrial, a BPTT workspace) gets its own instance and memory, sized
// once and never grown, so the Float64Array views over it stay valid for the engine's life.
import { KERNELS_WASM_BASE64 } from './kernels-wasm.ts';

/** The kernels' exports (addresses are byte offsets into the instance's memory). */
export interface KernelExports {
  heapBase(): number;
  rowProducts(out: number, oStride: number, A: number, aStride: number, p: number, B: number, bStride: number, q: number, len: number, lowerOnly: number): void;
  combineRows(out: number, oStride: number, p: number, C: number, cRowStride: number, cColStride: number, q: number, B: number, bStride: number, len: number, initMode: number, init: number): void;
  cholesky(a: number, n: number): number;
  choleskySolveVector(L: number, n: number, x: number): void;
  choleskySolveColumns(L: number, n: number, x: number, stride: number, c0: number, c1: number): void;
  updateU(U: number, pre: number, Xi: number, Zeta: number, hPad: number, S: number, r: number, T: number, gamma: number, mu: number, lambda6: number, leaky: number, omega: number): void;
  bptt(W: number, V: number, b: number, A: number, c: number, x: number, y: number, S: number, r: number, n: number, m: number,
    h: number, dsigma: number, err: number, delta: number, gW: number, gV: number, gb: number, gA: number, gc: number,
    leaky: number, omega: number, scale: number): number;
  scaleAdd(out: number, a: number, x: number, y: number, len: number): void;
  hRhsStart(rhs: number, work: number, U: number, Zeta: number, Xi: number, VXb: number, shift: number, r: number, T: number,
    gamma: number, leaky: number, omega: number): void;
}

/** One instance with its memory and the arrays laid out in it. */
export interface WasmArena<K extends string> {
  exports: KernelExports;
  buffer: ArrayBuffer;
  arrays: Record<K, Float64Array>;
}

const PAGE = 65536;
let compiled: WebAssembly.Module | null | undefined;
let heapBase = 0;

/** The compiled kernels, or null where WebAssembly or its SIMD proposal is missing. Compiled once. */
export function kernelsModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = decodeBase64(KERNELS_WASM_BASE64);
    // validate() is false where SIMD is unsupported: the module uses v128 throughout.
    if (!WebAssembly.validate(bytes)) return null;
    const module = new WebAssembly.Module(bytes);
    // The module's static data ends at heapBase(); the memory is imported, so ask a throw-away
    // instance once.
    const probe = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1 }) } });
    heapBase = align16((probe.exports as unknown as KernelExports).heapBase());
    compiled = module;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** Whether the WebAssembly SIMD kernels can run here. */
export function wasmSimdAvailable(): boolean {
  return kernelsModule() !== null;
}

/**
 * A fresh instance whose memory holds one Float64Array per entry of `lengths` (16-byte aligned,
 * zero-filled), or null where the kernels cannot run or the memory cannot be had.
 */
export function createWasmArena<K extends string>(lengths: Record<K, number>): WasmArena<K> | null {
  const module = kernelsModule();
  if (!module) return null;
  const names = Object.keys(lengths) as K[];
  const base = heapBase;
  let bytes = base;
  for (const k of names) bytes += align16(8 * Math.max(0, Math.ceil(lengths[k])));
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
  } catch {
    return null; // more than the engine's address space (4 GiB) or the page's memory limit
  }
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const buffer = memory.buffer;
  const arrays = {} as Record<K, Float64Array>;
  let at = base;
  for (const k of names) {
    const len = Math.max(0, Math.ceil(lengths[k]));
    arrays[k] = new Float64Array(buffer, at, len);
    at += align16(8 * len);
  }
  return { exports: instance.exports as unknown as KernelExports, buffer, arrays };
}

function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
