// gram.wgsl — z-block normal equations (docs/method.md §4.1, §4.2) as augmented row-major
// systems [matrix | right-hand sides], reduced over time in segments, in the centred basis of
// center.wgsl: with S = I − m̂ e_lastᵀ (m̂ the shift, 0 in the last entry), P̃ = S P, Q̃ = S Q,
// and the data residual of the P-system for its refinement.
// override WHICH:
//   0: P-system, Kp = K = r+n+1 rows, p̃_t = [h_{t−1} − h̄; x_t − x̄; 1]:
//      [P̃ P̃ᵀ + (2/γ) S Λ_w Sᵀ | P̃ (U + Ξ/γ)ᵀ]   (§4.1 divided by γ; solution M̃ᵀ, K×r)
//   1: Q-system, Kp = r+1 rows, q̃_t = [h_t − h̄; 1]:
//      [Q̃ Q̃ᵀ + T S Λ_a Sᵀ | Q̃ Yᵀ]               (solution Ñᵀ, (r+1)×m)
//   2: the P-system's refinement right-hand side from the data (corrected semi-normal
//      equations): with the current centred solution X = M̃ᵀ (in xz) and the data residual
//      e_t = u_t + ξ_t/γ − Ψ(h)w (= u_t + ξ_t/γ − M̃ p̃_t; u_update.wgsl with RESIDUAL),
//      R̃ = P̃ Eᵀ − (2/γ) S Λ_w Sᵀ X   (= B − A X of system 0, K×r).
//      Why not B − A X from the stored system: B and A are rounded to f32 once formed, and
//      the normal equations square P's conditioning, so that residual cannot see the
//      solution's error below f32's rounding of G and B. On sp500 (r = 20) that error held
//      the ALM's FeasVio at ~6e-4 where float64 reaches ~1e-5, and TrainErr 0.5 % off; E is
//      small and formed from u, h, x directly, so one step brings the weights after a sweep
//      from 8e-5 to 8e-7 of float64's, and a 50 × 100 run's TrainErr to 1e-5 of it
//      (bench/research/gpu-precision.ts; bench/README.md has the figures).
// Bindings (per trial, trial-major): (1) h T×r, (2) x T×n, (3) u T×r, (4) xi T×r, (5) y T×m,
// (6) part: partial sums [segment][row][col] (row stride Wd = Kp + nrhs, r for WHICH 2; trial
// stride P.partPLen, P.partQLen for WHICH 1), (7) sys: the system, factorised later in place,
// (8) orig: an untouched copy for refinement residuals (both bound at the system's offset in
// the z-system buffers, trial stride P.sysZLen), (9) shift [h̄; x̄; 0], (10) wres: the data
// residual E (T×r, read by WHICH 2), (11) xz: the centred solutions (center.wgsl, read by
// `finish_residual`).
// Entry `partial`: workgroup 16×16 = one 32×32 tile of the Kp×Wd product for one segment of
// segLen steps of one trial (grid Kp/32 × Wd/32 × nSeg·B, workgroup_id.z = trial·nSeg +
// segment); tiles wholly above the diagonal of the symmetric part are skipped. Entry `finish`:
// workgroup 256, grid x × y × B, one invocation per entry of the system of trial
// workgroup_id.z: compensated sum over segments, the lower triangle mirrored, the regulariser
// S Λ Sᵀ added. Entry `finish_residual` (WHICH 2): the same grid, one invocation per entry
// (i, k) of R̃: the compensated sum over segments minus the regulariser's product, written into
// the P-system's right-hand-side columns for `solve_add` (cholesky.wgsl).
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
@group(0) @binding(9) var<storage, read> shift: array<f32>;
@group(0) @binding(10) var<storage, read> wres: array<f32>;
@group(0) @binding(11) var<storage, read> xz: array<f32>;

fn rows() -> u32 { if (WHICH != 1u) { return P.K; } return P.r + 1u; }
fn cols() -> u32 {
  if (WHICH == 0u) { return P.K + P.r; }
  if (WHICH == 2u) { return P.r; }
  return P.r + 1u + P.m;
}
fn seg_len() -> u32 { if (WHICH != 1u) { return P.segLenP; } return P.segLenQ; }
fn n_seg() -> u32 { if (WHICH != 1u) { return P.nSegP; } return P.nSegQ; }
/** Start of this trial's partial sums. */
fn part_base() -> u32 { if (WHICH != 1u) { return oPP; } return oPQ; }

/** Entry i of p̃_t (WHICH 0, 2) or q̃_t (WHICH 1), 0-based t; 0 past the end of the series. */
fn vec_t(t: u32, i: u32) -> f32 {
  if (t >= P.T) { return 0.0; }
  if (WHICH != 1u) {
    if (i < P.r) {
      var hv = 0.0;
      if (t > 0u) { hv = h[oTR + (t - 1u) * P.r + i]; }
      return hv - shift[oS + i];
    }
    if (i < P.r + P.n) { return x[oX + t * P.n + (i - P.r)] - shift[oS + i]; }
    if (i == P.K - 1u) { return 1.0; }
    return 0.0;
  }
  if (i < P.r) { return h[oTR + t * P.r + i] - shift[oS + i]; }
  if (i == P.r) { return 1.0; }
  return 0.0;
}

