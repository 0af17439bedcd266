// h_update.wgsl — the h-block (docs/method.md §4.3) for all t at once, as one tiled product:
//   h_t = D⁻¹ (γσ(u_t) − ζ_t) + D⁻¹Aᵀ (2/T)(y_t − c)
//       + [t < T] ( D⁻¹Wᵀ (γ(u_{t+1} − b) + ξ_{t+1}) + (−γ D⁻¹WᵀV) x_{t+1} )
// with D = D1 for t < T and D2 for t = T; the right operands are the solutions of the
// systems formed by h_system.wgsl (rows of X = D⁻¹[I | Aᵀ | Wᵀ | −γWᵀV]).
// Prelude: common.wgsl, tile.wgsl. Bindings (per trial, trial-major): (1) y T×m, (2) x T×n,
// (3) u T×r, (4) xi T×r, (5) zeta T×r, (6) z: weights and h-block solutions (X1 at P.offH1,
// r×P.nrhs1; X2 at P.offH2, r×P.nrhs2), (7) h: output T×r.
// Workgroup 16×16 = a 32×32 tile of (t, i) of trial workgroup_id.z; grid ceil(r/32) ×
// (P.hRegTiles + 1) × B: the regular row tiles cover t < T−1 with D1, the extra last tile row
// computes t = T−1 alone with D2.
const LHS_K_FAST: bool = true;

@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> u: array<f32>;
@group(0) @binding(4) var<storage, read> xi: array<f32>;
@group(0) @binding(5) var<storage, read> zeta: array<f32>;
@group(0) @binding(6) var<storage, read> z: array<f32>;
@group(0) @binding(7) var<storage, read_write> h: array<f32>;

fn lhs(sel: u32, t: u32, k: u32) -> f32 {
  let r = P.r;
  if (t >= P.T) { return 0.0; }
  if (k < r) { return TP.gamma * sigma(u[oTR + t * r + k]) - zeta[oTR + t * r + k]; }
  if (k < r + P.m) {
    let q = k - r;
    return 2.0 * P.invT * (y[oY + t * P.m + q] - z[oZ + P.offN + r * P.m + q]);
  }
  if (t + 1u >= P.T) { return 0.0; }
  if (k < 2u * r + P.m) {
    let q = k - r - P.m;
    return TP.gamma * (u[oTR + (t + 1u) * r + q] - z[oZ + (P.K - 1u) * r + q]) + xi[oTR + (t + 1u) * r + q];
  }
  if (k < 2u * r + P.m + P.n) { return x[oX + (t + 1u) * P.n + (k - 2u * r - P.m)]; }
  return 0.0;
}

fn rhs(sel: u32, k: u32, i: u32) -> f32 {
  if (i >= P.r) { return 0.0; }
  if (sel == 0u) {
    if (k < P.nrhs1) { return z[oZ + P.offH1 + i * P.nrhs1 + k]; }
    return 0.0;
  }
  if (k < P.nrhs2) { return z[oZ + P.offH2 + i * P.nrhs2 + k]; }
  return 0.0;
}

@compute @workgroup_size(16, 16)
fn update(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  if (!trial_active(wg.z)) { return; }
  set_trial(wg.z);
  let last = wg.y == P.hRegTiles;
  var row0 = wg.y * TS;
  var sel = 0u;
  if (last) { row0 = P.T - 1u; sel = 1u; }
  let acc = tile_product(sel, row0, wg.x * TS, 0u, P.nrhs1, lid.x, lid.y);
  for (var q = 0u; q < 4u; q++) {
    let t = row0 + lid.y + tile_dr(q);
    let i = wg.x * TS + lid.x + tile_dc(q);
    var ok = i < P.r;
    if (last) { ok = ok && t == P.T - 1u; } else { ok = ok && t + 1u < P.T; }
    if (ok) { h[oTR + t * P.r + i] = (acc[q].x + acc[q].y); }
  }
}
