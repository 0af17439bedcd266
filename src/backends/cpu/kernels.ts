// The CPU backend's hot loops behind one interface, in two implementations: plain TypeScript
// (linalg.ts, u-update.ts: the reference, and the fallback where WebAssembly SIMD is missing)
// and WebAssembly SIMD (wasm/assembly/kernels.ts). An engine gets its kernels together with its
// arrays (createCpuKernels): the wasm kernels work only on arrays in their own memory.
//
// wasm against js: the dense products sum in another order (SIMD lanes, register tiles), so
// results differ from the TypeScript kernels in the last bits (the parity test bounds each block
// at 1e-13 relative); the u-update is bit-identical. Each path on its own is deterministic.
import { activate } from '../../problem/activations.ts';
import type { Activation } from '../../problem/types.ts';
import { NumericalError, ParameterError } from '../../errors.ts';
import {
  choleskyInPlace, choleskySolveColumns, choleskySolveVector, combineRows, rowProducts,
} from './linalg.ts';
import { updateUBlock, type UCoefficients } from './u-update.ts';
import { createWasmArena, wasmSimdAvailable, type KernelExports } from './wasm/instance.ts';

import type { CpuKernelsChoice } from './kernels-choice.ts';

export type { CpuKernelsChoice } from './kernels-choice.ts';

/** The accepted values of a kernels option, for validation and help texts. */
export const CPU_KERNELS_CHOICES: readonly CpuKernelsChoice[] = ['wasm', 'js'];

let defaultChoice: CpuKernelsChoice = 'wasm';

/** Sets the kernels that engines created without an explicit choice use (default 'wasm'). */
export function setDefaultCpuKernels(choice: CpuKernelsChoice): void {
  defaultChoice = parseCpuKernels(choice);
}

/** The kernels that engines created without an explicit choice use. */
export function defaultCpuKernels(): CpuKernelsChoice {
  return defaultChoice;
}

/** Validates a kernels choice (e.g. from a flag). */
export function parseCpuKernels(text: string): CpuKernelsChoice {
  if (text === 'wasm' || text === 'js') return text;
  throw new ParameterError('cpu kernels', text, "use 'wasm' (WebAssembly SIMD) or 'js' (plain TypeScript)");
}

/** What a choice runs as here: 'wasm' falls back to 'js' where WebAssembly SIMD is missing. */
export function effectiveCpuKernels(choice: CpuKernelsChoice = defaultChoice): CpuKernelsChoice {
  return choice === 'wasm' && wasmSimdAvailable() ? 'wasm' : 'js';
}

/** The dense kernels of one CPU engine; every array argument must come from its createCpuKernels. */
export interface CpuKernels {
  readonly kind: CpuKernelsChoice;
  /** See linalg.ts rowProducts (with lowerOnly, entries above the diagonal near it may be written too). */
  rowProducts(
    out: Float64Array, oOff: number, oStride: number,
    A: Float64Array, aOff: number, aStride: number, p: number,
    B: Float64Array, bOff: number, bStride: number, q: number,
    len: number, lowerOnly?: boolean,
  ): void;
  /** See linalg.ts combineRows. */
  combineRows(
    out: Float64Array, oOff: number, oStride: number, p: number,
    C: Float64Array, cOff: number, cRowStride: number, cColStride: number, q: number,
    B: Float64Array, bOff: number, bStride: number,
    len: number, init: 'zero' | 'keep' | Float64Array,
  ): void;
  /** See linalg.ts choleskyInPlace. */
  choleskyInPlace(a: Float64Array, n: number, what?: string): void;
  /** See linalg.ts choleskySolveColumns. */
  choleskySolveColumns(L: Float64Array, n: number, x: Float64Array, xo: number, stride: number, c0: number, c1: number): void;
  /** See linalg.ts choleskySolveVector. */
  choleskySolveVector(L: Float64Array, n: number, x: Float64Array, xo: number): void;
  /** out[i] = a·x[i] + y[i] for i < len. */
  scaleAdd(out: Float64Array, a: number, x: Float64Array, y: Float64Array, len: number): void;
  /**
   * The h-block's right-hand side before its products, rows i < r of length T:
   * rhs = (γσ(U) − Zeta) − shift_i, work = γ(U − VXb) + Xi.
   */
  hRhsStart(
    act: Activation, gamma: number, rhs: Float64Array, work: Float64Array, U: Float64Array, Zeta: Float64Array,
    Xi: Float64Array, VXb: Float64Array, shift: Float64Array, r: number, T: number,
  ): void;
  /** See u-update.ts updateUBlock. */
  updateU(
    act: Activation, k: UCoefficients, U: Float64Array, pre: Float64Array, Xi: Float64Array, Zeta: Float64Array,
    hPad: Float64Array, S: number, r: number, T: number,
  ): void;
}

/** out[i] = a·x[i] + y[i] for i < len (TypeScript). */
function scaleAdd(out: Float64Array, a: number, x: Float64Array, y: Float64Array, len: number): void {
  for (let i = 0; i < len; i++) out[i] = a * x[i] + y[i];
}

/** CpuKernels.hRhsStart in TypeScript. */
function hRhsStart(
  act: Activation, gamma: number, rhs: Float64Array, work: Float64Array, U: Float64Array, Zeta: Float64Array,
  Xi: Float64Array, VXb: Float64Array, shift: Float64Array, r: number, T: number,
): void {
  for (let i = 0; i < r; i++) {
    const s = shift[i];
    for (let idx = i * T; idx < (i + 1) * T; idx++) {
      rhs[idx] = (gamma * activate(act, U[idx]) - Zeta[idx]) - s;
      work[idx] = gamma * (U[idx] - VXb[idx]) + Xi[idx];
    }
  }
}

