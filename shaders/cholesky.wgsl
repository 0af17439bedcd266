// cholesky.wgsl — Cholesky factorisation of SPD systems and the triangular solves with the
// factors, for systems stored augmented, row-major [A | B] (n rows, w = n + nrhs columns), in a
// storage buffer. Prelude: common.wgsl (binding 0: only the trials' active flags).
// Bindings (all entries): (1) a: the augmented systems; (2) outb: solutions, n×nrhs row-major
// at sys.outOff; (3) systems: one `Sys` descriptor per system (shared with refine.wgsl).
// Descriptor fields used here: off, n, nrhs, outOff (as in refine.wgsl); cols = right-hand-side
// columns per solve workgroup (≥ 1); firstBlock = the solve grid's first workgroup of this system
// (increasing with the system index); flags: bit 0 the solve works in `a` (global memory) instead
// of workgroup memory (the factorisation chooses its own path from n and FACTOR_FLOATS);
// aStride, outStride: the trial strides of `a` and `outb` (trial b's systems sit at
// b·aStride + off, its solutions at b·outStride + outOff). Every grid has the trial on z
// (workgroup_id.z = b, grid z = B); a trial that is not active (Params) returns at once.
// Pivots are sqrt(max(a_jj, TINY)): a non-positive pivot gives a tiny but finite factor.
//
// Entry `factor` — workgroup 256, grid = number of systems × 1 × B (workgroup_id.x = system). One
// workgroup factorises A = L Lᵀ in place, right-looking and blocked. While the trailing matrix has
// more than FACTOR_FLOATS rows it takes one column a step in global memory (pivot, scale column j,
// update the trailing lower triangle). Then it takes panels of pw = min(PW_MAX, FACTOR_FLOATS /
// rows, rows) columns: the panel (rows j…n−1, columns j…j+pw−1) is loaded into workgroup memory
// and factorised there column by column (one workgroup barrier a column, no global traffic),
// written back, and the trailing lower triangle gets one rank-pw update: one read-modify-write of
// global memory per element and panel rather than per column, so a K×K factor makes about K/pw
// passes over global memory instead of K. Trailing updates are folded into a rectangle so that all
// 256 invocations have work. B is not touched. Afterwards the lower triangle and diagonal of A
// hold L and the strict upper triangle holds Lᵀ, so column j of L (row j of Lᵀ) and row j of L
// are both contiguous.
//
// Entries `solve` and `solve_add` — workgroup 256, grid: solve blocks (Σ ceil(nrhs/cols) over
// the systems) spread over x and y (workgroup id = x + y·nx; ids past the last block return), × B.
// One workgroup takes `cols` right-hand-side columns of one system, loads them from B (into
// workgroup memory, or works on them in place in B when flags bit 0 is set) and runs forward
// substitution L Y = B then backward substitution Lᵀ X = Y for them, by blocks of NB rows: per
// block, invocation c < cols solves the NB×NB diagonal block for column c (in registers), then
// invocation li updates column li % cols of rows li / cols + k·⌊256/cols⌋ outside the block (two
// barriers a block). `solve` writes X to outb, `solve_add` adds X to outb (iterative
// refinement: B holds the residual).
struct Sys { off: u32, n: u32, nrhs: u32, outOff: u32, kind: u32, cols: u32, firstBlock: u32, flags: u32, aStride: u32, outStride: u32, p0: u32, p1: u32 };

@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> outb: array<f32>;
@group(0) @binding(3) var<storage, read> systems: array<Sys>;

const WG: u32 = 256u;
const TINY: f32 = 1.0e-30;
const SOLVE_GLOBAL: u32 = 1u;
/** Rows per block of the substitutions (two barriers per block; at most NB_MAX). */
override NB: u32 = 16u;
const NB_MAX: u32 = 32u;
/** Widest factor panel (columns): the trailing update's inner loop, and the panel's serial column steps. */
override PW_MAX: u32 = 32u;
/** f32 values of workgroup memory: the factor's panel (rows × pw, column-major) and the solve's right-hand sides. */
override FACTOR_FLOATS: u32 = 4064u;
override SOLVE_FLOATS: u32 = 4096u;

