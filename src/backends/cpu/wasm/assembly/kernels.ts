// kernels.ts (AssemblyScript) — the float64 hot loops of the CPU backend and of the BPTT
// baselines as WebAssembly with 128-bit SIMD (f64x2). Built by bin/build-wasm.mjs into
// src/backends/cpu/wasm/kernels-wasm.ts (base64); test/backends/cpu/wasm/build.test.ts rebuilds
// it and compares the bytes, so this file stays the truth.
//
// Conventions: every array argument is a byte address in the linear memory (which the host
// creates and imports, sized once: nothing here allocates); strides and lengths count float64
// elements. Each kernel computes what the plain TypeScript kernel of the same name in
// ../../linalg.ts (or u-update.ts, baselines/bptt.ts) computes, with sums taken in a different
// order (two lanes, register tiles), so results agree to rounding, not bit for bit; the u-update
// is the exception, its arithmetic is the reference's operation by operation and bit-identical.
//
// Register tiles are sized for x64's 16 XMM registers (V8 keeps one as scratch): at most 8
// accumulators plus the operands of one step. No FMA: wasm's relaxed-simd madd may or may not
// fuse depending on the machine, and results must be the same everywhere.

@inline function zero(): v128 { return f64x2.splat(0); }
@inline function hsum(v: v128): f64 { return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1); }
@inline function madd(acc: v128, a: v128, b: v128): v128 { return f64x2.add(acc, f64x2.mul(a, b)); }
@inline function msub(acc: v128, a: v128, b: v128): v128 { return f64x2.sub(acc, f64x2.mul(a, b)); }
@inline function el(p: usize, i: i32): usize { return p + (<usize>i << 3); }

/** The first free byte after this module's static data: where the host may start its arrays. */
export function heapBase(): usize {
  return __heap_base;
}

/** Σ_k a[k]·b[k], k < len. */
function dot(a: usize, b: usize, len: i32): f64 {
  let s0 = zero(), s1 = zero();
  let k = 0;
  for (; k + 3 < len; k += 4) {
    const o = el(0, k);
    s0 = madd(s0, v128.load(a + o), v128.load(b + o));
    s1 = madd(s1, v128.load(a + o, 16), v128.load(b + o, 16));
  }
  if (k + 1 < len) {
    const o = el(0, k);
    s0 = madd(s0, v128.load(a + o), v128.load(b + o));
    k += 2;
  }
  let s = hsum(f64x2.add(s0, s1));
  if (k < len) s += load<f64>(el(a, k)) * load<f64>(el(b, k));
  return s;
}

// ---- rowProducts: out[i*os + j] = Σ_k A[i*as + k]·B[j*bs + k] -------------------------------

/** One 4×2 tile of rowProducts: rows a, a+as, a+2as, a+3as against b, b+bs. */
@inline function rp4x2(o: usize, os: usize, a: usize, as: usize, b: usize, bs: usize, len: i32): void {
  const a1 = a + as, a2 = a1 + as, a3 = a2 + as, b1 = b + bs;
  let c00 = zero(), c01 = zero(), c10 = zero(), c11 = zero();
  let c20 = zero(), c21 = zero(), c30 = zero(), c31 = zero();
  let k = 0;
  for (; k + 1 < len; k += 2) {
    const off = el(0, k);
    const y0 = v128.load(b + off), y1 = v128.load(b1 + off);
    let x = v128.load(a + off);
    c00 = madd(c00, x, y0); c01 = madd(c01, x, y1);
    x = v128.load(a1 + off);
    c10 = madd(c10, x, y0); c11 = madd(c11, x, y1);
    x = v128.load(a2 + off);
    c20 = madd(c20, x, y0); c21 = madd(c21, x, y1);
    x = v128.load(a3 + off);
    c30 = madd(c30, x, y0); c31 = madd(c31, x, y1);
  }
  let s00 = hsum(c00), s01 = hsum(c01), s10 = hsum(c10), s11 = hsum(c11);
  let s20 = hsum(c20), s21 = hsum(c21), s30 = hsum(c30), s31 = hsum(c31);
  if (k < len) {
    const off = el(0, k);
    const y0 = load<f64>(b + off), y1 = load<f64>(b1 + off);
    const x0 = load<f64>(a + off), x1 = load<f64>(a1 + off), x2 = load<f64>(a2 + off), x3 = load<f64>(a3 + off);
    s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
    s20 += x2 * y0; s21 += x2 * y1; s30 += x3 * y0; s31 += x3 * y1;
  }
  store<f64>(o, s00); store<f64>(o, s01, 8);
  store<f64>(o + os, s10); store<f64>(o + os, s11, 8);
  store<f64>(o + 2 * os, s20); store<f64>(o + 2 * os, s21, 8);
  store<f64>(o + 3 * os, s30); store<f64>(o + 3 * os, s31, 8);
}

