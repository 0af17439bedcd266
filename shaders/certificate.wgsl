// certificate.wgsl — the h- and u-parts of the stationarity certificate (docs/method.md §4.5)
// from the last sweep of a batch: with Δu = u^j − u^{j−1},
//   g_t = −γ (Wᵀ Δu_{t+1} + σ(u^j_t) − σ(u^{j−1}_t)) = ∇_h L(s^j) − ∇_h L(z^j, h^j, u^{j−1}),
// and the u-part −μ Δu. Prelude: common.wgsl (ACT), tile.wgsl.
// Bindings (per trial, trial-major): (1) u T×r, (2) uprev T×r (u before the last sweep), (3) z
// (Mᵀ at 0: W[k][i] = z[i·r + k]), (4) red: partial sums [slot][P.statsRows].
// Workgroup 16×16 = a 32×32 tile of (t, i) of trial workgroup_id.z, grid ceil(r/32) × ceil(T/32)
// × B; the workgroup's sums go to slot 8 (Σ g²) and slot 9 (Σ Δu²), row = its linear index.
const LHS_K_FAST: bool = true;

@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> uprev: array<f32>;
@group(0) @binding(3) var<storage, read> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> red: array<f32>;

var<workgroup> s1: array<vec2<f32>, 256>;

fn lhs(sel: u32, t: u32, k: u32) -> f32 {
  if (t + 1u >= P.T || k >= P.r) { return 0.0; }
  let e = oTR + (t + 1u) * P.r + k;
  return u[e] - uprev[e];
}

fn rhs(sel: u32, k: u32, i: u32) -> f32 {
  if (i >= P.r || k >= P.r) { return 0.0; }
  return z[oZ + i * P.r + k];
}

@compute @workgroup_size(16, 16)
fn hpart(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
         @builtin(local_invocation_index) li: u32) {
  if (!trial_active(wg.z)) { return; }
  set_trial(wg.z);
  let rt = (P.r + TS - 1u) / TS;
  let row0 = wg.y * TS;
  let col0 = wg.x * TS;
  let acc = tile_product(0u, row0, col0, 0u, P.r, lid.x, lid.y);
  var v = vec2<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    let t = row0 + lid.y + tile_dr(q);
    let i = col0 + lid.x + tile_dc(q);
    if (t < P.T && i < P.r) {
      let e = oTR + t * P.r + i;
      let du = u[e] - uprev[e];
      let g = -TP.gamma * ((acc[q].x + acc[q].y) + (sigma(u[e]) - sigma(uprev[e])));
      v += vec2<f32>(g * g, du * du);
    }
  }
  s1[li] = v;
  workgroupBarrier();
  if (li < 64u) { s1[li] = (s1[li] + s1[li + 64u]) + (s1[li + 128u] + s1[li + 192u]); }
  workgroupBarrier();
  if (li < 2u) {
    var acc = 0.0;
    for (var q = 0u; q < 64u; q++) { acc += s1[q][li]; }
    red[oRed + (8u + li) * P.statsRows + wg.y * rt + wg.x] = acc;
  }
}
