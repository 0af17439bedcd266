// common.wgsl — prelude prepended to every kernel of the WebGPU backend.
// @binding(0) P: the problem's dimensions, offsets and scalars (uniform; γ is rewritten with
// queue.writeBuffer before every batch, never read back). sigma(): the activation selected by
// the pipeline-overridable constant ACT (0 ReLU, 1 leaky ReLU with slope P.omega, 2 ELU).
struct Params {
  T: u32, r: u32, n: u32, m: u32,
  K: u32, segLenP: u32, nSegP: u32, segLenQ: u32,
  nSegQ: u32, statsRows: u32, hRegTiles: u32, flags: u32,
  gamma: f32, mu: f32, omega: f32, invT: f32,
  l1: f32, l2: f32, l3: f32, l4: f32,
  l5: f32, l6: f32, offN: u32, offH1: u32,
  nrhs1: u32, offH2: u32, nrhs2: u32, nStatsX: u32,
};

@group(0) @binding(0) var<uniform> P: Params;

override ACT: u32 = 0u;

/** σ(v) for the activation of this pipeline. */
fn sigma(v: f32) -> f32 {
  if (v > 0.0) { return v; }
  if (ACT == 0u) { return 0.0; }
  if (ACT == 1u) { return P.omega * v; }
  // ELU: e^v − 1, with a short series near 0 where exp(v) − 1 would cancel.
  if (v > -0.0625) { return v * (1.0 + v * (0.5 + v * (0.16666667 + v * (0.041666668 + v * 0.008333334)))); }
  return exp(v) - 1.0;
}

/** Neumaier's compensated addition: (sum, compensation) += v. */
fn comp_add(acc: vec2<f32>, v: f32) -> vec2<f32> {
  let t = acc.x + v;
  var c = acc.y;
  if (abs(acc.x) >= abs(v)) { c += (acc.x - t) + v; } else { c += (v - t) + acc.x; }
  return vec2<f32>(t, c);
}
