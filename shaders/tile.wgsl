// tile.wgsl — the tiled-product core, prepended (after common.wgsl) by every kernel that
// multiplies along a long index: gram (over time), u_update, h_update, multipliers.
// The including shader defines
//   const LHS_K_FAST: bool   — true when lhs(…, k) is contiguous in k (load layout only),
//   fn lhs(sel: u32, row: u32, k: u32) -> f32  and  fn rhs(sel: u32, k: u32, col: u32) -> f32,
// both returning 0 outside their ranges.
// Workgroup 16×16: invocation (lx, ly) computes output (row0 + ly, col0 + lx) =
// Σ_{k∈[k0,k1)} lhs(row, k)·rhs(k, col). Blocks of 16 k pass through workgroup memory; each
// block's 16 terms are summed with fma and the block sums are accumulated with Neumaier's
// compensated sum, returned as (sum, compensation). k0, k1 must be workgroup-uniform.
const TS: u32 = 16u;
var<workgroup> tA: array<array<f32, 16>, 16>; // [k][row]
var<workgroup> tB: array<array<f32, 16>, 16>; // [k][col]

fn tile_product(sel: u32, row0: u32, col0: u32, k0: u32, k1: u32, lx: u32, ly: u32) -> vec2<f32> {
  var acc = vec2<f32>(0.0, 0.0);
  for (var kb = k0; kb < k1; kb += TS) {
    if (LHS_K_FAST) {
      let ka = kb + lx;
      var va = 0.0;
      if (ka < k1) { va = lhs(sel, row0 + ly, ka); }
      tA[lx][ly] = va;
    } else {
      let ka = kb + ly;
      var va = 0.0;
      if (ka < k1) { va = lhs(sel, row0 + lx, ka); }
      tA[ly][lx] = va;
    }
    let kk = kb + ly;
    var vb = 0.0;
    if (kk < k1) { vb = rhs(sel, kk, col0 + lx); }
    tB[ly][lx] = vb;
    workgroupBarrier();
    var part = 0.0;
    for (var q = 0u; q < TS; q++) {
      part = fma(tA[q][ly], tB[q][lx], part);
    }
    workgroupBarrier();
    acc = comp_add(acc, part);
  }
  return acc;
}
