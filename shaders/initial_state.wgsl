// initial_state.wgsl — the feasible starting point s^0 of the ALM (docs/method.md §5.1)
// from the weights in z: h_0 = 0, u_t = W h_{t−1} + V x_t + b, h_t = σ(u_t), t = 1..T.
// Prelude: common.wgsl (ACT; P.T, P.r, P.n, P.K).
// Bindings (per trial, trial-major): (1) x T×n; (2) z: Mᵀ = [W V b]ᵀ (K×r) at 0, so W[i][j] =
// z[j·r + i] and a row i of M is read with stride r — consecutive invocations i read consecutive
// words; (3) u T×r and (4) h T×r, both written (row-major, time-major). The trial is
// workgroup_id.z (grid z = B) in both entries.
// Entry `inputs` (the parallel part): one invocation per (t, i) writes u_t[i] = V x_t + b;
// workgroups of 256 over ceil(T·r / 256), the grid wrapped into y past 65 535, × B.
// Entry `recurrence` (the sequential part): ONE workgroup of 256 per trial (grid 1 × 1 × B) walks the steps of one chunk
// [chunk.x, chunk.y) (0-based t; binding (5), one uniform range per dispatch, so that no single
// dispatch runs long enough to meet a browser's GPU watchdog); invocation li owns the rows
// i ≡ li (mod 256): u_t[i] += Σ_j W[i][j] h_{t−1}[j], h_t[i] = σ(u_t[i]), sums compensated
// (Neumaier). h_{t−1} comes from workgroup memory (two halves, alternating, one barrier a step)
// when r ≤ SHARED_R, else from the h buffer (storageBarrier); a chunk that does not start at
// t = 0 first loads h_{t−1} from the h buffer, so the result does not depend on the chunking.
// The products use the stored f32 h_{t−1}, so s^0 is feasible to f32 rounding in the
// backend's own arithmetic, whatever the spectral radius of W.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> z: array<f32>;
@group(0) @binding(3) var<storage, read_write> u: array<f32>;
@group(0) @binding(4) var<storage, read_write> h: array<f32>;
@group(0) @binding(5) var<uniform> chunk: vec4<u32>;

const WG: u32 = 256u;
const SHARED_R: u32 = 1024u;

var<workgroup> hs: array<f32, 2048>;

@compute @workgroup_size(256)
fn inputs(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let e = (wg.y * nwg.x + wg.x) * WG + li;
  let r = P.r;
  if (!trial_active(wg.z) || e >= P.T * r) { return; }
  set_trial(wg.z);
  let t = e / r;
  let i = e % r;
  var acc = vec2<f32>(z[oZ + (P.K - 1u) * r + i], 0.0);
  for (var j = 0u; j < P.n; j++) {
    acc = comp_add(acc, z[oZ + (r + j) * r + i] * x[oX + t * P.n + j]);
  }
  u[oTR + e] = acc.x + acc.y;
}

@compute @workgroup_size(256)
fn recurrence(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  if (!trial_active(wg.z)) { return; }
  set_trial(wg.z);
  let r = P.r;
  let o = oTR;
  let oz = oZ;
  let inShared = r <= SHARED_R;
  let t1 = min(chunk.y, P.T);
  var t0 = chunk.x;
  if (t0 == 0u) {
    // t = 0: h_{−1} = 0, so u_0 is its input part.
    for (var i = li; i < r; i += WG) {
      let v = sigma(u[o + i]);
      h[o + i] = v;
      if (inShared) { hs[i] = v; }
    }
    t0 = 1u;
  } else if (inShared) {
    let prevHalf = ((t0 - 1u) % 2u) * SHARED_R;
    for (var i = li; i < r; i += WG) { hs[prevHalf + i] = h[o + (t0 - 1u) * r + i]; }
  }
  if (inShared) { workgroupBarrier(); } else { storageBarrier(); }
  for (var t = t0; t < t1; t++) {
    let prevHalf = ((t - 1u) % 2u) * SHARED_R;
    let curHalf = (t % 2u) * SHARED_R;
    for (var i = li; i < r; i += WG) {
      var acc = vec2<f32>(u[o + t * r + i], 0.0);
      for (var j = 0u; j < r; j++) {
        var hj: f32;
        if (inShared) { hj = hs[prevHalf + j]; } else { hj = h[o + (t - 1u) * r + j]; }
        acc = comp_add(acc, z[oz + j * r + i] * hj);
      }
      let s = acc.x + acc.y;
      u[o + t * r + i] = s;
      let v = sigma(s);
      h[o + t * r + i] = v;
      if (inShared) { hs[curHalf + i] = v; }
    }
    // Uniform branch (P.r is a uniform): every invocation takes the same barrier.
    if (inShared) { workgroupBarrier(); } else { storageBarrier(); }
  }
}
