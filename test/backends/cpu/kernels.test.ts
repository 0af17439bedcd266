// The WebAssembly SIMD kernels against the plain TypeScript ones (the reference), kernel by
// kernel, on odd sizes and offsets that exercise every tile and tail: max|Δ|/max|ref| ≤ 1e-13
// for the dense products and solves; the element-wise kernels are bit-identical.
import { NumericalError } from '../../../src/errors.ts';
import { describe, expect, it } from 'vitest';
import {
  createCpuKernels, effectiveCpuKernels, JS_KERNELS, parseCpuKernels, type CpuKernels,
} from '../../../src/backends/cpu/kernels.ts';
import { Rng } from '../../../src/problem/rng.ts';
import type { Activation } from '../../../src/problem/types.ts';
import { maxRelativeDifference } from '../../helpers/allclose.ts';

const PARITY = 1e-13;

/** wasm kernels and arrays of the given lengths, each filled like `fill` fills the js copy. */
function pair<K extends string>(lengths: Record<K, number>, seed: number) {
  const js = createCpuKernels('js', lengths);
  const wasm = createCpuKernels('wasm', lengths);
  const rng = new Rng(seed);
  for (const k of Object.keys(lengths) as K[]) {
    rng.fillNormal(js.arrays[k], 1);
    wasm.arrays[k].set(js.arrays[k]);
  }
  return { js: js.arrays, wasm: wasm.arrays, kj: js.kernels, kw: wasm.kernels };
}

/** An SPD n×n matrix B Bᵀ/n + I. */
function spd(n: number, rng: Rng): Float64Array {
  const b = rng.fillNormal(new Float64Array(n * n), 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
      a[i * n + j] = s / n + (i === j ? 1 : 0);
    }
  }
  return a;
}