/** One 1×2 tile of rowProducts. */
@inline function rp1x2(o: usize, a: usize, b: usize, bs: usize, len: i32): void {
  const b1 = b + bs;
  let c0 = zero(), c1 = zero(), d0 = zero(), d1 = zero();
  let k = 0;
  for (; k + 3 < len; k += 4) {
    const off = el(0, k);
    const x = v128.load(a + off), xx = v128.load(a + off, 16);
    c0 = madd(c0, x, v128.load(b + off)); c1 = madd(c1, x, v128.load(b1 + off));
    d0 = madd(d0, xx, v128.load(b + off, 16)); d1 = madd(d1, xx, v128.load(b1 + off, 16));
  }
  if (k + 1 < len) {
    const off = el(0, k);
    const x = v128.load(a + off);
    c0 = madd(c0, x, v128.load(b + off)); c1 = madd(c1, x, v128.load(b1 + off));
    k += 2;
  }
  let s0 = hsum(f64x2.add(c0, d0)), s1 = hsum(f64x2.add(c1, d1));
  if (k < len) {
    const x = load<f64>(el(a, k));
    s0 += x * load<f64>(el(b, k)); s1 += x * load<f64>(el(b1, k));
  }
  store<f64>(o, s0); store<f64>(o, s1, 8);
}

/**
 * Products of rows: out[i*oStride + j] = Σ_k A[i*aStride + k]·B[j*bStride + k] (k < len), i < p,
 * j < q. With lowerOnly (A and B the same rows) the tiles that meet the lower triangle are
 * computed: every j ≤ i, and some j > i within the 4×4 diagonal tiles.
 */
export function rowProducts(
  out: usize, oStride: i32, A: usize, aStride: i32, p: i32, B: usize, bStride: i32, q: i32, len: i32, lowerOnly: i32,
): void {
  const os = el(0, oStride), as = el(0, aStride), bs = el(0, bStride);
  let i = 0;
  for (; i + 3 < p; i += 4) {
    const a0 = A + <usize>i * as, o0 = out + <usize>i * os;
    const jEnd = lowerOnly ? min(i + 4, q) : q;
    let j = 0;
    for (; j + 1 < jEnd; j += 2) rp4x2(el(o0, j), os, a0, as, B + <usize>j * bs, bs, len);
    for (; j < jEnd; j++) {
      const bj = B + <usize>j * bs;
      for (let ii = 0; ii < 4; ii++) store<f64>(el(o0 + <usize>ii * os, j), dot(a0 + <usize>ii * as, bj, len));
    }
  }
  for (; i < p; i++) {
    const a0 = A + <usize>i * as, o0 = out + <usize>i * os;
    const jEnd = lowerOnly ? min(i + 1, q) : q;
    let j = 0;
    for (; j + 1 < jEnd; j += 2) rp1x2(el(o0, j), a0, B + <usize>j * bs, bs, len);
    if (j < jEnd) store<f64>(el(o0, j), dot(a0, B + <usize>j * bs, len));
  }
}

// ---- combineRows: out[i, k] = init_i + Σ_j C(i, j)·B[j*bs + k] --------------------------------

const INIT_ZERO = 0;
const INIT_KEEP = 1;
// 2: per-row constants at `init`.

@inline function initVec(mode: i32, o: usize, init: usize, i: i32): v128 {
  if (mode == INIT_ZERO) return zero();
  if (mode == INIT_KEEP) return v128.load(o);
  return f64x2.splat(load<f64>(el(init, i)));
}

@inline function initScalar(mode: i32, o: usize, init: usize, i: i32): f64 {
  if (mode == INIT_ZERO) return 0;
  if (mode == INIT_KEEP) return load<f64>(o);
  return load<f64>(el(init, i));
}

