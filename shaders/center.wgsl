// center.wgsl — centring of the z-block systems (a change of basis that removes the near-
// collinearity of the constant row of P, Q with the mean of h and x; without it rounding G to
// f32 costs three digits in b). With shift m̂ = [h̄; x̄; 0] (h̄ the time mean of h_{t−1}, x̄ of
// x_t), gram.wgsl accumulates p̃_t = p_t − m̂ and q̃_t = q_t − [h̄; 0]; the solution of the
// centred system is M̃ᵀ (and Ñᵀ) and M = M̃ S: every row of Mᵀ equals that of M̃ᵀ except the
// bias row, b = b̃ − Σ_j m̂_j M̃ᵀ_j (likewise c = c̃ − Σ_j h̄_j Ñᵀ_j).
// Prelude: common.wgsl. Bindings (per trial, trial-major): (1) h T×r, (2) shift K floats
// [h̄; x̄; 0] (x̄ written by the host at load), (3) xz: centred solutions, same layout as the
// weights part of z, (4) z.
// Entry `means`: one workgroup of 256 per column of h and trial (grid r × 1 × B): compensated
// sum of h_0…h_{T−2} in a strided share per invocation, tree, divided by T. Entry `uncenter`
// (z ← xz) and `center` (xz ← z): workgroup 256, grid x × y × B (x·y·256 ≥ the weights), one
// invocation per entry of Mᵀ and Nᵀ of trial workgroup_id.z; the bias rows take a compensated
// dot product of length K−1 (r for Nᵀ).
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read_write> shift: array<f32>;
@group(0) @binding(3) var<storage, read_write> xz: array<f32>;
@group(0) @binding(4) var<storage, read_write> z: array<f32>;

var<workgroup> sh: array<vec2<f32>, 256>;

@compute @workgroup_size(256)
fn means(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  if (!trial_active(wg.z)) { return; }
  set_trial(wg.z);
  let c = wg.x;
  var acc = vec2<f32>(0.0, 0.0);
  for (var t = li; t + 1u < P.T; t += 256u) { acc = comp_add(acc, h[oTR + t * P.r + c]); }
  sh[li] = acc;
  workgroupBarrier();
  if (li < 16u) {
    var a = sh[li * 16u];
    for (var q = 1u; q < 16u; q++) { a = comp_add(a, sh[li * 16u + q].x); a.y += sh[li * 16u + q].y; }
    sh[li * 16u] = a;
  }
  workgroupBarrier();
  if (li == 0u) {
    var a = sh[0];
    for (var q = 1u; q < 16u; q++) { a = comp_add(a, sh[q * 16u].x); a.y += sh[q * 16u].y; }
    shift[oS + c] = (a.x + a.y) / f32(P.T);
  }
}

/** Σ_{j<len} shift[j] · src[base + j·stride], compensated. */
fn shifted_dot(from_z: bool, base: u32, stride: u32, len: u32) -> f32 {
  var acc = vec2<f32>(0.0, 0.0);
  for (var j = 0u; j < len; j++) {
    var v = 0.0;
    if (from_z) { v = z[oZ + base + j * stride]; } else { v = xz[oWt + base + j * stride]; }
    acc = comp_add(acc, shift[oS + j] * v);
  }
  return acc.x + acc.y;
}

/** Entry e of the weights part: the bias-row correction Σ m̂_j X_j (0 on other rows). */
fn correction(from_z: bool, e: u32) -> f32 {
  let r = P.r;
  if (e < P.K * r) {
    if (e / r == P.K - 1u) { return shifted_dot(from_z, e % r, r, P.K - 1u); }
    return 0.0;
  }
  let q = e - P.offN;
  if (q / P.m == r) { return shifted_dot(from_z, P.offN + q % P.m, P.m, r); }
  return 0.0;
}

@compute @workgroup_size(256)
fn uncenter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * 256u;
  if (!trial_active(wg.z) || e >= P.offN + (P.r + 1u) * P.m) { return; }
  set_trial(wg.z);
  z[oZ + e] = xz[oWt + e] - correction(false, e);
}

@compute @workgroup_size(256)
fn center(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = gid.x + gid.y * nwg.x * 256u;
  if (!trial_active(wg.z) || e >= P.offN + (P.r + 1u) * P.m) { return; }
  set_trial(wg.z);
  xz[oWt + e] = z[oZ + e] + correction(true, e);
}
