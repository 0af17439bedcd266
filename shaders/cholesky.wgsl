// cholesky.wgsl — Cholesky factorisation of SPD systems and the triangular solves with the
// factors, for systems stored augmented, row-major [A | B] (n rows, w = n + nrhs columns), in a
// storage buffer. Prelude: common.wgsl (binding 0 unused here).
// Bindings (all entries): (1) a: the augmented systems; (2) outb: solutions, n×nrhs row-major
// at sys.outOff; (3) systems: one `Sys` descriptor per system (shared with refine.wgsl).
// Descriptor fields used here: off, n, nrhs, outOff (as in refine.wgsl); cols = right-hand-side
// columns per solve workgroup (≥ 1); firstBlock = the solve grid's first workgroup of this system
// (increasing with the system index); flags: bit 0 the solve works in `a` (global memory) instead
// of workgroup memory, bit 1 the factorisation reads column j from `a` instead of workgroup memory.
// Pivots are sqrt(max(a_jj, TINY)): a non-positive pivot gives a tiny but finite factor.
//
// Entry `factor` — workgroup 256, grid = number of systems (workgroup_id.x = system). One
// workgroup factorises A = L Lᵀ in place, right-looking; step j: every invocation forms the
// pivot, they scale column j (writing L[i][j] below the diagonal, its mirror a[j][i] = L[i][j]
// above it, and a copy in workgroup memory), then update the trailing lower triangle, folded into
// a rectangle so that all 256 invocations have work. B is not touched. Afterwards the lower
// triangle and diagonal of A hold L and the strict upper triangle holds Lᵀ, so column j of L
// (row j of Lᵀ) and row j of L are both contiguous.
//
// Entries `solve` and `solve_add` — workgroup 256, grid: solve blocks (Σ ceil(nrhs/cols) over
// the systems) spread over x and y (workgroup id = x + y·nx; ids past the last block return).
// One workgroup takes `cols` right-hand-side columns of one system, loads them from B (into
// workgroup memory, or works on them in place in B when flags bit 0 is set) and runs forward
// substitution L Y = B then backward substitution Lᵀ X = Y for them, by blocks of NB rows: per
// block, invocation c < cols solves the NB×NB diagonal block for column c, then invocation li
// updates column li % cols of rows li / cols + k·⌊256/cols⌋ outside the block (two barriers a
// block). `solve` writes X to outb, `solve_add` adds X to outb (iterative refinement: B holds
// the residual).
struct Sys { off: u32, n: u32, nrhs: u32, outOff: u32, kind: u32, cols: u32, firstBlock: u32, flags: u32 };

@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> outb: array<f32>;
@group(0) @binding(3) var<storage, read> systems: array<Sys>;

const WG: u32 = 256u;
const TINY: f32 = 1.0e-30;
const SOLVE_GLOBAL: u32 = 1u;
const FACTOR_GLOBAL: u32 = 2u;
/** Rows per block of the substitutions (two barriers per block; at most NB_MAX). */
override NB: u32 = 16u;
const NB_MAX: u32 = 32u;
/** f32 values of workgroup memory: the factor's column copy and the solve's right-hand sides. */
override FACTOR_FLOATS: u32 = 2048u;
override SOLVE_FLOATS: u32 = 4096u;

var<workgroup> colj: array<f32, FACTOR_FLOATS>;
var<workgroup> xs: array<f32, SOLVE_FLOATS>;

fn at(d: Sys, i: u32, j: u32) -> u32 { return d.off + i * (d.n + d.nrhs) + j; }

@compute @workgroup_size(256)
fn factor(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let d = systems[wg.x];
  let n = d.n;
  let colInWg = (d.flags & FACTOR_GLOBAL) == 0u;
  for (var j = 0u; j < n; j++) {
    // Everyone reads a[j][j] before the barrier; invocation 0 writes the pivot back after it.
    let piv = sqrt(max(a[at(d, j, j)], TINY));
    for (var i = j + 1u + li; i < n; i += WG) {
      let l = a[at(d, i, j)] / piv;
      a[at(d, i, j)] = l;
      a[at(d, j, i)] = l;
      if (colInWg) { colj[i] = l; }
    }
    storageBarrier();
    workgroupBarrier();
    if (li == 0u) { a[at(d, j, j)] = piv; }
    // Trailing lower triangle (rows and columns j+1…n−1, diagonal included): with mb rows, row
    // p (p + 1 entries) pairs with row mb−1−p (mb − p entries), a rectangle of mb + 1 columns.
    let mb = n - j - 1u;
    let wr = mb + 1u;
    let tot = mb * wr / 2u;
    for (var e = li; e < tot; e += WG) {
      let p = e / wr;
      let q = e - p * wr;
      var ii = mb - 1u - p;
      var kk = q;
      if (q >= mb - p) { ii = p; kk = q - (mb - p); }
      let i = j + 1u + ii;
      let k = j + 1u + kk;
      var lij: f32;
      var lkj: f32;
      if (colInWg) { lij = colj[i]; lkj = colj[k]; } else { lij = a[at(d, i, j)]; lkj = a[at(d, k, j)]; }
      a[at(d, i, k)] -= lij * lkj;
    }
    storageBarrier();
    workgroupBarrier();
  }
}

/** Index of the system whose solve blocks include workgroup `id` (firstBlock increases). */
fn system_of(id: u32) -> u32 {
  var s = 0u;
  let ns = arrayLength(&systems);
  for (var q = 1u; q < ns; q++) {
    if (id >= systems[q].firstBlock) { s = q; }
  }
  return s;
}