/** Four output rows i..i+3 of combineRows over columns [0, len). */
function combine4(
  o: usize, os: usize, i: i32, c: usize, crs: usize, ccs: usize, q: i32, B: usize, bs: usize, len: i32,
  mode: i32, init: usize,
): void {
  const o1 = o + os, o2 = o1 + os, o3 = o2 + os;
  const c1 = c + crs, c2 = c1 + crs, c3 = c2 + crs;
  let k = 0;
  // 4 rows × 4 columns: 8 accumulators; per term two loads of B and four broadcasts of C.
  for (; k + 3 < len; k += 4) {
    const off = el(0, k);
    let a0 = initVec(mode, o + off, init, i), a1 = initVec(mode, o + off + 16, init, i);
    let b0 = initVec(mode, o1 + off, init, i + 1), b1 = initVec(mode, o1 + off + 16, init, i + 1);
    let d0 = initVec(mode, o2 + off, init, i + 2), d1 = initVec(mode, o2 + off + 16, init, i + 2);
    let e0 = initVec(mode, o3 + off, init, i + 3), e1 = initVec(mode, o3 + off + 16, init, i + 3);
    let bj = B + off, cj: usize = 0;
    for (let j = 0; j < q; j++) {
      const x0 = v128.load(bj), x1 = v128.load(bj, 16);
      let s = v128.load64_splat(c + cj);
      a0 = madd(a0, s, x0); a1 = madd(a1, s, x1);
      s = v128.load64_splat(c1 + cj);
      b0 = madd(b0, s, x0); b1 = madd(b1, s, x1);
      s = v128.load64_splat(c2 + cj);
      d0 = madd(d0, s, x0); d1 = madd(d1, s, x1);
      s = v128.load64_splat(c3 + cj);
      e0 = madd(e0, s, x0); e1 = madd(e1, s, x1);
      bj += bs; cj += ccs;
    }
    v128.store(o + off, a0); v128.store(o + off, a1, 16);
    v128.store(o1 + off, b0); v128.store(o1 + off, b1, 16);
    v128.store(o2 + off, d0); v128.store(o2 + off, d1, 16);
    v128.store(o3 + off, e0); v128.store(o3 + off, e1, 16);
  }
  if (k + 1 < len) {
    const off = el(0, k);
    let a0 = initVec(mode, o + off, init, i), b0 = initVec(mode, o1 + off, init, i + 1);
    let d0 = initVec(mode, o2 + off, init, i + 2), e0 = initVec(mode, o3 + off, init, i + 3);
    let bj = B + off, cj: usize = 0;
    for (let j = 0; j < q; j++) {
      const x0 = v128.load(bj);
      a0 = madd(a0, v128.load64_splat(c + cj), x0);
      b0 = madd(b0, v128.load64_splat(c1 + cj), x0);
      d0 = madd(d0, v128.load64_splat(c2 + cj), x0);
      e0 = madd(e0, v128.load64_splat(c3 + cj), x0);
      bj += bs; cj += ccs;
    }
    v128.store(o + off, a0); v128.store(o1 + off, b0); v128.store(o2 + off, d0); v128.store(o3 + off, e0);
    k += 2;
  }
  if (k < len) {
    const off = el(0, k);
    let a0 = initScalar(mode, o + off, init, i), b0 = initScalar(mode, o1 + off, init, i + 1);
    let d0 = initScalar(mode, o2 + off, init, i + 2), e0 = initScalar(mode, o3 + off, init, i + 3);
    let bj = B + off, cj: usize = 0;
    for (let j = 0; j < q; j++) {
      const x0 = load<f64>(bj);
      a0 += load<f64>(c + cj) * x0; b0 += load<f64>(c1 + cj) * x0;
      d0 += load<f64>(c2 + cj) * x0; e0 += load<f64>(c3 + cj) * x0;
      bj += bs; cj += ccs;
    }
    store<f64>(o + off, a0); store<f64>(o1 + off, b0); store<f64>(o2 + off, d0); store<f64>(o3 + off, e0);
  }
}

/** One output row i of combineRows over columns [0, len). */
function combine1(
  o: usize, i: i32, c: usize, ccs: usize, q: i32, B: usize, bs: usize, len: i32, mode: i32, init: usize,
): void {
  let k = 0;
  for (; k + 7 < len; k += 8) {
    const off = el(0, k);
    let a0 = initVec(mode, o + off, init, i), a1 = initVec(mode, o + off + 16, init, i);
    let a2 = initVec(mode, o + off + 32, init, i), a3 = initVec(mode, o + off + 48, init, i);
    let bj = B + off, cj: usize = 0;
    for (let j = 0; j < q; j++) {
      const s = v128.load64_splat(c + cj);
      a0 = madd(a0, s, v128.load(bj)); a1 = madd(a1, s, v128.load(bj, 16));
      a2 = madd(a2, s, v128.load(bj, 32)); a3 = madd(a3, s, v128.load(bj, 48));
      bj += bs; cj += ccs;
    }
    v128.store(o + off, a0); v128.store(o + off, a1, 16); v128.store(o + off, a2, 32); v128.store(o + off, a3, 48);
  }
  for (; k + 1 < len; k += 2) {
    const off = el(0, k);
    let a0 = initVec(mode, o + off, init, i);
    let bj = B + off, cj: usize = 0;
    for (let j = 0; j < q; j++) {
      a0 = madd(a0, v128.load64_splat(c + cj), v128.load(bj));
      bj += bs; cj += ccs;
    }
    v128.store(o + off, a0);
  }
  if (k < len) {
    const off = el(0, k);
    let a0 = initScalar(mode, o + off, init, i);
    let bj = B + off, cj: usize = 0;
    for (let j = 0; j < q; j++) {
      a0 += load<f64>(c + cj) * load<f64>(bj);
      bj += bs; cj += ccs;
    }
    store<f64>(o + off, a0);
  }
}

/**
 * Row combinations: out[i*oStride + k] = init_i + Σ_j C[i*cRowStride + j*cColStride]·B[j*bStride + k]
 * for i < p, j < q, k < len. initMode: 0 zero, 1 keep (accumulate into out), 2 per-row constants at `init`.
 */
export function combineRows(
  out: usize, oStride: i32, p: i32, C: usize, cRowStride: i32, cColStride: i32, q: i32,
  B: usize, bStride: i32, len: i32, initMode: i32, init: usize,
): void {
  const os = el(0, oStride), crs = el(0, cRowStride), ccs = el(0, cColStride), bs = el(0, bStride);
  let i = 0;
  for (; i + 3 < p; i += 4) combine4(out + <usize>i * os, os, i, C + <usize>i * crs, crs, ccs, q, B, bs, len, initMode, init);
  for (; i < p; i++) combine1(out + <usize>i * os, i, C + <usize>i * crs, ccs, q, B, bs, len, initMode, init);
}