/** The plain TypeScript kernels. */
export const JS_KERNELS: CpuKernels = {
  kind: 'js',
  rowProducts, combineRows, choleskyInPlace, choleskySolveColumns, choleskySolveVector, scaleAdd, hRhsStart,
  updateU: updateUBlock,
};

/**
 * Kernels of the chosen kind and zero-filled arrays of the given lengths for them. 'wasm' gives
 * arrays in a fresh WebAssembly memory (falling back to 'js' where SIMD is missing or the memory
 * cannot be had); 'js' gives ordinary Float64Arrays.
 */
export function createCpuKernels<K extends string>(
  choice: CpuKernelsChoice, lengths: Record<K, number>,
): { kernels: CpuKernels; arrays: Record<K, Float64Array> } {
  if (choice === 'wasm') {
    const arena = createWasmArena(lengths);
    if (arena) return { kernels: new WasmKernels(arena.exports, arena.buffer), arrays: arena.arrays };
  }
  const arrays = {} as Record<K, Float64Array>;
  for (const k of Object.keys(lengths) as K[]) arrays[k] = new Float64Array(lengths[k]);
  return { kernels: JS_KERNELS, arrays };
}

/** The WebAssembly SIMD kernels on the arrays of one memory. */
class WasmKernels implements CpuKernels {
  readonly kind = 'wasm' as const;

  constructor(private readonly x: KernelExports, private readonly buffer: ArrayBuffer) {}

  /** Byte address of a[off]; a must be a view of this engine's memory. */
  private at(a: Float64Array, off: number): number {
    if (a.buffer !== this.buffer) throw new Error('wasm kernels: array is not in this engine\'s WebAssembly memory');
    return a.byteOffset + 8 * off;
  }

  rowProducts(
    out: Float64Array, oOff: number, oStride: number,
    A: Float64Array, aOff: number, aStride: number, p: number,
    B: Float64Array, bOff: number, bStride: number, q: number,
    len: number, lowerOnly = false,
  ): void {
    this.x.rowProducts(this.at(out, oOff), oStride, this.at(A, aOff), aStride, p, this.at(B, bOff), bStride, q, len, lowerOnly ? 1 : 0);
  }

  combineRows(
    out: Float64Array, oOff: number, oStride: number, p: number,
    C: Float64Array, cOff: number, cRowStride: number, cColStride: number, q: number,
    B: Float64Array, bOff: number, bStride: number,
    len: number, init: 'zero' | 'keep' | Float64Array,
  ): void {
    const mode = init === 'zero' ? 0 : init === 'keep' ? 1 : 2;
    const initAt = typeof init === 'string' ? 0 : this.at(init, 0);
    this.x.combineRows(this.at(out, oOff), oStride, p, this.at(C, cOff), cRowStride, cColStride, q, this.at(B, bOff), bStride, len, mode, initAt);
  }

  choleskyInPlace(a: Float64Array, n: number, what = 'matrix'): void {
    const j = this.x.cholesky(this.at(a, 0), n);
    if (j >= 0) {
      const d = a[j * n + j];
      throw new NumericalError(`${what} is not positive definite (pivot ${j + 1} of ${n} is ${d === 0 ? '0' : d.toPrecision(3)})`);
    }
  }

  choleskySolveColumns(L: Float64Array, n: number, x: Float64Array, xo: number, stride: number, c0: number, c1: number): void {
    if (c1 > c0) this.x.choleskySolveColumns(this.at(L, 0), n, this.at(x, xo), stride, c0, c1);
  }

  choleskySolveVector(L: Float64Array, n: number, x: Float64Array, xo: number): void {
    this.x.choleskySolveVector(this.at(L, 0), n, this.at(x, xo));
  }

  scaleAdd(out: Float64Array, a: number, x: Float64Array, y: Float64Array, len: number): void {
    this.x.scaleAdd(this.at(out, 0), a, this.at(x, 0), this.at(y, 0), len);
  }

  hRhsStart(
    act: Activation, gamma: number, rhs: Float64Array, work: Float64Array, U: Float64Array, Zeta: Float64Array,
    Xi: Float64Array, VXb: Float64Array, shift: Float64Array, r: number, T: number,
  ): void {
    if (act.kind === 'elu') {
      JS_KERNELS.hRhsStart(act, gamma, rhs, work, U, Zeta, Xi, VXb, shift, r, T);
      return;
    }
    const leaky = act.kind === 'leaky';
    this.x.hRhsStart(this.at(rhs, 0), this.at(work, 0), this.at(U, 0), this.at(Zeta, 0), this.at(Xi, 0), this.at(VXb, 0),
      this.at(shift, 0), r, T, gamma, leaky ? 1 : 0, leaky ? act.omega : 0);
  }

  updateU(
    act: Activation, k: UCoefficients, U: Float64Array, pre: Float64Array, Xi: Float64Array, Zeta: Float64Array,
    hPad: Float64Array, S: number, r: number, T: number,
  ): void {
    // ELU's 1-D search stays in TypeScript (branchy, exp-heavy, a small share of a sweep).
    if (act.kind === 'elu') {
      updateUBlock(act, k, U, pre, Xi, Zeta, hPad, S, r, T);
      return;
    }
    const leaky = act.kind === 'leaky';
    this.x.updateU(this.at(U, 0), this.at(pre, 0), this.at(Xi, 0), this.at(Zeta, 0), this.at(hPad, 0), S, r, T,
      k.gamma, k.mu, k.lambda6, leaky ? 1 : 0, leaky ? act.omega : 0);
  }
}