describe('wasm kernels', () => {
  it('are available here (Node has WebAssembly SIMD)', () => {
    expect(effectiveCpuKernels('wasm')).toBe('wasm');
    expect(createCpuKernels('wasm', { a: 3 }).kernels.kind).toBe('wasm');
    expect(parseCpuKernels('js')).toBe('js');
    expect(() => parseCpuKernels('simd')).toThrow(/cpu kernels = simd/);
  });

  it('refuse arrays outside their memory', () => {
    const { kernels } = createCpuKernels('wasm', { a: 4 });
    expect(() => kernels.choleskyInPlace(new Float64Array(4), 2)).toThrow(/not in this engine's WebAssembly memory/);
  });

  for (const [p, q, len, lower] of [[1, 1, 1, false], [7, 5, 9, false], [13, 13, 450, true], [9, 9, 31, true], [4, 3, 2, false], [21, 11, 393, false]] as const) {
    it(`rowProducts ${p}×${q} over ${len}${lower ? ' (lower)' : ''}`, () => {
      const aStride = len + 3, bStride = len + 1, oStride = q + 2;
      const { js, wasm, kj, kw } = pair({ out: p * oStride + 5, A: p * aStride + 2, B: q * bStride + 1 }, p * 100 + len);
      const run = (k: CpuKernels, a: typeof js): void => k.rowProducts(a.out, 3, oStride, a.A, 1, aStride, p, a.B, 1, bStride, q, len, lower);
      run(kj, js); run(kw, wasm);
      // Compare the entries both kernels promise: all, or j ≤ i.
      const pick = (a: Float64Array): number[] => {
        const v: number[] = [];
        for (let i = 0; i < p; i++) for (let j = 0; j < (lower ? Math.min(i + 1, q) : q); j++) v.push(a[3 + i * oStride + j]);
        return v;
      };
      expect(maxRelativeDifference(pick(wasm.out), pick(js.out))).toBeLessThan(PARITY);
    });
  }

  for (const [p, q, len, init] of [[1, 1, 1, 'zero'], [5, 7, 9, 'keep'], [100, 450, 181, 'zero'], [13, 30, 450, 'keep'], [6, 3, 11, 'rows'], [3, 101, 7, 'zero']] as const) {
    for (const transposed of [false, true]) {
      it(`combineRows ${p}×${q} over ${len}, init ${init}${transposed ? ', Cᵀ' : ''}`, () => {
        const oStride = len + 1, bStride = len + 2;
        const cRow = transposed ? 1 : q + 1, cCol = transposed ? p + 1 : 1;
        const { js, wasm, kj, kw } = pair({ out: p * oStride + 2, C: (p + 1) * (q + 1) + 1, B: q * bStride + 3, init: p }, p + q + len);
        const run = (k: CpuKernels, a: typeof js): void =>
          k.combineRows(a.out, 1, oStride, p, a.C, 1, cRow, cCol, q, a.B, 2, bStride, len, init === 'rows' ? a.init : init);
        run(kj, js); run(kw, wasm);
        expect(maxRelativeDifference(wasm.out, js.out)).toBeLessThan(PARITY);
      });
    }
  }

  for (const n of [1, 2, 5, 20, 101, 181]) {
    it(`Cholesky factor and solves, n = ${n}`, () => {
      const rng = new Rng(n);
      const cols = 2 * n + 7;
      const { js, wasm, kj, kw } = pair({ L: n * n, X: n * cols, v: n + 1 }, n);
      const a = spd(n, rng);
      js.L.set(a); wasm.L.set(a);
      kj.choleskyInPlace(js.L, n); kw.choleskyInPlace(wasm.L, n);
      const lower = (L: Float64Array): number[] => Array.from({ length: n * n }, (_, k) => (k % n <= Math.floor(k / n) ? L[k] : 0));
      expect(maxRelativeDifference(lower(wasm.L), lower(js.L)), 'factor').toBeLessThan(PARITY);
      // Columns [1, cols − 1): every strip width and tail; then one column alone, then a vector.
      kj.choleskySolveColumns(js.L, n, js.X, 0, cols, 1, cols - 1);
      kw.choleskySolveColumns(wasm.L, n, wasm.X, 0, cols, 1, cols - 1);
      kj.choleskySolveColumns(js.L, n, js.X, 0, cols, cols - 1, cols);
      kw.choleskySolveColumns(wasm.L, n, wasm.X, 0, cols, cols - 1, cols);
      expect(maxRelativeDifference(wasm.X, js.X), 'many right-hand sides').toBeLessThan(PARITY);
      kj.choleskySolveVector(js.L, n, js.v, 1); kw.choleskySolveVector(wasm.L, n, wasm.v, 1);
      expect(maxRelativeDifference(wasm.v, js.v), 'one right-hand side').toBeLessThan(PARITY);
    });
  }

  it('Cholesky names the failing pivot as the TypeScript kernel does', () => {
    const { arrays, kernels } = createCpuKernels('wasm', { a: 4 });
    arrays.a.set([1, 2, 2, 1]);
    // 1-based pivots, a NumericalError (a user-facing breakdown that fails only its own trial in a batch).
    expect(() => kernels.choleskyInPlace(arrays.a, 2, 'the test matrix')).toThrow(NumericalError);
    arrays.a.set([1, 2, 2, 1]);
    expect(() => kernels.choleskyInPlace(arrays.a, 2, 'the test matrix')).toThrow(/the test matrix is not positive definite \(pivot 2 of 2 is -3\.00\)/);
    const js = new Float64Array([1, 2, 2, 1]);
    expect(() => JS_KERNELS.choleskyInPlace(js, 2, 'the test matrix')).toThrow(/the test matrix is not positive definite \(pivot 2 of 2 is -3\.00\)/);
  });

  const acts: Activation[] = [{ kind: 'relu' }, { kind: 'leaky', omega: 0.15 }, { kind: 'elu' }];
  for (const act of acts) {
    it(`u-update (${act.kind}) is bit-identical`, () => {
      const r = 7, T = 33;
      const { js, wasm, kj, kw } = pair({ U: r * T, pre: r * T, Xi: r * T, Zeta: r * T, hPad: r * (T + 1) }, 5);
      const k = { gamma: 3.7, mu: 1e-3, lambda6: 1e-4 };
      kj.updateU(act, k, js.U, js.pre, js.Xi, js.Zeta, js.hPad, T + 1, r, T);
      kw.updateU(act, k, wasm.U, wasm.pre, wasm.Xi, wasm.Zeta, wasm.hPad, T + 1, r, T);
      expect(Array.from(wasm.U)).toEqual(Array.from(js.U));
    });

    it(`h right-hand side start (${act.kind}) and scaleAdd are bit-identical`, () => {
      const r = 5, T = 41;
      const { js, wasm, kj, kw } = pair({ rhs: r * T, work: r * T, U: r * T, Zeta: r * T, Xi: r * T, VXb: r * T, shift: r }, 6);
      kj.hRhsStart(act, 2.3, js.rhs, js.work, js.U, js.Zeta, js.Xi, js.VXb, js.shift, r, T);
      kw.hRhsStart(act, 2.3, wasm.rhs, wasm.work, wasm.U, wasm.Zeta, wasm.Xi, wasm.VXb, wasm.shift, r, T);
      expect(Array.from(wasm.rhs)).toEqual(Array.from(js.rhs));
      expect(Array.from(wasm.work)).toEqual(Array.from(js.work));
      kj.scaleAdd(js.rhs, 1.7, js.U, js.Xi, r * T - 1);
      kw.scaleAdd(wasm.rhs, 1.7, wasm.U, wasm.Xi, r * T - 1);
      expect(Array.from(wasm.rhs)).toEqual(Array.from(js.rhs));
    });
  }
});