// ---- Cholesky factorisation and solves ----------------------------------------------------------

/**
 * In-place Cholesky factor A = L Lᵀ of an SPD n×n matrix (lower triangle read and overwritten).
 * Returns −1, or the index j of the first pivot that is not positive (its value left in a[j][j]).
 */
export function cholesky(a: usize, n: i32): i32 {
  const ns = el(0, n);
  for (let j = 0; j < n; j++) {
    const rj = a + <usize>j * ns;
    let d = load<f64>(el(rj, j)) - dot(rj, rj, j);
    if (!(d > 0)) {
      store<f64>(el(rj, j), d);
      return j;
    }
    d = Math.sqrt(d);
    store<f64>(el(rj, j), d);
    const inv = 1 / d;
    let i = j + 1;
    // Four rows per pass share the loads of row j.
    for (; i + 3 < n; i += 4) {
      const r0 = a + <usize>i * ns, r1 = r0 + ns, r2 = r1 + ns, r3 = r2 + ns;
      let s0 = zero(), s1 = zero(), s2 = zero(), s3 = zero();
      let k = 0;
      for (; k + 1 < j; k += 2) {
        const off = el(0, k);
        const y = v128.load(rj + off);
        s0 = madd(s0, v128.load(r0 + off), y); s1 = madd(s1, v128.load(r1 + off), y);
        s2 = madd(s2, v128.load(r2 + off), y); s3 = madd(s3, v128.load(r3 + off), y);
      }
      let t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
      if (k < j) {
        const y = load<f64>(el(rj, k));
        t0 += load<f64>(el(r0, k)) * y; t1 += load<f64>(el(r1, k)) * y;
        t2 += load<f64>(el(r2, k)) * y; t3 += load<f64>(el(r3, k)) * y;
      }
      store<f64>(el(r0, j), (load<f64>(el(r0, j)) - t0) * inv);
      store<f64>(el(r1, j), (load<f64>(el(r1, j)) - t1) * inv);
      store<f64>(el(r2, j), (load<f64>(el(r2, j)) - t2) * inv);
      store<f64>(el(r3, j), (load<f64>(el(r3, j)) - t3) * inv);
    }
    for (; i < n; i++) {
      const ri = a + <usize>i * ns;
      store<f64>(el(ri, j), (load<f64>(el(ri, j)) - dot(ri, rj, j)) * inv);
    }
  }
  return -1;
}

/** Solves (L Lᵀ) x = b in place for one vector x[0..n). */
export function choleskySolveVector(L: usize, n: i32, x: usize): void {
  const ns = el(0, n);
  for (let i = 0; i < n; i++) {
    const ri = L + <usize>i * ns;
    store<f64>(el(x, i), (load<f64>(el(x, i)) - dot(ri, x, i)) / load<f64>(el(ri, i)));
  }
  // Lᵀ x = y by columns of Lᵀ (rows of L, contiguous): x_i /= L_ii, then x[0..i) −= x_i·L[i][0..i).
  for (let i = n - 1; i >= 0; i--) {
    const ri = L + <usize>i * ns;
    const xi = load<f64>(el(x, i)) / load<f64>(el(ri, i));
    store<f64>(el(x, i), xi);
    const s = f64x2.splat(xi);
    let k = 0;
    for (; k + 1 < i; k += 2) {
      const off = el(0, k);
      v128.store(x + off, msub(v128.load(x + off), s, v128.load(ri + off)));
    }
    if (k < i) store<f64>(el(x, k), load<f64>(el(x, k)) - xi * load<f64>(el(ri, k)));
  }
}

