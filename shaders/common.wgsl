// common.wgsl — prelude prepended to every kernel of the WebGPU backend.
// @binding(0) P: the shape of one trial (dimensions, offsets, per-trial buffer lengths, shared by
// the B trials of a device batch) and one `Trial` record per trial: γ, μ, λ1…λ6 and the active
// flag (uniform; rewritten with queue.writeBuffer before every operation, never read back).
// Every buffer but the uniform holds the B trials trial-major: trial b's block starts at b times
// the per-trial length. Every kernel takes its trial from the workgroup grid (workgroup_id.z, or
// folded into it), so a trial is uniform per workgroup: an entry starts with
//   if (!trial_active(b)) { return; }   (a frozen trial: the whole workgroup returns, no writes)
//   set_trial(b);                       (TP = its record, o* = its buffer offsets)
// and then computes exactly what it computes for a batch of one (same partitions, same order),
// so a trial's bits do not depend on B or on the other trials.
// sigma(): the activation selected by the pipeline-overridable constant ACT (0 ReLU, 1 leaky ReLU
// with slope P.omega, 2 ELU).
struct Trial {
  gamma: f32, mu: f32, l1: f32, l2: f32,
  l3: f32, l4: f32, l5: f32, l6: f32,
  on: u32, pad0: u32, pad1: u32, pad2: u32,
};

/** Trials one device batch may hold (the uniform's array; 48 KiB of records). */
const MAX_TRIALS: u32 = 1024u;

struct Params {
  T: u32, r: u32, n: u32, m: u32,
  K: u32, segLenP: u32, nSegP: u32, segLenQ: u32,
  nSegQ: u32, statsRows: u32, hRegTiles: u32, trials: u32,
  omega: f32, invT: f32, offN: u32, offH1: u32,
  nrhs1: u32, offH2: u32, nrhs2: u32, nStatsX: u32,
  zLen: u32, weightsLen: u32, partPLen: u32, partQLen: u32,
  sysZLen: u32, sysHLen: u32, redLen: u32, outLen: u32,
  tr: array<Trial, MAX_TRIALS>,
};

@group(0) @binding(0) var<uniform> P: Params;

override ACT: u32 = 0u;

/** The current trial's record and the starts of its blocks (set once per invocation by set_trial). */
var<private> TP: Trial;
/** Trial blocks: T×r arrays (h, u, ξ, ζ, …), x (T×n), y (T×m), z, the weights part (xz), the shift (K), Gram partials, systems, partial-sum slots, reduced scalars. */
var<private> oTR: u32;
var<private> oX: u32;
var<private> oY: u32;
var<private> oZ: u32;
var<private> oWt: u32;
var<private> oS: u32;
var<private> oPP: u32;
var<private> oPQ: u32;
var<private> oSZ: u32;
var<private> oSH: u32;
var<private> oRed: u32;
var<private> oOut: u32;

/** Whether trial b takes part in this dispatch (uniform per workgroup when b comes from workgroup_id). */
fn trial_active(b: u32) -> bool { return P.tr[b].on != 0u; }

/** Selects trial b: its parameters and its buffer offsets. */
fn set_trial(b: u32) {
  TP = P.tr[b];
  oTR = b * P.T * P.r;
  oX = b * P.T * P.n;
  oY = b * P.T * P.m;
  oZ = b * P.zLen;
  oWt = b * P.weightsLen;
  oS = b * P.K;
  oPP = b * P.partPLen;
  oPQ = b * P.partQLen;
  oSZ = b * P.sysZLen;
  oSH = b * P.sysHLen;
  oRed = b * P.redLen;
  oOut = b * P.outLen;
}

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
