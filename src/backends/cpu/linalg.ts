// Dense float64 kernels of the CPU backend, on flat row-major Float64Arrays. They write into
// caller-provided arrays (no allocation) and keep inner loops contiguous: the backend stores
// its T-long series feature-major (one row per feature), so every long loop runs over time.
import { NumericalError } from '../../errors.ts';

/** Σ_k a[ao+k]·b[bo+k] for k < len, with four accumulators for instruction-level parallelism. */
export function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, len: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += a[ao + k] * b[bo + k];
    s1 += a[ao + k + 1] * b[bo + k + 1];
    s2 += a[ao + k + 2] * b[bo + k + 2];
    s3 += a[ao + k + 3] * b[bo + k + 3];
  }
  for (; k < len; k++) s0 += a[ao + k] * b[bo + k];
  return (s0 + s1) + (s2 + s3);
}

/** Σ_k a[ao+k] for k < len. */
export function sum(a: Float64Array, ao: number, len: number): number {
  let s0 = 0, s1 = 0;
  let k = 0;
  for (; k + 1 < len; k += 2) {
    s0 += a[ao + k];
    s1 += a[ao + k + 1];
  }
  if (k < len) s0 += a[ao + k];
  return s0 + s1;
}

/**
 * out[i*oStride + j] = Σ_k A[aOff + i*aStride + k] · B[bOff + j*bStride + k] (k < len) for
 * i < p, j < q: products of rows, as in X Yᵀ with X, Y stored row by row. With `lowerOnly`
 * (A and B the same rows) only j ≤ i is written. 2×2 register blocks halve the loads per flop.
 */
export function rowProducts(
  out: Float64Array, oOff: number, oStride: number,
  A: Float64Array, aOff: number, aStride: number, p: number,
  B: Float64Array, bOff: number, bStride: number, q: number,
  len: number, lowerOnly = false,
): void {
  let i = 0;
  for (; i + 1 < p; i += 2) {
    const a0 = aOff + i * aStride, a1 = a0 + aStride;
    const jEnd = lowerOnly ? i + 2 : q;
    let j = 0;
    for (; j + 1 < jEnd; j += 2) {
      const b0 = bOff + j * bStride, b1 = b0 + bStride;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let k = 0; k < len; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], y0 = B[b0 + k], y1 = B[b1 + k];
        s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
      }
      const o = oOff + i * oStride + j;
      out[o] = s00; out[o + 1] = s01; out[o + oStride] = s10; out[o + oStride + 1] = s11;
    }
    for (; j < jEnd; j++) {
      const b0 = bOff + j * bStride;
      out[oOff + i * oStride + j] = dot(A, a0, B, b0, len);
      out[oOff + (i + 1) * oStride + j] = dot(A, a1, B, b0, len);
    }
  }
  for (; i < p; i++) {
    const jEnd = lowerOnly ? i + 1 : q;
    for (let j = 0; j < jEnd; j++) out[oOff + i * oStride + j] = dot(A, aOff + i * aStride, B, bOff + j * bStride, len);
  }
}

/** Σ a² over the whole array. */
export function sumSquares(a: Float64Array): number {
  return dot(a, 0, a, 0, a.length);
}

/**
 * Row combinations: out[i,:] = init_i + Σ_j coef(i, j)·B[j,:] over `len` columns, for i < p, j < q,
 * with coef(i, j) = C[cOff + i*cRowStride + j*cColStride] (so Cᵀ is the same call with the
 * strides swapped). B row j starts at bOff + j*bStride; out row i at oOff + i*oStride. `init`
 * is "zero", "keep" (accumulate) or a per-row constant array. Two output rows and four rows of B
 * are combined per pass: each loaded B element serves two rows, each out element is loaded and
 * stored once per four terms — about 1.6× faster than one row at a time in V8.
 */
export function combineRows(
  out: Float64Array, oOff: number, oStride: number, p: number,
  C: Float64Array, cOff: number, cRowStride: number, cColStride: number, q: number,
  B: Float64Array, bOff: number, bStride: number,
  len: number,
  init: 'zero' | 'keep' | Float64Array,
): void {
  for (let i = 0; i < p; i++) {
    const o = oOff + i * oStride;
    if (init === 'zero') out.fill(0, o, o + len);
    else if (init !== 'keep') out.fill(init[i], o, o + len);
  }
  let i = 0;
  for (; i + 1 < p; i += 2) {
    const o0 = oOff + i * oStride, o1 = o0 + oStride;
    const r0 = cOff + i * cRowStride, r1 = r0 + cRowStride;
    let j = 0;
    for (; j + 3 < q; j += 4) {
      const k0 = j * cColStride, k1 = k0 + cColStride, k2 = k1 + cColStride, k3 = k2 + cColStride;
      const c0 = C[r0 + k0], c1 = C[r0 + k1], c2 = C[r0 + k2], c3 = C[r0 + k3];
      const d0 = C[r1 + k0], d1 = C[r1 + k1], d2 = C[r1 + k2], d3 = C[r1 + k3];
      const b0 = bOff + j * bStride, b1 = b0 + bStride, b2 = b1 + bStride, b3 = b2 + bStride;
      for (let k = 0; k < len; k++) {
        const x0 = B[b0 + k], x1 = B[b1 + k], x2 = B[b2 + k], x3 = B[b3 + k];
        out[o0 + k] += c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3;
        out[o1 + k] += d0 * x0 + d1 * x1 + d2 * x2 + d3 * x3;
      }
    }
    for (; j < q; j++) {
      const c0 = C[r0 + j * cColStride], d0 = C[r1 + j * cColStride];
      const b0 = bOff + j * bStride;
      for (let k = 0; k < len; k++) {
        const x0 = B[b0 + k];
        out[o0 + k] += c0 * x0;
        out[o1 + k] += d0 * x0;
      }
    }
  }
  if (i < p) {
    const o0 = oOff + i * oStride;
    const r0 = cOff + i * cRowStride;
    let j = 0;
    for (; j + 3 < q; j += 4) {
      const c0 = C[r0 + j * cColStride], c1 = C[r0 + (j + 1) * cColStride];
      const c2 = C[r0 + (j + 2) * cColStride], c3 = C[r0 + (j + 3) * cColStride];
      const b0 = bOff + j * bStride, b1 = b0 + bStride, b2 = b1 + bStride, b3 = b2 + bStride;
      for (let k = 0; k < len; k++) out[o0 + k] += c0 * B[b0 + k] + c1 * B[b1 + k] + c2 * B[b2 + k] + c3 * B[b3 + k];
    }
    for (; j < q; j++) {
      const c0 = C[r0 + j * cColStride];
      const b0 = bOff + j * bStride;
      for (let k = 0; k < len; k++) out[o0 + k] += c0 * B[b0 + k];
    }
  }
}

