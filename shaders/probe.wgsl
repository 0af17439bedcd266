// probe.wgsl — asks the adapter whether fma() is fused (one rounding). Prelude: common.wgsl.
// Binding (1) v: v[0] = v[1] = 1 + 2⁻¹² on input; one invocation writes fma(a, b, −a·b) to
// v[2], which is 2⁻²⁴ when fma is fused and 0 when it is a multiply and an add.
@group(0) @binding(1) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(1)
fn fma_probe() {
  let a = v[0];
  let b = v[1];
  let p = a * b;
  v[2] = fma(a, b, -p);
}
