// h_system.wgsl — the two r×r systems of the h-block (docs/method.md §4.3), augmented so that
// one factorise-and-solve yields every matrix the batched h-update needs:
//   system 1 (t < T): [D1 | I | Aᵀ | Wᵀ | −γ Wᵀ V],  D1 = (2/T) AᵀA + γ WᵀW + γ I
//   system 2 (t = T): [D2 | I | Aᵀ],                 D2 = (2/T) AᵀA + γ I
// whose solutions D⁻¹[I | Aᵀ | Wᵀ | −γWᵀV] are the right operands of h_update.wgsl.
// Prelude: common.wgsl. Bindings (per trial, trial-major): (1) z: weights, Mᵀ (K×r) at 0 and
// Nᵀ ((r+1)×m) at P.offN; (2) sysh: system 1 at 0 (r rows, r + P.nrhs1 columns), then system 2
// (r + P.nrhs2 columns), P.sysHLen a trial.
// Workgroup 256, grid x × y × B: one invocation per entry of either system of trial
// workgroup_id.z (dot products of length m, r, r).
@group(0) @binding(1) var<storage, read> z: array<f32>;
@group(0) @binding(2) var<storage, read_write> sysh: array<f32>;

fn w_el(k: u32, i: u32) -> f32 { return z[oZ + i * P.r + k]; }            // W[k][i]
fn v_el(k: u32, j: u32) -> f32 { return z[oZ + (P.r + j) * P.r + k]; }     // V[k][j]
fn a_el(k: u32, i: u32) -> f32 { return z[oZ + P.offN + i * P.m + k]; }    // A[k][i]

fn ata(i: u32, j: u32) -> f32 {
  var s = 0.0;
  for (var k = 0u; k < P.m; k++) { s = fma(a_el(k, i), a_el(k, j), s); }
  return 2.0 * P.invT * s;
}

@compute @workgroup_size(256)
fn form(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = P.r;
  let e = gid.x + gid.y * nwg.x * 256u;
  let w1 = r + P.nrhs1;
  let w2 = r + P.nrhs2;
  let n1 = r * w1;
  if (!trial_active(wg.z) || e >= n1 + r * w2) { return; }
  set_trial(wg.z);
  var first = e < n1;
  var i = 0u;
  var c = 0u;
  if (first) { i = e / w1; c = e % w1; } else { i = (e - n1) / w2; c = (e - n1) % w2; }
  var v = 0.0;
  if (c < r) {
    let j = c;
    v = ata(i, j);
    if (first) {
      var s = 0.0;
      for (var k = 0u; k < r; k++) { s = fma(w_el(k, i), w_el(k, j), s); }
      v += TP.gamma * s;
    }
    if (i == j) { v += TP.gamma; }
  } else if (c < 2u * r) {
    if (c - r == i) { v = 1.0; }
  } else if (c < 2u * r + P.m) {
    v = a_el(c - 2u * r, i);
  } else if (c < 3u * r + P.m) {
    v = w_el(c - 2u * r - P.m, i);
  } else {
    let j = c - 3u * r - P.m;
    var s = 0.0;
    for (var k = 0u; k < r; k++) { s = fma(w_el(k, i), v_el(k, j), s); }
    v = -TP.gamma * s;
  }
  sysh[oSH + e] = v;
}