/** Forward and backward substitution for one strip of 4 columns at x (row stride xs bytes). */
function solveStrip4(L: usize, n: i32, x: usize, xs: usize): void {
  const ns = el(0, n);
  // Forward, two rows per pass: rows i and i+1 share the loads of rows k < i; then row i+1
  // takes row i's final value.
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const xi = x + <usize>i * xs, xj = xi + xs;
    const li = L + <usize>i * ns, lj = li + ns;
    let a0 = v128.load(xi), a1 = v128.load(xi, 16), b0 = v128.load(xj), b1 = v128.load(xj, 16);
    let xk = x;
    for (let k = 0; k < i; k++) {
      const y0 = v128.load(xk), y1 = v128.load(xk, 16);
      const l = v128.load64_splat(el(li, k)), m = v128.load64_splat(el(lj, k));
      a0 = msub(a0, l, y0); a1 = msub(a1, l, y1);
      b0 = msub(b0, m, y0); b1 = msub(b1, m, y1);
      xk += xs;
    }
    const inv = f64x2.splat(1 / load<f64>(el(li, i)));
    a0 = f64x2.mul(a0, inv); a1 = f64x2.mul(a1, inv);
    v128.store(xi, a0); v128.store(xi, a1, 16);
    const l = v128.load64_splat(el(lj, i));
    b0 = msub(b0, l, a0); b1 = msub(b1, l, a1);
    const invj = f64x2.splat(1 / load<f64>(el(lj, i + 1)));
    v128.store(xj, f64x2.mul(b0, invj)); v128.store(xj, f64x2.mul(b1, invj), 16);
  }
  if (i < n) {
    const xi = x + <usize>i * xs, li = L + <usize>i * ns;
    let a0 = v128.load(xi), a1 = v128.load(xi, 16);
    let xk = x;
    for (let k = 0; k < i; k++) {
      const l = v128.load64_splat(el(li, k));
      a0 = msub(a0, l, v128.load(xk)); a1 = msub(a1, l, v128.load(xk, 16));
      xk += xs;
    }
    const inv = f64x2.splat(1 / load<f64>(el(li, i)));
    v128.store(xi, f64x2.mul(a0, inv)); v128.store(xi, f64x2.mul(a1, inv), 16);
  }
  // Backward with Lᵀ: row i −= Σ_{k>i} L[k][i]·row k; rows i and i−1 per pass.
  i = n - 1;
  for (; i >= 1; i -= 2) {
    const xi = x + <usize>i * xs, xj = xi - xs;
    let a0 = v128.load(xi), a1 = v128.load(xi, 16), b0 = v128.load(xj), b1 = v128.load(xj, 16);
    for (let k = i + 1; k < n; k++) {
      const xk = x + <usize>k * xs, lk = L + <usize>k * ns;
      const y0 = v128.load(xk), y1 = v128.load(xk, 16);
      const l = v128.load64_splat(el(lk, i)), m = v128.load64_splat(el(lk, i - 1));
      a0 = msub(a0, l, y0); a1 = msub(a1, l, y1);
      b0 = msub(b0, m, y0); b1 = msub(b1, m, y1);
    }
    const li = L + <usize>i * ns;
    const inv = f64x2.splat(1 / load<f64>(el(li, i)));
    a0 = f64x2.mul(a0, inv); a1 = f64x2.mul(a1, inv);
    v128.store(xi, a0); v128.store(xi, a1, 16);
    const l = v128.load64_splat(el(li, i - 1));
    b0 = msub(b0, l, a0); b1 = msub(b1, l, a1);
    const invj = f64x2.splat(1 / load<f64>(el(li - ns, i - 1)));
    v128.store(xj, f64x2.mul(b0, invj)); v128.store(xj, f64x2.mul(b1, invj), 16);
  }
  if (i == 0) {
    let a0 = v128.load(x), a1 = v128.load(x, 16);
    for (let k = 1; k < n; k++) {
      const xk = x + <usize>k * xs;
      const l = v128.load64_splat(L + <usize>k * ns);
      a0 = msub(a0, l, v128.load(xk)); a1 = msub(a1, l, v128.load(xk, 16));
    }
    const inv = f64x2.splat(1 / load<f64>(L));
    v128.store(x, f64x2.mul(a0, inv)); v128.store(x, f64x2.mul(a1, inv), 16);
  }
}

/** Forward and backward substitution for one strip of 2 columns (one vector). */
function solveStrip2(L: usize, n: i32, x: usize, xs: usize): void {
  const ns = el(0, n);
  for (let i = 0; i < n; i++) {
    const xi = x + <usize>i * xs, li = L + <usize>i * ns;
    let a = v128.load(xi);
    let xk = x;
    for (let k = 0; k < i; k++) {
      a = msub(a, v128.load64_splat(el(li, k)), v128.load(xk));
      xk += xs;
    }
    v128.store(xi, f64x2.mul(a, f64x2.splat(1 / load<f64>(el(li, i)))));
  }
  for (let i = n - 1; i >= 0; i--) {
    const xi = x + <usize>i * xs;
    let a = v128.load(xi);
    for (let k = i + 1; k < n; k++) {
      a = msub(a, v128.load64_splat(el(L + <usize>k * ns, i)), v128.load(x + <usize>k * xs));
    }
    v128.store(xi, f64x2.mul(a, f64x2.splat(1 / load<f64>(el(L + <usize>i * ns, i)))));
  }
}

/** Forward and backward substitution for one column. */
function solveStrip1(L: usize, n: i32, x: usize, xs: usize): void {
  const ns = el(0, n);
  for (let i = 0; i < n; i++) {
    const xi = x + <usize>i * xs, li = L + <usize>i * ns;
    let a = load<f64>(xi);
    let xk = x;
    for (let k = 0; k < i; k++) {
      a -= load<f64>(el(li, k)) * load<f64>(xk);
      xk += xs;
    }
    store<f64>(xi, a * (1 / load<f64>(el(li, i))));
  }
  for (let i = n - 1; i >= 0; i--) {
    const xi = x + <usize>i * xs;
    let a = load<f64>(xi);
    for (let k = i + 1; k < n; k++) a -= load<f64>(el(L + <usize>k * ns, i)) * load<f64>(x + <usize>k * xs);
    store<f64>(xi, a * (1 / load<f64>(el(L + <usize>i * ns, i))));
  }
}