fn lhs(sel: u32, i: u32, t: u32) -> f32 { return vec_t(t, i); }

fn rhs(sel: u32, t: u32, j: u32) -> f32 {
  if (WHICH == 2u) {
    if (t >= P.T || j >= P.r) { return 0.0; }
    return wres[oTR + t * P.r + j];
  }
  let kp = rows();
  if (j < kp) { return vec_t(t, j); }
  if (t >= P.T) { return 0.0; }
  let q = j - kp;
  if (WHICH == 0u) {
    if (q < P.r) { return u[oTR + t * P.r + q] + xi[oTR + t * P.r + q] / TP.gamma; }
    return 0.0;
  }
  if (q < P.m) { return y[oY + t * P.m + q]; }
  return 0.0;
}

@compute @workgroup_size(16, 16)
fn partial(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let trial = wg.z / n_seg();
  let seg = wg.z % n_seg();
  let kp = rows();
  let wd = cols();
  let row0 = wg.x * TS;
  let col0 = wg.y * TS;
  if (!trial_active(trial) || (WHICH != 2u && col0 >= row0 + TS && col0 + TS <= kp)) { return; }
  set_trial(trial);
  let t0 = seg * seg_len();
  let t1 = min(t0 + seg_len(), P.T);
  let acc = tile_product(0u, row0, col0, t0, t1, lid.x, lid.y);
  for (var q = 0u; q < 4u; q++) {
    let i = row0 + lid.y + tile_dr(q);
    let j = col0 + lid.x + tile_dc(q);
    if (i < kp && j < wd) {
      part[part_base() + (seg * kp + i) * wd + j] = (acc[q].x + acc[q].y);
    }
  }
}

/** Λ_i of the system's regulariser (Λ_w scaled by 2/γ, or Λ_a scaled by T). */
fn lambda_i(i: u32) -> f32 {
  if (WHICH != 1u) {
    var l = TP.l4;
    if (i < P.r) { l = TP.l2; } else if (i < P.r + P.n) { l = TP.l3; }
    return 2.0 * l / TP.gamma;
  }
  let tt = f32(P.T);
  if (i < P.r) { return tt * TP.l1; }
  return tt * TP.l5;
}

/** Entry i of s = S e_last = [−m̂; 1]. */
fn s_i(i: u32, kp: u32) -> f32 {
  if (i + 1u == kp) { return 1.0; }
  return -shift[oS + i];
}

/** Entry (i, j) of S Λ Sᵀ = Λ + λ_last (s sᵀ − e_last e_lastᵀ). */
fn reg_term(i: u32, j: u32, kp: u32) -> f32 {
  let last = kp - 1u;
  var v = lambda_i(last) * s_i(i, kp) * s_i(j, kp);
  if (i == last && j == last) { v = 0.0; }
  if (i == j) { v += lambda_i(i); }
  return v;
}

@compute @workgroup_size(256)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let kp = rows();
  let wd = cols();
  let e = gid.x + gid.y * nwg.x * 256u;
  if (!trial_active(wg.z) || e >= kp * wd) { return; }
  set_trial(wg.z);
  let i = e / wd;
  let j = e % wd;
  var si = i;
  var sj = j;
  if (j < kp && j > i) { si = j; sj = i; }
  var acc = vec2<f32>(0.0, 0.0);
  let ns = n_seg();
  for (var s = 0u; s < ns; s++) {
    acc = comp_add(acc, part[part_base() + (s * kp + si) * wd + sj]);
  }
  var v = acc.x + acc.y;
  if (j < kp) { v += reg_term(i, j, kp); }
  sys[oSZ + e] = v;
  orig[oSZ + e] = v;
}

@compute @workgroup_size(256)
fn finish_residual(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let kp = P.K;
  let r = P.r;
  let o = gid.x + gid.y * nwg.x * 256u;
  if (!trial_active(wg.z) || o >= kp * r) { return; }
  set_trial(wg.z);
  let i = o / r;
  let k = o % r;
  var acc = vec2<f32>(0.0, 0.0);
  for (var s = 0u; s < P.nSegP; s++) {
    acc = comp_add(acc, part[part_base() + (s * kp + i) * r + k]);
  }
  for (var j = 0u; j < kp; j++) {
    let g = reg_term(i, j, kp);
    if (g != 0.0) { acc = comp_add(acc, -g * xz[oWt + j * r + k]); }
  }
  sys[oSZ + i * (kp + r) + kp + k] = acc.x + acc.y;
}