/** Where right-hand-side entry (i, c) of this block lives (xs, or column c0 + c of B in a). */
fn xidx(d: Sys, inA: bool, c0: u32, i: u32, c: u32) -> u32 {
  if (inA) { return at(d, i, d.n + c0 + c); }
  return i * d.cols + c;
}

fn xget(d: Sys, inA: bool, c0: u32, i: u32, c: u32) -> f32 {
  let k = xidx(d, inA, c0, i, c);
  if (inA) { return a[k]; }
  return xs[k];
}

fn xset(d: Sys, inA: bool, c0: u32, i: u32, c: u32, v: f32) {
  let k = xidx(d, inA, c0, i, c);
  if (inA) { a[k] = v; } else { xs[k] = v; }
}

fn sync(inA: bool) {
  if (inA) { storageBarrier(); } else { workgroupBarrier(); }
}

/** Column c of the solved rows j0…j1−1 (at most NB), in registers for the update of the other rows. */
fn block_values(d: Sys, inA: bool, c0: u32, c: u32, j0: u32, j1: u32) -> array<f32, NB_MAX> {
  var yb: array<f32, NB_MAX>;
  for (var q = 0u; q < NB; q++) {
    if (j0 + q < j1) { yb[q] = xget(d, inA, c0, j0 + q, c); }
  }
  return yb;
}

fn trisolve(id: u32, li: u32, add: bool) {
  let d = systems[system_of(id)];
  let blk = id - d.firstBlock;
  let C = d.cols;
  if (blk * C >= d.nrhs) { return; }
  let n = d.n;
  let c0 = blk * C;
  let nc = min(C, d.nrhs - c0);
  let inA = (d.flags & SOLVE_GLOBAL) != 0u;
  let G = WG / C;
  let c = li % C;
  let r0 = li / C;
  let live = r0 < G && c < nc;
  let w = n + d.nrhs;
  if (!inA) {
    for (var e = li; e < n * C; e += WG) {
      let i = e / C;
      let cc = e - i * C;
      var v = 0.0;
      if (cc < nc) { v = a[at(d, i, n + c0 + cc)]; }
      xs[e] = v;
    }
    workgroupBarrier();
  }
  // Forward L Y = B by blocks of NB rows: (1) one invocation per column solves the NB×NB
  // diagonal block (L[p][J] = a[J][p], the mirrored Lᵀ); (2) all invocations subtract the block's
  // contribution from the rows below, reading row J of Lᵀ (contiguous across invocations).
  for (var j0 = 0u; j0 < n; j0 += NB) {
    let j1 = min(j0 + NB, n);
    if (li < nc) {
      for (var J = j0; J < j1; J++) {
        let y = xget(d, inA, c0, J, li) / a[at(d, J, J)];
        xset(d, inA, c0, J, li, y);
        for (var p = J + 1u; p < j1; p++) { xset(d, inA, c0, p, li, xget(d, inA, c0, p, li) - a[at(d, J, p)] * y); }
      }
    }
    sync(inA);
    if (live) {
      let yb = block_values(d, inA, c0, c, j0, j1);
      for (var i = j1 + r0; i < n; i += G) {
        var s = xget(d, inA, c0, i, c);
        let base = at(d, j0, i);
        for (var q = 0u; q < NB; q++) {
          if (j0 + q < j1) { s -= a[base + q * w] * yb[q]; }
        }
        xset(d, inA, c0, i, c, s);
      }
    }
    sync(inA);
  }
  // Backward Lᵀ X = Y by blocks from the bottom: (1) the diagonal block (Lᵀ[p][J] = L[J][p] =
  // a[J][p]); (2) the rows above subtract it, reading row J of L (contiguous across invocations).
  for (var b = 0u; b < n; b += NB) {
    let j1 = n - b;
    let j0 = select(0u, j1 - NB, j1 > NB);
    if (li < nc) {
      for (var JJ = j1; JJ > j0; JJ--) {
        let J = JJ - 1u;
        let xv = xget(d, inA, c0, J, li) / a[at(d, J, J)];
        xset(d, inA, c0, J, li, xv);
        for (var p = j0; p < J; p++) { xset(d, inA, c0, p, li, xget(d, inA, c0, p, li) - a[at(d, J, p)] * xv); }
      }
    }
    sync(inA);
    if (live) {
      let yb = block_values(d, inA, c0, c, j0, j1);
      for (var i = r0; i < j0; i += G) {
        var s = xget(d, inA, c0, i, c);
        let base = at(d, j0, i);
        for (var qq = 0u; qq < NB; qq++) {
          let q = NB - 1u - qq;
          if (j0 + q < j1) { s -= a[base + q * w] * yb[q]; }
        }
        xset(d, inA, c0, i, c, s);
      }
    }
    sync(inA);
  }
  if (live) {
    for (var i = r0; i < n; i += G) {
      let v = xget(d, inA, c0, i, c);
      let o = d.outOff + i * d.nrhs + c0 + c;
      if (add) { outb[o] += v; } else { outb[o] = v; }
    }
  }
}

@compute @workgroup_size(256)
fn solve(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  trisolve(wg.x + wg.y * nwg.x, li, false);
}

@compute @workgroup_size(256)
fn solve_add(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  trisolve(wg.x + wg.y * nwg.x, li, true);
}