/**
 * Solves (L Lᵀ) X = B in place for the right-hand sides in columns [c0, c1) of a feature-major
 * block: component i of every right-hand side lives in row i, at x + (i*stride + c)·8.
 * Strips of 4 columns keep the strip's rows in L1 through the whole forward and backward pass.
 */
export function choleskySolveColumns(L: usize, n: i32, x: usize, stride: i32, c0: i32, c1: i32): void {
  const xs = el(0, stride);
  let c = c0;
  for (; c + 3 < c1; c += 4) solveStrip4(L, n, el(x, c), xs);
  for (; c + 1 < c1; c += 2) solveStrip2(L, n, el(x, c), xs);
  if (c < c1) solveStrip1(L, n, el(x, c), xs);
}

// ---- u-block (ReLU, leaky ReLU) ------------------------------------------------------------------

// The arithmetic below is u-update.ts's minimizeU and phi written out lane by lane, in the same
// order of operations, so the result is bit-identical to the TypeScript reference.

/**
 * u-block for σ = ReLU (omega = 0, leaky = 0) or leaky ReLU (leaky = 1): for i < r, t < T,
 * θ1 = pre − ξ/γ, θ2 = h_{t+1} + ζ/γ, θ3 = u; u := argmin φ. Rows: U, pre, Xi, Zeta of length T
 * (stride T); h_1 … h_T of row i at hPad + (i*S + 1)·8.
 */
export function updateU(
  U: usize, pre: usize, Xi: usize, Zeta: usize, hPad: usize, S: i32, r: i32, T: i32,
  gamma: f64, mu: f64, lambda6: f64, leaky: i32, omega: f64,
): void {
  const inv = 1 / gamma;
  const denPlus = 2 * gamma + mu + 2 * lambda6;
  const gw = gamma * omega;
  const denMinus = leaky ? gamma + gw * omega + mu + 2 * lambda6 : gamma + mu + 2 * lambda6;
  const hg = 0.5 * gamma, hm = 0.5 * mu;
  const vInv = f64x2.splat(inv), vG = f64x2.splat(gamma), vMu = f64x2.splat(mu), vGw = f64x2.splat(gw);
  const vDp = f64x2.splat(denPlus), vDm = f64x2.splat(denMinus), vHg = f64x2.splat(hg), vHm = f64x2.splat(hm);
  const vL6 = f64x2.splat(lambda6), vOm = f64x2.splat(omega), z = zero();
  for (let i = 0; i < r; i++) {
    const row = el(0, i * T), hRow = el(hPad, i * S + 1);
    let t = 0;
    for (; t + 1 < T; t += 2) {
      const o = row + el(0, t);
      const t3 = v128.load(U + o);
      const t1 = f64x2.sub(v128.load(pre + o), f64x2.mul(v128.load(Xi + o), vInv));
      const t2 = f64x2.add(v128.load(el(hRow, t)), f64x2.mul(v128.load(Zeta + o), vInv));
      const gt1 = f64x2.mul(vG, t1), mt3 = f64x2.mul(vMu, t3);
      const up = f64x2.max(z, f64x2.div(f64x2.add(f64x2.add(gt1, f64x2.mul(vG, t2)), mt3), vDp));
      const num = leaky ? f64x2.add(f64x2.add(gt1, f64x2.mul(vGw, t2)), mt3) : f64x2.add(gt1, mt3);
      const um = f64x2.min(z, f64x2.div(num, vDm));
      // φ(u⁺): σ(u) = u > 0 ? u : (0 or ωu).
      const sp = v128.bitselect(up, leaky ? f64x2.mul(vOm, up) : z, f64x2.gt(up, z));
      const sm = v128.bitselect(um, leaky ? f64x2.mul(vOm, um) : z, f64x2.gt(um, z));
      const fp = phiVec(up, sp, t1, t2, t3, vHg, vHm, vL6);
      const fm = phiVec(um, sm, t1, t2, t3, vHg, vHm, vL6);
      v128.store(U + o, v128.bitselect(up, um, f64x2.le(fp, fm)));
    }
    if (t < T) {
      const o = row + el(0, t);
      const t3 = load<f64>(U + o);
      const t1 = load<f64>(pre + o) - load<f64>(Xi + o) * inv;
      const t2 = load<f64>(el(hRow, t)) + load<f64>(Zeta + o) * inv;
      const up = max(0.0, (gamma * t1 + gamma * t2 + mu * t3) / denPlus);
      const num = leaky ? gamma * t1 + gw * t2 + mu * t3 : gamma * t1 + mu * t3;
      const um = min(0.0, num / denMinus);
      const sp = up > 0 ? up : (leaky ? omega * up : 0);
      const sm = um > 0 ? um : (leaky ? omega * um : 0);
      const fp = phiScalar(up, sp, t1, t2, t3, hg, hm, lambda6);
      const fm = phiScalar(um, sm, t1, t2, t3, hg, hm, lambda6);
      store<f64>(U + o, fp <= fm ? up : um);
    }
  }
}

