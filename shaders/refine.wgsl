// refine.wgsl — residuals R = B − A X of augmented systems, for iterative refinement of the
// z-block solves and for the z-part of the stationarity certificate.
// Prelude: common.wgsl. Bindings: (1) orig: the unfactored systems [A | B] (A symmetric,
// stored in full); (2) a: the factorised systems, whose B columns receive R; (3) outb: the
// current solutions X (n×nrhs at outOff); (4) systems: descriptors (as in cholesky.wgsl; orig
// and a have the trial stride aStride, outb outStride); (5) red: per-workgroup partial sums,
// slot 10 + system index, row workgroup_id.x; (6) shift m̂ of center.wgsl (the z-block systems
// are centred: R̃ = S R). Red and shift are per trial (trial-major, Params strides).
// Workgroup 256 (grid: ceil(max n·nrhs / 256) × number of systems × B (trial workgroup_id.z),
// from descriptor
// FIRST_SYSTEM on; the P-system's residual comes from its data instead, gram.wgsl WHICH 2,
// and with FROM_B this kernel only reduces it for the certificate): one invocation per entry
// (i, k) forms R̃[i][k] = B[i][k] − Σ_j A[i][j] X[j][k] with a compensated dot product
// (TwoSum accumulation; products exact where fma is fused), writes it for the re-solve, and
// adds the squared gradient entry (scale · R[i][k])² of the uncentred residual
// R = S⁻¹R̃ (R_i = R̃_i + m̂_i R̃_last) to a tree sum, where scale turns the residual into the
// gradient of L: γ for the P-system (kind 0), 2/T for the Q-system (kind 1).
struct Sys { off: u32, n: u32, nrhs: u32, outOff: u32, kind: u32, p0: u32, p1: u32, p2: u32, aStride: u32, outStride: u32, p3: u32, p4: u32 };

override FIRST_SYSTEM: u32 = 0u;
/** Take R̃ from the systems' right-hand-side columns (written by gram.wgsl WHICH 2) instead of forming it. */
override FROM_B: bool = false;

@group(0) @binding(1) var<storage, read> orig: array<f32>;
@group(0) @binding(2) var<storage, read_write> a: array<f32>;
@group(0) @binding(3) var<storage, read> outb: array<f32>;
@group(0) @binding(4) var<storage, read> systems: array<Sys>;
@group(0) @binding(5) var<storage, read_write> red: array<f32>;
@group(0) @binding(6) var<storage, read> shift: array<f32>;

var<workgroup> sq: array<f32, 256>;

/** Entry (i, k) of R̃ = B − A X for system d. */
fn resid(d: Sys, i: u32, k: u32) -> f32 {
  let n = d.n;
  let w = n + d.nrhs;
  var s = orig[d.off + i * w + n + k];
  var c = 0.0;
  for (var j = 0u; j < n; j++) {
    let g = orig[d.off + i * w + j];
    let xv = outb[d.outOff + j * d.nrhs + k];
    let p = g * xv;
    let pe = fma(g, xv, -p);
    let t = s - p;
    let z = t - s;
    let err = (s - (t - z)) + (-p - z);
    s = t;
    c += err - pe;
  }
  return s + c;
}

@compute @workgroup_size(256)
fn residual(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  if (!trial_active(wg.z)) { return; }
  set_trial(wg.z);
  let si = wg.y + FIRST_SYSTEM;
  var d = systems[si];
  d.off += wg.z * d.aStride;
  d.outOff += wg.z * d.outStride;
  let n = d.n;
  let w = n + d.nrhs;
  let e = wg.x * 256u + li;
  var v = 0.0;
  if (e < n * d.nrhs) {
    let i = e / d.nrhs;
    let k = e % d.nrhs;
    var rt: f32;
    if (FROM_B) {
      rt = a[d.off + i * w + n + k];
    } else {
      rt = resid(d, i, k);
      a[d.off + i * w + n + k] = rt;
    }
    var r = rt;
    if (d.kind <= 1u && i + 1u < n) {
      var last: f32;
      if (FROM_B) { last = a[d.off + (n - 1u) * w + n + k]; } else { last = resid(d, n - 1u, k); }
      r = rt + shift[oS + i] * last;
    }
    var scale = TP.gamma;
    if (d.kind == 1u) { scale = 2.0 * P.invT; }
    v = (scale * r) * (scale * r);
  }
  sq[li] = v;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { sq[li] += sq[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) { red[oRed + (10u + si) * P.statsRows + wg.x] = sq[0]; }
}
