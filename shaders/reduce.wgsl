// reduce.wgsl — final tree reductions to the few scalars that are read back.
// Prelude: common.wgsl. Bindings (per trial, trial-major, but counts): (1) red: partial sums
// [slot][P.statsRows]; (2) counts: how many rows of each slot the last writer filled (shared);
// (3) z: weights (Mᵀ at 0, Nᵀ at P.offN); (4) outv: per slot a (sum, compensation) pair.
// Workgroup 256 per slot and trial (grid NSLOT × 1 × B, trial workgroup_id.z; every trial is
// reduced, active or not: the sums are scratch, not state). Slots 0…11 sum red rows; slots 12…16 sum squares of
// the weights: 12 ||A||², 13 ||W||², 14 ||V||², 15 ||b||², 16 ||c||². Each invocation
// accumulates a strided share with Neumaier's sum; the shares meet in a TwoSum tree.
@group(0) @binding(1) var<storage, read> red: array<f32>;
@group(0) @binding(2) var<storage, read> counts: array<u32>;
@group(0) @binding(3) var<storage, read> z: array<f32>;
@group(0) @binding(4) var<storage, read_write> outv: array<f32>;

var<workgroup> sh: array<vec2<f32>, 256>;

fn two_sum_pair(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let s = a.x + b.x;
  let bb = s - a.x;
  let e = (a.x - (s - bb)) + (b.x - bb);
  return vec2<f32>(s, a.y + b.y + e);
}

@compute @workgroup_size(256)
fn reduce(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let slot = wg.x;
  set_trial(wg.z);
  var acc = vec2<f32>(0.0, 0.0);
  if (slot < 12u) {
    let cnt = counts[slot];
    for (var i = li; i < cnt; i += 256u) { acc = comp_add(acc, red[oRed + slot * P.statsRows + i]); }
  } else {
    let r = P.r;
    var lo = 0u;
    var hi = 0u;
    if (slot == 12u) { lo = P.offN; hi = P.offN + r * P.m; }
    else if (slot == 13u) { lo = 0u; hi = r * r; }
    else if (slot == 14u) { lo = r * r; hi = (r + P.n) * r; }
    else if (slot == 15u) { lo = (P.K - 1u) * r; hi = P.K * r; }
    else if (slot == 16u) { lo = P.offN + r * P.m; hi = P.offN + (r + 1u) * P.m; }
    for (var i = lo + li; i < hi; i += 256u) { let v = z[oZ + i]; acc = comp_add(acc, v * v); }
  }
  sh[li] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { sh[li] = two_sum_pair(sh[li], sh[li + s]); }
    workgroupBarrier();
  }
  if (li == 0u) {
    outv[oOut + 2u * slot] = sh[0].x;
    outv[oOut + 2u * slot + 1u] = sh[0].y;
  }
}