var<workgroup> panel: array<f32, FACTOR_FLOATS>;
var<workgroup> pivots: array<f32, PW_MAX>;
var<workgroup> xs: array<f32, SOLVE_FLOATS>;

fn at(d: Sys, i: u32, j: u32) -> u32 { return d.off + i * (d.n + d.nrhs) + j; }

/**
 * Element e of the folded trailing lower triangle of mb rows (diagonal included) as local (row,
 * column): row p (p + 1 entries) pairs with row mb−1−p (mb − p entries), a rectangle of mb + 1
 * columns, so e < mb(mb+1)/2 covers every (i, k) with k ≤ i < mb once.
 */
fn folded(e: u32, mb: u32) -> vec2<u32> {
  let wr = mb + 1u;
  let p = e / wr;
  let q = e - p * wr;
  if (q >= mb - p) { return vec2(p, q - (mb - p)); }
  return vec2(mb - 1u - p, q);
}

/** One right-looking step in global memory: column j of L, then the rank-1 trailing update. */
fn factor_column_global(d: Sys, j: u32, li: u32) {
  let n = d.n;
  // Everyone reads a[j][j] before the barrier; invocation 0 writes the pivot back after it.
  let piv = sqrt(max(a[at(d, j, j)], TINY));
  for (var i = j + 1u + li; i < n; i += WG) {
    let l = a[at(d, i, j)] / piv;
    a[at(d, i, j)] = l;
    a[at(d, j, i)] = l;
  }
  storageBarrier();
  workgroupBarrier();
  if (li == 0u) { a[at(d, j, j)] = piv; }
  let mb = n - j - 1u;
  for (var e = li; e < mb * (mb + 1u) / 2u; e += WG) {
    let ik = folded(e, mb) + vec2(j + 1u);
    a[at(d, ik.x, ik.y)] -= a[at(d, ik.x, j)] * a[at(d, ik.y, j)];
  }
  storageBarrier();
  workgroupBarrier();
}

/**
 * Columns j…j+pw−1 of L from a panel in workgroup memory (rows = n − j; panel[q·rows + i] is
 * row j+i of column j+q), then the rank-pw update of the trailing lower triangle.
 */
fn factor_panel(d: Sys, j: u32, pw: u32, li: u32) {
  let n = d.n;
  let rows = n - j;
  // Load the panel's lower part (row-contiguous reads of a; entries above the diagonal block unused).
  for (var e = li; e < rows * pw; e += WG) {
    let i = e / pw;
    let q = e - i * pw;
    if (i >= q) { panel[q * rows + i] = a[at(d, j + i, j + q)]; }
  }
  workgroupBarrier();
  // Column steps on the unscaled panel (an LDLᵀ-like order: column q is only read in its step, so
  // one barrier a column): a[i][q2] −= a[i][q]·a[q2][q] / d_q with d_q = max(a[q][q], TINY).
  for (var q = 0u; q < pw; q++) {
    let cq = q * rows;
    let dq = max(panel[cq + q], TINY);
    if (li == 0u) { pivots[q] = sqrt(dq); }
    // The panel's remaining columns q2 > q, rows i ≥ q2.
    let tail = rows - q - 1u;
    for (var e = li; e < (pw - q - 1u) * tail; e += WG) {
      let c = e / tail;
      let q2 = q + 1u + c;
      let i = q + 1u + (e - c * tail);
      if (i >= q2) { panel[q2 * rows + i] -= panel[cq + i] * (panel[cq + q2] / dq); }
    }
    workgroupBarrier();
  }
  // Scale: L[i][q] = a[i][q] / sqrt(d_q) below the diagonal, L[q][q] = sqrt(d_q).
  for (var e = li; e < rows * pw; e += WG) {
    let q = e / rows;
    let i = e - q * rows;
    if (i > q) { panel[q * rows + i] /= pivots[q]; } else if (i == q) { panel[q * rows + i] = pivots[q]; }
  }
  workgroupBarrier();
  // Write L back (row-contiguous) and its mirror Lᵀ above the diagonal (row-contiguous too).
  for (var e = li; e < rows * pw; e += WG) {
    let i = e / pw;
    let q = e - i * pw;
    if (i >= q) { a[at(d, j + i, j + q)] = panel[q * rows + i]; }
  }
  for (var e = li; e < rows * pw; e += WG) {
    let q = e / rows;
    let i = e - q * rows;
    if (i > q) { a[at(d, j + q, j + i)] = panel[q * rows + i]; }
  }
  // Trailing lower triangle (rows and columns j+pw…n−1): a[i][k] −= Σ_q L[i][j+q]·L[k][j+q].
  let mb = rows - pw;
  for (var e = li; e < mb * (mb + 1u) / 2u; e += WG) {
    let ik = folded(e, mb) + vec2(pw);
    var s = 0.0;
    for (var q = 0u; q < pw; q++) { s += panel[q * rows + ik.x] * panel[q * rows + ik.y]; }
    a[at(d, j + ik.x, j + ik.y)] -= s;
  }
  storageBarrier();
  workgroupBarrier();
}

