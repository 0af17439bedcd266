// multipliers.wgsl — constraint residuals, the multiplier update (3.7) and the per-step terms of
// the augmented Lagrangian, reduced per workgroup into partial sums (finished by reduce.wgsl).
// Prelude: common.wgsl (ACT), tile.wgsl. override UPDATE: ξ += γ C1, ζ += γ C2 in `stats`.
// Bindings (per trial, trial-major): (1) h, (2) x, (3) u, (4) xi, (5) zeta (all T×r but x:
// T×n), (6) y T×m, (7) z (Mᵀ at 0, Nᵀ at P.offN), (8) red: partial sums [slot][P.statsRows].
// Entry `stats`, workgroup 16×16, grid P.nStatsX × ceil(T/32) × B (trial workgroup_id.z; a
// trial that is not active writes nothing, not even its sums): column tiles below ceil(r/32)
// form ψ_t = M p_t for a 32×32 tile of (t, i) and, per entry, C1 = u − ψ, C2 = h − σ(u);
// the remaining column tiles form the fit residual e_t = y_t − N q_t. Slots: 0 ΣC1², 1 ΣC2²,
// 2 ΣC1·ξ, 3 ΣC2·ζ (ξ, ζ before the update), 4 Σξ², 5 Σζ² (after it), 6 Σu², 7 Σe².
override UPDATE: bool = false;
const LHS_K_FAST: bool = true;

@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> u: array<f32>;
@group(0) @binding(4) var<storage, read_write> xi: array<f32>;
@group(0) @binding(5) var<storage, read_write> zeta: array<f32>;
@group(0) @binding(6) var<storage, read> y: array<f32>;
@group(0) @binding(7) var<storage, read> z: array<f32>;
@group(0) @binding(8) var<storage, read_write> red: array<f32>;


fn lhs(sel: u32, t: u32, k: u32) -> f32 {
  if (t >= P.T) { return 0.0; }
  if (sel == 0u) {
    if (k < P.r) {
      if (t == 0u) { return 0.0; }
      return h[oTR + (t - 1u) * P.r + k];
    }
    if (k < P.r + P.n) { return x[oX + t * P.n + (k - P.r)]; }
    if (k == P.K - 1u) { return 1.0; }
    return 0.0;
  }
  if (k < P.r) { return h[oTR + t * P.r + k]; }
  if (k == P.r) { return 1.0; }
  return 0.0;
}

fn rhs(sel: u32, k: u32, j: u32) -> f32 {
  if (sel == 0u) {
    if (j >= P.r || k >= P.K) { return 0.0; }
    return z[oZ + k * P.r + j];
  }
  if (j >= P.m || k > P.r) { return 0.0; }
  return z[oZ + P.offN + k * P.m + j];
}

/**
 * Sums a and b over the workgroup into slots 0…7, row `row` (256 → 32 → 1). Uses the free tile
 * arrays of tile.wgsl: component c of invocation li sits at tA/tB[(c % 4)·8 + li / 32][li % 32].
 */
fn reduce8(li: u32, a: vec4<f32>, b: vec4<f32>, row: u32) {
  let hi = li / 32u;
  let lo = li % 32u;
  for (var c = 0u; c < 4u; c++) {
    tA[c * 8u + hi][lo] = a[c];
    tB[c * 8u + hi][lo] = b[c];
  }
  workgroupBarrier();
  // Invocation li: component li / 32 (0…7), partial sum over column li % 32 of its 8 rows.
  let comp = li / 32u;
  var acc = 0.0;
  for (var q = 0u; q < 8u; q++) {
    if (comp < 4u) { acc += tA[comp * 8u + q][lo]; } else { acc += tB[(comp - 4u) * 8u + q][lo]; }
  }
  workgroupBarrier();
  if (comp < 4u) { tA[comp * 8u][lo] = acc; } else { tB[(comp - 4u) * 8u][lo] = acc; }
  workgroupBarrier();
  if (li < 8u) {
    var total = 0.0;
    for (var q = 0u; q < 32u; q++) {
      if (li < 4u) { total += tA[li * 8u][q]; } else { total += tB[(li - 4u) * 8u][q]; }
    }
    red[oRed + li * P.statsRows + row] = total;
  }
}

@compute @workgroup_size(16, 16)
fn stats(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
         @builtin(local_invocation_index) li: u32) {
  if (!trial_active(wg.z)) { return; }
  set_trial(wg.z);
  let rt = (P.r + TS - 1u) / TS;
  var sel = 0u;
  var col0 = wg.x * TS;
  var k1 = P.K;
  if (wg.x >= rt) { sel = 1u; col0 = (wg.x - rt) * TS; k1 = P.r + 1u; }
  let row0 = wg.y * TS;
  let acc = tile_product(sel, row0, col0, 0u, k1, lid.x, lid.y);
  var a = vec4<f32>(0.0);
  var b = vec4<f32>(0.0);
  for (var q = 0u; q < 4u; q++) {
    let t = row0 + lid.y + tile_dr(q);
    let j = col0 + lid.x + tile_dc(q);
    if (sel == 0u && t < P.T && j < P.r) {
      let e = oTR + t * P.r + j;
      let uu = u[e];
      let c1 = (uu - acc[q].x) - acc[q].y;
      let c2 = h[e] - sigma(uu);
      var xv = xi[e];
      var zv = zeta[e];
      a += vec4<f32>(c1 * c1, c2 * c2, c1 * xv, c2 * zv);
      if (UPDATE) {
        xv = xv + TP.gamma * c1;
        zv = zv + TP.gamma * c2;
        xi[e] = xv;
        zeta[e] = zv;
      }
      b += vec4<f32>(xv * xv, zv * zv, uu * uu, 0.0);
    }
    if (sel == 1u && t < P.T && j < P.m) {
      let d = (y[oY + t * P.m + j] - acc[q].x) - acc[q].y;
      b.w += d * d;
    }
  }
  reduce8(li, a, b, wg.y * P.nStatsX + wg.x);
}