/** φ(u) = (γ/2)((u − θ1)² + (θ2 − σ(u))²) + ((μ/2)(u − θ3))(u − θ3) + (λ6 u)u, as phi() orders it. */
@inline function phiVec(u: v128, s: v128, t1: v128, t2: v128, t3: v128, hg: v128, hm: v128, l6: v128): v128 {
  const a = f64x2.sub(u, t1), d = f64x2.sub(t2, s), p = f64x2.sub(u, t3);
  const q = f64x2.mul(hg, f64x2.add(f64x2.mul(a, a), f64x2.mul(d, d)));
  return f64x2.add(f64x2.add(q, f64x2.mul(f64x2.mul(hm, p), p)), f64x2.mul(f64x2.mul(l6, u), u));
}

@inline function phiScalar(u: f64, s: f64, t1: f64, t2: f64, t3: f64, hg: f64, hm: f64, l6: f64): f64 {
  const a = u - t1, d = t2 - s, p = u - t3;
  return hg * (a * a + d * d) + hm * p * p + l6 * u * u;
}

// ---- BPTT (baselines/bptt.ts) ---------------------------------------------------------------------

/** out[0..p) = init[0..p) + M·v for a p×len row-major M (row stride ms): four rows share v's loads. */
function matVec(out: usize, init: usize, M: usize, ms: usize, p: i32, v: usize, len: i32, add: i32): void {
  let i = 0;
  for (; i + 3 < p; i += 4) {
    const r0 = M + <usize>i * ms, r1 = r0 + ms, r2 = r1 + ms, r3 = r2 + ms;
    let s0 = zero(), s1 = zero(), s2 = zero(), s3 = zero();
    let k = 0;
    for (; k + 1 < len; k += 2) {
      const off = el(0, k);
      const y = v128.load(v + off);
      s0 = madd(s0, v128.load(r0 + off), y); s1 = madd(s1, v128.load(r1 + off), y);
      s2 = madd(s2, v128.load(r2 + off), y); s3 = madd(s3, v128.load(r3 + off), y);
    }
    let t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
    if (k < len) {
      const y = load<f64>(el(v, k));
      t0 += load<f64>(el(r0, k)) * y; t1 += load<f64>(el(r1, k)) * y;
      t2 += load<f64>(el(r2, k)) * y; t3 += load<f64>(el(r3, k)) * y;
    }
    const o = el(out, i), b = add ? el(out, i) : el(init, i);
    const b0 = load<f64>(b), b1 = load<f64>(b, 8), b2 = load<f64>(b, 16), b3 = load<f64>(b, 24);
    store<f64>(o, b0 + t0); store<f64>(o, b1 + t1, 8); store<f64>(o, b2 + t2, 16); store<f64>(o, b3 + t3, 24);
  }
  for (; i < p; i++) {
    const b = add ? load<f64>(el(out, i)) : load<f64>(el(init, i));
    store<f64>(el(out, i), b + dot(M + <usize>i * ms, v, len));
  }
}

/** out[0..len) += Σ_i coef[i]·M[i*ms + ·] over p rows: two rows per pass. */
function vecMat(out: usize, coef: usize, M: usize, ms: usize, p: i32, len: i32): void {
  let i = 0;
  for (; i + 1 < p; i += 2) {
    const r0 = M + <usize>i * ms, r1 = r0 + ms;
    const c0 = load<f64>(el(coef, i)), c1 = load<f64>(el(coef, i + 1));
    const s0 = f64x2.splat(c0), s1 = f64x2.splat(c1);
    let k = 0;
    for (; k + 1 < len; k += 2) {
      const off = el(0, k);
      v128.store(out + off, madd(madd(v128.load(out + off), s0, v128.load(r0 + off)), s1, v128.load(r1 + off)));
    }
    if (k < len) store<f64>(el(out, k), load<f64>(el(out, k)) + c0 * load<f64>(el(r0, k)) + c1 * load<f64>(el(r1, k)));
  }
  if (i < p) {
    const r0 = M + <usize>i * ms;
    const c0 = load<f64>(el(coef, i));
    for (let k = 0; k < len; k++) store<f64>(el(out, k), load<f64>(el(out, k)) + c0 * load<f64>(el(r0, k)));
  }
}

/**
 * Loss sum and gradient of BPTT over one window of S steps (bptt.ts bpttWindow) for ReLU
 * (leaky = 0) or leaky ReLU. x, y: the window's rows (S×n, S×m); h: (S+1)×r with the carried-in
 * state in row 0; dsigma: S×r, σ'(u) and then δ; err: S×m, (2/S)e; delta: r scratch. The
 * gradients gW, gV, gb, gA, gc are accumulated into (the host fills them with the λ terms).
 * Returns Σ||e||². The W, V, A gradients are sums over time taken as one product each at the end
 * (δᵀ h, δᵀ x, eᵀ h) instead of a rank-one update per step.
 */
