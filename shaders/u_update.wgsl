// u_update.wgsl — the u-block (docs/method.md §4.4): ψ_t = W h_{t−1} + V x_t + b for all t as
// one tiled product (p_tᵀ Mᵀ), then per entry the exact minimiser of
//   φ(u) = (γ/2)(u − θ1)² + (γ/2)(θ2 − σ(u))² + (μ/2)(u − θ3)² + λ6 u²,
//   θ1 = ψ − ξ/γ, θ2 = h + ζ/γ, θ3 = the previous u,
// in closed form for ReLU and leaky ReLU, and for ELU on (−∞, 0] by a bounded search: a
// finite lower bound, the ≤ 2 inflection points (roots of a quadratic in e^u) split it into
// ≤ 3 pieces, safeguarded Newton (NEWTON_STEPS steps) on the convex ones, best candidate.
// u⁺ (the u > 0 branch) wins ties. Prelude: common.wgsl (ACT), tile.wgsl.
// Bindings (per trial, trial-major): (1) h T×r, (2) x T×n, (3) u T×r (read θ3, write the new
// u), (4) xi, (5) zeta, (6) z: Mᵀ (K×r) at 0, (7) wres: T×r, written when RESIDUAL. Entry
// `update`: workgroup 16×16 = a 32×32 tile of (t, i) of trial workgroup_id.z; grid ceil(r/32) ×
// ceil(T/32) × B.
// override RESIDUAL: instead of the u-block, the same product then wres = u + ξ/γ − ψ (the
// data residual E of the w-part of the z-block, from which gram.wgsl (WHICH 2) forms the
// refinement right-hand side; with EXACT_DOT the product is accurate to about one rounding
// of ψ itself).
const LHS_K_FAST: bool = true;
const NEWTON_STEPS: u32 = 32u;
override RESIDUAL: bool = false;

@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> u: array<f32>;
@group(0) @binding(4) var<storage, read> xi: array<f32>;
@group(0) @binding(5) var<storage, read> zeta: array<f32>;
@group(0) @binding(6) var<storage, read> z: array<f32>;
@group(0) @binding(7) var<storage, read_write> wres: array<f32>;

fn lhs(sel: u32, t: u32, k: u32) -> f32 {
  if (t >= P.T) { return 0.0; }
  if (k < P.r) {
    if (t == 0u) { return 0.0; }
    return h[oTR + (t - 1u) * P.r + k];
  }
  if (k < P.r + P.n) { return x[oX + t * P.n + (k - P.r)]; }
  if (k == P.K - 1u) { return 1.0; }
  return 0.0;
}

fn rhs(sel: u32, k: u32, i: u32) -> f32 {
  if (i >= P.r || k >= P.K) { return 0.0; }
  return z[oZ + k * P.r + i];
}

struct Theta { t1: f32, t2: f32, t3: f32 };

fn phi(th: Theta, v: f32) -> f32 {
  let g = TP.gamma;
  let a = v - th.t1;
  let b = th.t2 - sigma(v);
  let c = v - th.t3;
  return 0.5 * g * a * a + 0.5 * g * b * b + 0.5 * TP.mu * c * c + TP.l6 * v * v;
}

/** φ(p) − φ(q), formed from differences so that equal large terms cancel exactly. */
fn phi_diff(th: Theta, p: f32, q: f32) -> f32 {
  let g = TP.gamma;
  let sp = sigma(p);
  let sq = sigma(q);
  let d = p - q;
  return 0.5 * g * d * (p + q - 2.0 * th.t1) + 0.5 * g * (sp - sq) * (sp + sq - 2.0 * th.t2)
    + 0.5 * TP.mu * d * (p + q - 2.0 * th.t3) + TP.l6 * d * (p + q);
}

/** ELU: φ'(v) on v ≤ 0. */
fn elu_d1(th: Theta, c0: f32, v: f32) -> f32 {
  let s = exp(v);
  return c0 * v - TP.gamma * th.t1 - TP.mu * th.t3 - TP.gamma * (th.t2 + 1.0 - s) * s;
}

/** ELU: φ''(v) on v ≤ 0. */
fn elu_d2(th: Theta, c0: f32, v: f32) -> f32 {
  let s = exp(v);
  return c0 + TP.gamma * s * (2.0 * s - (th.t2 + 1.0));
}

