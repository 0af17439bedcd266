// gram.wgsl — z-block normal equations (ALGORITHM.md §4.1, §4.2) as augmented row-major
// systems [matrix | right-hand sides], reduced over time in segments.
// Prelude: common.wgsl, tile.wgsl. override WHICH:
//   0: P-system, Kp = K = r+n+1 rows, p_t = [h_{t−1}; x_t; 1]:
//      [P Pᵀ + (2/γ)Λ_w | P (U + Ξ/γ)ᵀ]   (the §4.1 system divided by γ; solution Mᵀ, K×r)
//   1: Q-system, Kp = r+1 rows, q_t = [h_t; 1]:
//      [Q Qᵀ + T Λ_a | Q Yᵀ]               (solution Nᵀ, (r+1)×m)
// Bindings: (1) h T×r, (2) x T×n, (3) u T×r, (4) xi T×r, (5) y T×m, (6) part: partial sums
// [segment][row][col] (row stride Wd = Kp + nrhs), (7) sys: the system, factorised later in
// place, (8) orig: an untouched copy for refinement residuals.
// Entry `partial`: workgroup 16×16 = one 32×32 tile of the Kp×Wd product for one segment of
// segLen steps (grid Kp/32 × Wd/32 × nSeg); tiles wholly above the diagonal of the symmetric
// part are skipped. Entry `finish`: workgroup 256, one invocation per entry of the system:
// compensated sum over segments, the lower triangle mirrored, the diagonal term added.
override WHICH: u32 = 0u;
const LHS_K_FAST: bool = false;

@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> u: array<f32>;
@group(0) @binding(4) var<storage, read> xi: array<f32>;
@group(0) @binding(5) var<storage, read> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> part: array<f32>;
@group(0) @binding(7) var<storage, read_write> sys: array<f32>;
@group(0) @binding(8) var<storage, read_write> orig: array<f32>;

fn rows() -> u32 { if (WHICH == 0u) { return P.K; } return P.r + 1u; }
fn cols() -> u32 { if (WHICH == 0u) { return P.K + P.r; } return P.r + 1u + P.m; }
fn seg_len() -> u32 { if (WHICH == 0u) { return P.segLenP; } return P.segLenQ; }
fn n_seg() -> u32 { if (WHICH == 0u) { return P.nSegP; } return P.nSegQ; }

/** Entry i of p_t (WHICH 0) or q_t (WHICH 1), 0-based t. */
fn vec_t(t: u32, i: u32) -> f32 {
  if (t >= P.T) { return 0.0; }
  if (WHICH == 0u) {
    if (i < P.r) {
      if (t == 0u) { return 0.0; }
      return h[(t - 1u) * P.r + i];
    }
    if (i < P.r + P.n) { return x[t * P.n + (i - P.r)]; }
    if (i == P.K - 1u) { return 1.0; }
    return 0.0;
  }
  if (i < P.r) { return h[t * P.r + i]; }
  if (i == P.r) { return 1.0; }
  return 0.0;
}

fn lhs(sel: u32, i: u32, t: u32) -> f32 { return vec_t(t, i); }

fn rhs(sel: u32, t: u32, j: u32) -> f32 {
  let kp = rows();
  if (j < kp) { return vec_t(t, j); }
  if (t >= P.T) { return 0.0; }
  let q = j - kp;
  if (WHICH == 0u) {
    if (q < P.r) { return u[t * P.r + q] + xi[t * P.r + q] / P.gamma; }
    return 0.0;
  }
  if (q < P.m) { return y[t * P.m + q]; }
  return 0.0;
}

@compute @workgroup_size(16, 16)
fn partial(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let kp = rows();
  let wd = cols();
  let row0 = wg.x * TS;
  let col0 = wg.y * TS;
  if (col0 >= row0 + TS && col0 + TS <= kp) { return; }
  let t0 = wg.z * seg_len();
  let t1 = min(t0 + seg_len(), P.T);
  let acc = tile_product(0u, row0, col0, t0, t1, lid.x, lid.y);
  for (var q = 0u; q < 4u; q++) {
    let i = row0 + lid.y + tile_dr(q);
    let j = col0 + lid.x + tile_dc(q);
    if (i < kp && j < wd) {
      part[(wg.z * kp + i) * wd + j] = acc[q];
    }
  }
}

/** Diagonal term of the system's matrix, row i. */
fn diag_term(i: u32) -> f32 {
  if (WHICH == 0u) {
    var l = P.l4;
    if (i < P.r) { l = P.l2; } else if (i < P.r + P.n) { l = P.l3; }
    return 2.0 * l / P.gamma;
  }
  let tt = f32(P.T);
  if (i < P.r) { return tt * P.l1; }
  return tt * P.l5;
}

@compute @workgroup_size(256)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let kp = rows();
  let wd = cols();
  let e = gid.x + gid.y * nwg.x * 256u;
  if (e >= kp * wd) { return; }
  let i = e / wd;
  let j = e % wd;
  var si = i;
  var sj = j;
  if (j < kp && j > i) { si = j; sj = i; }
  var acc = vec2<f32>(0.0, 0.0);
  let ns = n_seg();
  for (var s = 0u; s < ns; s++) {
    acc = comp_add(acc, part[(s * kp + si) * wd + sj]);
  }
  var v = acc.x + acc.y;
  if (i == j) { v += diag_term(i); }
  sys[e] = v;
  orig[e] = v;
}