/** Descriptor s moved to trial b's systems and solutions. */
fn trial_sys(s: u32, b: u32) -> Sys {
  var d = systems[s];
  d.off += b * d.aStride;
  d.outOff += b * d.outStride;
  return d;
}

@compute @workgroup_size(256)
fn factor(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  if (!trial_active(wg.z)) { return; }
  let d = trial_sys(wg.x, wg.z);
  let n = d.n;
  var j = 0u;
  while (j < n) {
    let rows = n - j;
    if (rows > FACTOR_FLOATS) {
      factor_column_global(d, j, li);
      j += 1u;
    } else {
      let pw = min(min(PW_MAX, FACTOR_FLOATS / rows), rows);
      factor_panel(d, j, pw, li);
      j += pw;
    }
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

/** Writes column c of rows j0…j1−1 back from registers (the counterpart of block_values). */
fn store_block_values(d: Sys, inA: bool, c0: u32, c: u32, j0: u32, j1: u32, yb: array<f32, NB_MAX>) {
  for (var q = 0u; q < NB; q++) {
    if (j0 + q < j1) { xset(d, inA, c0, j0 + q, c, yb[q]); }
  }
}

/**
 * Column c of the diagonal block j0…j1−1 of L Y = B, solved in registers (the serial chain is
 * register arithmetic; the loads of L do not depend on it): y_J = (b_J − Σ_{p<J} L[J][p] y_p) / L[J][J],
 * with L[p][J] = a[J][p] (the mirrored Lᵀ), in the order of a column-oriented substitution.
 */
fn forward_block(d: Sys, inA: bool, c0: u32, c: u32, j0: u32, j1: u32) {
  var yb = block_values(d, inA, c0, c, j0, j1);
  for (var q = 0u; q < NB; q++) {
    let J = j0 + q;
    if (J < j1) {
      let y = yb[q] / a[at(d, J, J)];
      yb[q] = y;
      for (var p = q + 1u; p < NB; p++) {
        if (j0 + p < j1) { yb[p] -= a[at(d, J, j0 + p)] * y; }
      }
    }
  }
  store_block_values(d, inA, c0, c, j0, j1, yb);
}

/** The same for Lᵀ X = Y from the bottom of the block (Lᵀ[p][J] = L[J][p] = a[J][p]). */
fn backward_block(d: Sys, inA: bool, c0: u32, c: u32, j0: u32, j1: u32) {
  var yb = block_values(d, inA, c0, c, j0, j1);
  for (var qq = 0u; qq < NB; qq++) {
    let q = NB - 1u - qq;
    let J = j0 + q;
    if (J < j1) {
      let xv = yb[q] / a[at(d, J, J)];
      yb[q] = xv;
      for (var p = 0u; p < q; p++) { yb[p] -= a[at(d, J, j0 + p)] * xv; }
    }
  }
  store_block_values(d, inA, c0, c, j0, j1, yb);
}

fn trisolve(id: u32, b: u32, li: u32, add: bool) {
  if (!trial_active(b)) { return; }
  let d = trial_sys(system_of(id), b);
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
    if (li < nc) { forward_block(d, inA, c0, li, j0, j1); }
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
    if (li < nc) { backward_block(d, inA, c0, li, j0, j1); }
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
  trisolve(wg.x + wg.y * nwg.x, wg.z, li, false);
}

@compute @workgroup_size(256)
fn solve_add(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  trisolve(wg.x + wg.y * nwg.x, wg.z, li, true);
}