/** ELU: the minimiser of φ on the convex piece [lo, hi] (φ' increasing there). */
fn elu_piece_min(th: Theta, c0: f32, lo0: f32, hi0: f32) -> f32 {
  var lo = lo0;
  var hi = hi0;
  if (elu_d1(th, c0, lo) >= 0.0) { return lo; }
  if (elu_d1(th, c0, hi) <= 0.0) { return hi; }
  var v = 0.5 * (lo + hi);
  for (var it = 0u; it < NEWTON_STEPS; it++) {
    let d1 = elu_d1(th, c0, v);
    if (d1 > 0.0) { hi = v; } else { lo = v; }
    let d2 = elu_d2(th, c0, v);
    var nv = v - d1 / d2;
    if (!(d2 > 0.0) || !(nv > lo && nv < hi)) { nv = 0.5 * (lo + hi); }
    if (nv == v) { break; }
    v = nv;
  }
  return v;
}

/** ELU: global minimiser of φ on (−∞, 0]. */
fn elu_negative(th: Theta) -> f32 {
  let g = TP.gamma;
  let c0 = g + TP.mu + 2.0 * TP.l6;
  let tp1 = th.t2 + 1.0;
  // φ' < 0 left of this bound, so the minimiser lies in [lb, 0].
  let lb = min(0.0, (g * th.t1 + TP.mu * th.t3 - g * (abs(tp1) + 1.0)) / c0) - 1.0e-3;
  var pts = array<f32, 4>(lb, 0.0, 0.0, 0.0);
  var np = 1u;
  let disc = tp1 * tp1 - 8.0 * c0 / g;
  if (disc > 0.0) {
    let sd = sqrt(disc);
    let s1 = 0.25 * (tp1 - sd);
    let s2 = 0.25 * (tp1 + sd);
    if (s1 > 0.0 && s1 < 1.0) { let v = log(s1); if (v > lb) { pts[np] = v; np++; } }
    if (s2 > 0.0 && s2 < 1.0) { let v = log(s2); if (v > pts[np - 1u]) { pts[np] = v; np++; } }
  }
  pts[np] = 0.0;
  var best = 0.0;
  var bestPhi = phi(th, 0.0);
  for (var k = 0u; k < np; k++) {
    let lo = pts[k];
    let hi = pts[k + 1u];
    var cand = lo;
    if (hi > lo && elu_d2(th, c0, 0.5 * (lo + hi)) > 0.0) { cand = elu_piece_min(th, c0, lo, hi); }
    let f = phi(th, cand);
    if (f < bestPhi) { bestPhi = f; best = cand; }
    let fl = phi(th, lo);
    if (fl < bestPhi) { bestPhi = fl; best = lo; }
  }
  return best;
}

/** The new u for one entry. */
fn u_new(th: Theta) -> f32 {
  let g = TP.gamma;
  let mu = TP.mu;
  let l6 = TP.l6;
  let up = max(0.0, (g * th.t1 + g * th.t2 + mu * th.t3) / (2.0 * g + mu + 2.0 * l6));
  var um = 0.0;
  if (ACT == 0u) {
    um = min(0.0, (g * th.t1 + mu * th.t3) / (g + mu + 2.0 * l6));
  } else if (ACT == 1u) {
    let w = P.omega;
    um = min(0.0, (g * th.t1 + g * w * th.t2 + mu * th.t3) / (g + g * w * w + mu + 2.0 * l6));
  } else {
    um = elu_negative(th);
  }
  if (phi_diff(th, up, um) <= 0.0) { return up; }
  return um;
}

@compute @workgroup_size(16, 16)
fn update(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  if (!trial_active(wg.z)) { return; }
  set_trial(wg.z);
  let row0 = wg.y * TS;
  let col0 = wg.x * TS;
  let acc = tile_product(0u, row0, col0, 0u, P.K, lid.x, lid.y);
  for (var q = 0u; q < 4u; q++) {
    let t = row0 + lid.y + tile_dr(q);
    let i = col0 + lid.x + tile_dc(q);
    if (t < P.T && i < P.r) {
      let e = oTR + t * P.r + i;
      if (RESIDUAL) {
        wres[e] = ((u[e] + xi[e] / TP.gamma) - acc[q].x) - acc[q].y;
      } else {
        let th = Theta((acc[q].x + acc[q].y) - xi[e] / TP.gamma, h[e] + zeta[e] / TP.gamma, u[e]);
        u[e] = u_new(th);
      }
    }
  }
}