/**
 * In-place Cholesky factorisation A = L Lᵀ of an SPD n×n matrix (lower triangle read and
 * overwritten by L; the strict upper triangle is left as is). Throws if A is not positive definite.
 */
export function choleskyInPlace(a: Float64Array, n: number, what = 'matrix'): void {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j] - dot(a, rj, a, rj, j);
    if (!(d > 0)) {
      throw new NumericalError(`${what} is not positive definite (pivot ${j + 1} of ${n} is ${d === 0 ? '0' : d.toPrecision(3)})`);
    }
    d = Math.sqrt(d);
    a[rj + j] = d;
    const inv = 1 / d;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      a[ri + j] = (a[ri + j] - dot(a, ri, a, rj, j)) * inv;
    }
  }
}

/** Solves (L Lᵀ) x = b in place for one vector b stored at x[xo..xo+n). */
export function choleskySolveVector(L: Float64Array, n: number, x: Float64Array, xo: number): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = x[xo + i];
    for (let k = 0; k < i; k++) s -= L[ri + k] * x[xo + k];
    x[xo + i] = s / L[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[xo + i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[xo + k];
    x[xo + i] = s / L[i * n + i];
  }
}

/**
 * Solves (L Lᵀ) X = B in place for many right-hand sides stored as the columns of a feature-major
 * block: X row i (component i of every right-hand side) lives at x[xo + i*stride + c0 .. c1).
 * Each elimination step is an axpy over the columns, so the loops run contiguously.
 */
export function choleskySolveColumns(
  L: Float64Array, n: number, x: Float64Array, xo: number, stride: number, c0: number, c1: number,
): void {
  // Forward: row i −= Σ_{k<i} L[i][k]·row k, four rows k per pass, then scale.
  for (let i = 0; i < n; i++) {
    const xi = xo + i * stride;
    let k = 0;
    for (; k + 3 < i; k += 4) {
      const l0 = L[i * n + k], l1 = L[i * n + k + 1], l2 = L[i * n + k + 2], l3 = L[i * n + k + 3];
      const x0 = xo + k * stride, x1 = x0 + stride, x2 = x1 + stride, x3 = x2 + stride;
      for (let c = c0; c < c1; c++) x[xi + c] -= l0 * x[x0 + c] + l1 * x[x1 + c] + l2 * x[x2 + c] + l3 * x[x3 + c];
    }
    for (; k < i; k++) {
      const l = L[i * n + k];
      const xk = xo + k * stride;
      for (let c = c0; c < c1; c++) x[xi + c] -= l * x[xk + c];
    }
    const inv = 1 / L[i * n + i];
    for (let c = c0; c < c1; c++) x[xi + c] *= inv;
  }
  // Backward with Lᵀ: row i −= Σ_{k>i} L[k][i]·row k.
  for (let i = n - 1; i >= 0; i--) {
    const xi = xo + i * stride;
    let k = i + 1;
    for (; k + 3 < n; k += 4) {
      const l0 = L[k * n + i], l1 = L[(k + 1) * n + i], l2 = L[(k + 2) * n + i], l3 = L[(k + 3) * n + i];
      const x0 = xo + k * stride, x1 = x0 + stride, x2 = x1 + stride, x3 = x2 + stride;
      for (let c = c0; c < c1; c++) x[xi + c] -= l0 * x[x0 + c] + l1 * x[x1 + c] + l2 * x[x2 + c] + l3 * x[x3 + c];
    }
    for (; k < n; k++) {
      const l = L[k * n + i];
      const xk = xo + k * stride;
      for (let c = c0; c < c1; c++) x[xi + c] -= l * x[xk + c];
    }
    const inv = 1 / L[i * n + i];
    for (let c = c0; c < c1; c++) x[xi + c] *= inv;
  }
}

/** Transposes a rows×cols row-major matrix into out (cols×rows). */
export function transpose(a: Float64Array, rows: number, cols: number, out: Float64Array): Float64Array {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}
