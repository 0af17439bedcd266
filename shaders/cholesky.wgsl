// cholesky.wgsl — in-place Cholesky factorisation and solve of SPD systems stored augmented,
// row-major [A | B] (n rows, n + nrhs columns), in a storage buffer (never in workgroup memory,
// so n is bounded by buffer size only). Prelude: common.wgsl (binding 0 unused here).
// Bindings: (1) a: the augmented systems; the lower triangle is overwritten by L and B by
// the solution; (2) outb: solutions, n×nrhs row-major at sys.outOff; (3) sys: one descriptor
// per system.
// One workgroup of 256 invocations per system (workgroup_id.x indexes sys). Entry
// `factor_solve`, step j: invocation 0 forms L[j][j]; all invocations scale column j and row j
// of B; then they update the trailing lower triangle and B together (this is the forward
// substitution L Y = B riding along the factorisation). Then backward substitution Lᵀ X = Y,
// column by column, and X is copied to outb. Entry `resolve`: forward and backward
// substitution with the factor already in a (for iterative refinement: B holds a residual)
// and X is added to outb.
struct Sys { off: u32, n: u32, nrhs: u32, outOff: u32, kind: u32, p0: u32, p1: u32, p2: u32 };

@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> outb: array<f32>;
@group(0) @binding(3) var<storage, read> systems: array<Sys>;

const WG: u32 = 256u;
const TINY: f32 = 1.0e-30;

fn at(d: Sys, i: u32, j: u32) -> u32 { return d.off + i * (d.n + d.nrhs) + j; }

fn backward(d: Sys, li: u32) {
  let n = d.n;
  for (var jj = 0u; jj < n; jj++) {
    let j = n - 1u - jj;
    let piv = a[at(d, j, j)];
    for (var k = li; k < d.nrhs; k += WG) {
      a[at(d, j, n + k)] = a[at(d, j, n + k)] / piv;
    }
    storageBarrier();
    let tot = j * d.nrhs;
    for (var e = li; e < tot; e += WG) {
      let i = e / d.nrhs;
      let k = e % d.nrhs;
      a[at(d, i, n + k)] -= a[at(d, j, i)] * a[at(d, j, n + k)];
    }
    storageBarrier();
  }
}

@compute @workgroup_size(256)
fn factor_solve(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let d = systems[wg.x];
  let n = d.n;
  for (var j = 0u; j < n; j++) {
    if (li == 0u) {
      a[at(d, j, j)] = sqrt(max(a[at(d, j, j)], TINY));
    }
    storageBarrier();
    let piv = a[at(d, j, j)];
    let below = n - j - 1u;
    let cnt = below + d.nrhs;
    for (var e = li; e < cnt; e += WG) {
      if (e < below) {
        let i = j + 1u + e;
        a[at(d, i, j)] = a[at(d, i, j)] / piv;
      } else {
        let k = n + (e - below);
        a[at(d, j, k)] = a[at(d, j, k)] / piv;
      }
    }
    storageBarrier();
    let cols = below + d.nrhs;
    let tot = below * cols;
    for (var e = li; e < tot; e += WG) {
      let ii = e / cols;
      let kk = e % cols;
      let i = j + 1u + ii;
      if (kk < below) {
        let k = j + 1u + kk;
        if (k <= i) {
          a[at(d, i, k)] -= a[at(d, i, j)] * a[at(d, k, j)];
        }
      } else {
        let k = n + (kk - below);
        a[at(d, i, k)] -= a[at(d, i, j)] * a[at(d, j, k)];
      }
    }
    storageBarrier();
  }
  backward(d, li);
  let tot = n * d.nrhs;
  for (var e = li; e < tot; e += WG) {
    outb[d.outOff + e] = a[at(d, e / d.nrhs, n + e % d.nrhs)];
  }
}

@compute @workgroup_size(256)
fn resolve(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let d = systems[wg.x];
  let n = d.n;
  for (var j = 0u; j < n; j++) {
    let piv = a[at(d, j, j)];
    for (var k = li; k < d.nrhs; k += WG) {
      a[at(d, j, n + k)] = a[at(d, j, n + k)] / piv;
    }
    storageBarrier();
    let below = n - j - 1u;
    let tot = below * d.nrhs;
    for (var e = li; e < tot; e += WG) {
      let i = j + 1u + e / d.nrhs;
      let k = e % d.nrhs;
      a[at(d, i, n + k)] -= a[at(d, i, j)] * a[at(d, j, n + k)];
    }
    storageBarrier();
  }
  backward(d, li);
  let tot = n * d.nrhs;
  for (var e = li; e < tot; e += WG) {
    outb[d.outOff + e] += a[at(d, e / d.nrhs, n + e % d.nrhs)];
  }
}