export function bptt(
  W: usize, V: usize, b: usize, A: usize, c: usize, x: usize, y: usize, S: i32, r: i32, n: i32, m: i32,
  h: usize, dsigma: usize, err: usize, delta: usize,
  gW: usize, gV: usize, gb: usize, gA: usize, gc: usize, leaky: i32, omega: f64, scale: f64,
): f64 {
  const rs = el(0, r), ns = el(0, n), msz = el(0, m);
  let sse = 0.0;
  for (let s = 0; s < S; s++) {
    const prev = h + <usize>s * rs, cur = prev + rs, ds = dsigma + <usize>s * rs;
    matVec(cur, b, W, rs, r, prev, r, 0);
    matVec(cur, 0, V, ns, r, x + <usize>s * ns, n, 1);
    for (let i = 0; i < r; i++) {
      const u = load<f64>(el(cur, i));
      if (u > 0) store<f64>(el(ds, i), 1);
      else {
        store<f64>(el(cur, i), leaky ? omega * u : 0);
        store<f64>(el(ds, i), leaky ? omega : 0);
      }
    }
    const e = err + <usize>s * msz, yt = y + <usize>s * msz;
    matVec(e, c, A, rs, m, cur, r, 0);
    for (let k = 0; k < m; k++) {
      const ek = load<f64>(el(e, k)) - load<f64>(el(yt, k));
      sse += ek * ek;
      store<f64>(el(e, k), scale * ek);
    }
  }
  // δ_t = σ'(u_t) ⊙ (Aᵀ e_t + Wᵀ δ_{t+1}), stored over σ'(u_t).
  for (let s = S - 1; s >= 0; s--) {
    for (let j = 0; j < r; j++) store<f64>(el(delta, j), 0);
    vecMat(delta, err + <usize>s * msz, A, rs, m, r);
    if (s < S - 1) vecMat(delta, dsigma + <usize>(s + 1) * rs, W, rs, r, r);
    const ds = dsigma + <usize>s * rs;
    for (let i = 0; i < r; i++) {
      const d = load<f64>(el(delta, i)) * load<f64>(el(ds, i));
      store<f64>(el(ds, i), d);
      store<f64>(el(gb, i), load<f64>(el(gb, i)) + d);
    }
  }
  for (let s = 0; s < S; s++) {
    const e = err + <usize>s * msz;
    for (let k = 0; k < m; k++) store<f64>(el(gc, k), load<f64>(el(gc, k)) + load<f64>(el(e, k)));
  }
  // gW[i][j] += Σ_s δ_s[i] h_{s−1}[j], gV[i][j] += Σ_s δ_s[i] x_s[j], gA[k][j] += Σ_s e_s[k] h_s[j].
  combineRows(gW, r, r, dsigma, 1, r, S, h, r, r, INIT_KEEP, 0);
  combineRows(gV, n, r, dsigma, 1, r, S, x, n, n, INIT_KEEP, 0);
  combineRows(gA, r, m, err, 1, m, S, h + rs, r, r, INIT_KEEP, 0);
  return sse;
}

// ---- element-wise steps of the sweep (bit-identical to the TypeScript loops they replace) -----------

/** out[i] = a·x[i] + y[i] for i < len. */
export function scaleAdd(out: usize, a: f64, x: usize, y: usize, len: i32): void {
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 1 < len; i += 2) {
    const o = el(0, i);
    v128.store(out + o, f64x2.add(f64x2.mul(va, v128.load(x + o)), v128.load(y + o)));
  }
  if (i < len) store<f64>(el(out, i), a * load<f64>(el(x, i)) + load<f64>(el(y, i)));
}

/**
 * The h-block's right-hand side before its products, for σ = ReLU or leaky ReLU, rows i < r of
 * length T: rhs = (γσ(U) − Zeta) − shift_i and work = γ(U − VXb) + Xi.
 */
export function hRhsStart(
  rhs: usize, work: usize, U: usize, Zeta: usize, Xi: usize, VXb: usize, shift: usize, r: i32, T: i32,
  gamma: f64, leaky: i32, omega: f64,
): void {
  const vg = f64x2.splat(gamma), vo = f64x2.splat(omega), z = zero();
  for (let i = 0; i < r; i++) {
    const sh = load<f64>(el(shift, i)), vs = f64x2.splat(sh);
    const row = el(0, i * T);
    let t = 0;
    for (; t + 1 < T; t += 2) {
      const o = row + el(0, t);
      const u = v128.load(U + o);
      const s = v128.bitselect(u, leaky ? f64x2.mul(vo, u) : z, f64x2.gt(u, z));
      v128.store(rhs + o, f64x2.sub(f64x2.sub(f64x2.mul(vg, s), v128.load(Zeta + o)), vs));
      v128.store(work + o, f64x2.add(f64x2.mul(vg, f64x2.sub(u, v128.load(VXb + o))), v128.load(Xi + o)));
    }
    if (t < T) {
      const o = row + el(0, t);
      const u = load<f64>(U + o);
      const s = u > 0 ? u : (leaky ? omega * u : 0);
      store<f64>(rhs + o, (gamma * s - load<f64>(Zeta + o)) - sh);
      store<f64>(work + o, gamma * (u - load<f64>(VXb + o)) + load<f64>(Xi + o));
    }
  }
}
