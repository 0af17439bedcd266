// tile.wgsl — the tiled-product core, prepended (after common.wgsl) by every kernel that
// multiplies along a long index: gram (over time), u_update, h_update, multipliers, certificate.
// The including shader defines
//   const LHS_K_FAST: bool   — true when lhs(…, k) is contiguous in k (load layout only),
//   fn lhs(sel: u32, row: u32, k: u32) -> f32  and  fn rhs(sel: u32, k: u32, col: u32) -> f32,
// both returning 0 outside their ranges.
// Workgroup 16×16 computes a 32×32 output tile: invocation (lx, ly) owns the four outputs
// (row0 + ly + 16a, col0 + lx + 16b), a, b ∈ {0, 1}, returned in order q = 2a + b as
// (sum, compensation) pairs (the value is their sum; a caller may subtract in two steps). Blocks of
// KB = 32 values of k pass through workgroup memory (8 KiB); each block's 32 terms are summed
// with fma and block sums are accumulated with Neumaier's compensated sum.
// override EXACT_DOT: 0 as above; 1 or 2 makes every product exact (TwoProduct: 1 with fma,
// where the adapter fuses it; 2 by Dekker's splitting, where it does not) and accumulates each
// term with TwoSum, so the result is accurate to about one rounding of the result itself
// rather than of the sum of |terms| (used where constraint residuals are formed).
// k0, k1 must be workgroup-uniform. After the call the tile arrays are free (the last
// statement is a barrier), so kernels may reuse tA/tB for their own reductions.
override EXACT_DOT: u32 = 0u;
const TS: u32 = 32u;
const KB: u32 = 32u;
var<workgroup> tA: array<array<f32, 32>, 32>; // [k][row]
var<workgroup> tB: array<array<f32, 32>, 32>; // [k][col]

fn tile_product(sel: u32, row0: u32, col0: u32, k0: u32, k1: u32, lx: u32, ly: u32) -> array<vec2<f32>, 4> {
  let li = ly * 16u + lx;
  var s = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  var c = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var kb = k0; kb < k1; kb += KB) {
    for (var q = 0u; q < 4u; q++) {
      let e = li + 256u * q;
      var ka = 0u;
      var ra = 0u;
      if (LHS_K_FAST) { ka = e % KB; ra = e / KB; } else { ra = e % TS; ka = e / TS; }
      var va = 0.0;
      if (kb + ka < k1) { va = lhs(sel, row0 + ra, kb + ka); }
      tA[ka][ra] = va;
      let kk = e / TS;
      let cb = e % TS;
      var vb = 0.0;
      if (kb + kk < k1) { vb = rhs(sel, kb + kk, col0 + cb); }
      tB[kk][cb] = vb;
    }
    workgroupBarrier();
    if (EXACT_DOT != 0u) {
      for (var q = 0u; q < KB; q++) {
        let a0 = tA[q][ly];
        let a1 = tA[q][ly + 16u];
        let b0 = tB[q][lx];
        let b1 = tB[q][lx + 16u];
        let as_ = array<f32, 4>(a0, a0, a1, a1);
        let bs_ = array<f32, 4>(b0, b1, b0, b1);
        for (var o = 0u; o < 4u; o++) {
          let pr = two_prod(as_[o], bs_[o]);
          let t = s[o] + pr.x;
          let z = t - s[o];
          c[o] += ((s[o] - (t - z)) + (pr.x - z)) + pr.y;
          s[o] = t;
        }
      }
      workgroupBarrier();
      continue;
    }
    var p0 = 0.0;
    var p1 = 0.0;
    var p2 = 0.0;
    var p3 = 0.0;
    for (var q = 0u; q < KB; q++) {
      let a0 = tA[q][ly];
      let a1 = tA[q][ly + 16u];
      let b0 = tB[q][lx];
      let b1 = tB[q][lx + 16u];
      p0 = fma(a0, b0, p0);
      p1 = fma(a0, b1, p1);
      p2 = fma(a1, b0, p2);
      p3 = fma(a1, b1, p3);
    }
    workgroupBarrier();
    let parts = array<f32, 4>(p0, p1, p2, p3);
    for (var q = 0u; q < 4u; q++) {
      let t = s[q] + parts[q];
      if (abs(s[q]) >= abs(parts[q])) { c[q] += (s[q] - t) + parts[q]; } else { c[q] += (parts[q] - t) + s[q]; }
      s[q] = t;
    }
  }
  return array<vec2<f32>, 4>(vec2<f32>(s[0], c[0]), vec2<f32>(s[1], c[1]), vec2<f32>(s[2], c[2]), vec2<f32>(s[3], c[3]));
}

/** Dekker's split of a into a 12-bit high part and the rest. */
fn split12(a: f32) -> vec2<f32> {
  let c = 4097.0 * a;
  let hi = c - (c - a);
  return vec2<f32>(hi, a - hi);
}

/** (a·b rounded, its exact rounding error). */
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let p = a * b;
  if (EXACT_DOT == 1u) { return vec2<f32>(p, fma(a, b, -p)); }
  let sa = split12(a);
  let sb = split12(b);
  let e = ((sa.x * sb.x - p) + sa.x * sb.y + sa.y * sb.x) + sa.y * sb.y;
  return vec2<f32>(p, e);
}

/** Row offset (0 or 16) of output q of an invocation. */
fn tile_dr(q: u32) -> u32 { return (q / 2u) * 16u; }
/** Column offset (0 or 16) of output q of an invocation. */
fn tile_dc(q: u32) -> u32 { return (q % 2u) * 16u; }
