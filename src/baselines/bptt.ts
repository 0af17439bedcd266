// Backpropagation through time for the Elman RNN of docs/method.md §1 and the loss of §2
// without the constraints:
//
//   L(A, W, V, b, c) = (1/S) Σ_{t ∈ window} ||y_t − A h_t − c||²
//                      + λ1||A||² + λ2||W||² + λ3||V||² + λ4||b||² + λ5||c||²
//
// where the window is steps [from, to) (0-based; S = to − from) run forward from a given
// hidden state h_{from−1} (zeros for the full training part, from = 0, to = T1).
//
// Mini-batches (the windowed variant). One series gives no natural samples, so a
// mini-batch is a contiguous window of `batch` training steps. Its hidden state at the
// window's start is carried in: it is the exact state h_{from−1} of the RNN run from h_0 = 0
// with the current weights (see hiddenStateAt), treated as a constant — gradients are
// truncated at the window's start (truncated BPTT). The window's loss is averaged over its
// own length, so it estimates the same per-step mean as the full-batch loss, and the λ terms
// enter every mini-batch in full. See src/baselines/README.md.
//
// Backward recursion, with e_t = A h_t + c − y_t and δ_t = ∂L/∂u_t (u_t the pre-activation):
//   ∂L/∂A += (2/S) e_t h_tᵀ,  ∂L/∂c += (2/S) e_t
//   δ_t = σ'(u_t) ⊙ ((2/S) Aᵀ e_t + Wᵀ δ_{t+1})
//   ∂L/∂W += δ_t h_{t−1}ᵀ,  ∂L/∂V += δ_t x_tᵀ,  ∂L/∂b += δ_t
//
// Two implementations: the loops below (the reference, kernels 'js') and the WebAssembly SIMD
// kernel `bptt` of src/backends/cpu/wasm (kernels 'wasm', the default, for ReLU and leaky ReLU;
// ELU runs the loops). The workspace decides which; the two agree to rounding (the wasm kernel
// sums ∂L/∂W, ∂L/∂V, ∂L/∂A over time as one product each), and each is deterministic.
import { defaultCpuKernels, effectiveCpuKernels, type CpuKernelsChoice } from '../backends/cpu/kernels.ts';
import { createWasmArena, type KernelExports } from '../backends/cpu/wasm/instance.ts';
import { activate, activateDerivative } from '../problem/activations.ts';
import { zeroWeights, type Activation, type RnnWeights } from '../problem/types.ts';

/** The ℓ2 weights λ1..λ5 of docs/method.md §2 on A, W, V, b, c (0 = no penalty). */
export interface Lambdas {
  A: number;
  W: number;
  V: number;
  b: number;
  c: number;
}

/** No regularisation. */
export const NO_LAMBDAS: Readonly<Lambdas> = Object.freeze({ A: 0, W: 0, V: 0, b: 0, c: 0 });

/** Preallocated buffers for BPTT over windows of at most `maxSteps` steps. */
export interface BpttWorkspace {
  r: number;
  n: number;
  m: number;
  maxSteps: number;
  /** Hidden states h_{from−1}, h_from, …, h_{to−1}: (maxSteps + 1) × r. */
  h: Float64Array;
  /** σ'(u_t) for every step of the window: maxSteps × r. */
  dsigma: Float64Array;
  /** Scaled residuals (2/S) e_t: maxSteps × m. */
  err: Float64Array;
  /** δ_{t+1} and δ_t. */
  deltaNext: Float64Array;
  delta: Float64Array;
  /** 'wasm' or 'js': what bpttWindow runs with this workspace ('wasm' needs ReLU or leaky ReLU). */
  kernels: CpuKernelsChoice;
  /** The wasm kernel's instance and its copies of the weights, window and gradient (kernels 'wasm'). */
  wasm: WasmBpttBuffers | null;
}

/** What the wasm kernel works on, all in its own memory (h, dsigma, err are the workspace's). */
interface WasmBpttBuffers {
  exports: KernelExports;
  a: Record<'W' | 'V' | 'b' | 'A' | 'c' | 'x' | 'y' | 'gW' | 'gV' | 'gb' | 'gA' | 'gc', Float64Array>;
}

/** Loss and gradient of one evaluation; `grad` is the RnnWeights-shaped array set that was filled. */
export interface BpttResult {
  loss: number;
  grad: RnnWeights;
}

/**
 * Allocates work buffers for windows of up to `maxSteps` steps, for the chosen kernels (default:
 * setDefaultCpuKernels; 'wasm' falls back to 'js' where WebAssembly SIMD is missing).
 */
export function createBpttWorkspace(
  r: number, n: number, m: number, maxSteps: number, kernels: CpuKernelsChoice = defaultCpuKernels(),
): BpttWorkspace {
  const lengths = { h: (maxSteps + 1) * r, dsigma: maxSteps * r, err: maxSteps * m, deltaNext: r, delta: r };
  if (effectiveCpuKernels(kernels) === 'wasm') {
    const arena = createWasmArena({
      ...lengths, W: r * r, V: r * n, b: r, A: m * r, c: m, x: maxSteps * n, y: maxSteps * m,
      gW: r * r, gV: r * n, gb: r, gA: m * r, gc: m,
    });
    if (arena) {
      const a = arena.arrays;
      return {
        r, n, m, maxSteps, h: a.h, dsigma: a.dsigma, err: a.err, deltaNext: a.deltaNext, delta: a.delta,
        kernels: 'wasm', wasm: { exports: arena.exports, a },
      };
    }
  }
  return {
    r, n, m, maxSteps,
    h: new Float64Array(lengths.h), dsigma: new Float64Array(lengths.dsigma), err: new Float64Array(lengths.err),
    deltaNext: new Float64Array(r), delta: new Float64Array(r),
    kernels: 'js', wasm: null,
  };
}

/** λ1||A||² + λ2||W||² + λ3||V||² + λ4||b||² + λ5||c||². */
export function regularization(w: RnnWeights, lambdas: Lambdas): number {
  return lambdas.A * sumSq(w.A) + lambdas.W * sumSq(w.W) + lambdas.V * sumSq(w.V)
    + lambdas.b * sumSq(w.b) + lambdas.c * sumSq(w.c);
}

/** Full-batch loss over training steps [0, T1) from h_0 = 0, and its exact gradient. */
export function bpttLossAndGradient(
  w: RnnWeights, act: Activation, x: Float64Array, y: Float64Array, T1: number,
  lambdas: Lambdas = NO_LAMBDAS, grad?: RnnWeights, ws?: BpttWorkspace,
): BpttResult {
  return bpttWindow(w, act, x, y, 0, T1, null, lambdas, grad, ws);
}

/**
 * Loss over steps [from, to) averaged over to − from, run forward from the hidden state `h0`
 * (h_{from−1}; null = zeros), plus the λ terms, and its gradient with h0 held constant.
 */
export function bpttWindow(
  w: RnnWeights, act: Activation, x: Float64Array, y: Float64Array, from: number, to: number,
  h0: Float64Array | null, lambdas: Lambdas = NO_LAMBDAS, grad?: RnnWeights, ws?: BpttWorkspace,
): BpttResult {
  const { r, n, m, W, V, b, A, c } = w;
  const S = to - from;
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && S >= 1)) {
    throw new RangeError(`bpttWindow: need integers 0 ≤ from < to, got from=${from}, to=${to}`);
  }
  if (x.length < to * n || y.length < to * m) {
    throw new RangeError(`bpttWindow: series shorter than to=${to} steps`);
  }
  const work = ws ?? createBpttWorkspace(r, n, m, S);
  if (work.r !== r || work.n !== n || work.m !== m || work.maxSteps < S) {
    throw new RangeError(`bpttWindow: workspace is for r=${work.r}, n=${work.n}, m=${work.m}, ≤${work.maxSteps} steps; need r=${r}, n=${n}, m=${m}, ${S} steps`);
  }
  const g = grad ?? zeroWeights(r, n, m);
  if (work.wasm && act.kind !== 'elu') return bpttWindowWasm(w, act, x, y, from, S, h0, lambdas, g, work, work.wasm);
  const { h, dsigma, err } = work;
  const scale = 2 / S;

  // Forward: h[(s+1)·r …] holds h at window step s; h[0 … r) is the carried-in state.
  if (h0) h.set(h0.subarray(0, r), 0);
  else h.fill(0, 0, r);
  let sse = 0;
  for (let s = 0; s < S; s++) {
    const t = from + s;
    const prev = s * r;
    const cur = prev + r;
    const xOff = t * n;
    for (let i = 0; i < r; i++) {
      let u = b[i];
      const wi = i * r;
      for (let j = 0; j < r; j++) u += W[wi + j] * h[prev + j];
      const vi = i * n;
      for (let j = 0; j < n; j++) u += V[vi + j] * x[xOff + j];
      h[cur + i] = u;
    }
    activateWithDerivative(act, h, cur, dsigma, s * r, r);
    const yOff = t * m;
    const eOff = s * m;
    for (let k = 0; k < m; k++) {
      let p = c[k];
      const ak = k * r;
      for (let j = 0; j < r; j++) p += A[ak + j] * h[cur + j];
      const e = p - y[yOff + k];
      sse += e * e;
      err[eOff + k] = scale * e;
    }
  }
  const loss = sse / S + regularization(w, lambdas);

  // Gradient: start from the λ terms, then accumulate backwards in time.
  scaleInto(g.A, A, 2 * lambdas.A);
  scaleInto(g.W, W, 2 * lambdas.W);
  scaleInto(g.V, V, 2 * lambdas.V);
  scaleInto(g.b, b, 2 * lambdas.b);
  scaleInto(g.c, c, 2 * lambdas.c);
  let delta = work.delta;
  let deltaNext = work.deltaNext;
  deltaNext.fill(0);
  for (let s = S - 1; s >= 0; s--) {
    const t = from + s;
    const prev = s * r;
    const cur = prev + r;
    const eOff = s * m;
    for (let k = 0; k < m; k++) {
      const e = err[eOff + k];
      g.c[k] += e;
      const ak = k * r;
      for (let j = 0; j < r; j++) g.A[ak + j] += e * h[cur + j];
    }
    // δ_t = σ'(u_t) ⊙ (Aᵀ e_t + Wᵀ δ_{t+1})
    for (let j = 0; j < r; j++) delta[j] = 0;
    for (let k = 0; k < m; k++) {
      const e = err[eOff + k];
      const ak = k * r;
      for (let j = 0; j < r; j++) delta[j] += A[ak + j] * e;
    }
    if (s < S - 1) {
      for (let i = 0; i < r; i++) {
        const d = deltaNext[i];
        if (d === 0) continue;
        const wi = i * r;
        for (let j = 0; j < r; j++) delta[j] += W[wi + j] * d;
      }
    }
    const dOff = s * r;
    const xOff = t * n;
    for (let i = 0; i < r; i++) {
      const d = delta[i] * dsigma[dOff + i];
      delta[i] = d;
      if (d === 0) continue;
      g.b[i] += d;
      const wi = i * r;
      for (let j = 0; j < r; j++) g.W[wi + j] += d * h[prev + j];
      const vi = i * n;
      for (let j = 0; j < n; j++) g.V[vi + j] += d * x[xOff + j];
    }
    const tmp = deltaNext;
    deltaNext = delta;
    delta = tmp;
  }
  return { loss, grad: g };
}

/** bpttWindow on the wasm kernel: copies the weights and the window in, the gradient out. */
function bpttWindowWasm(
  w: RnnWeights, act: Activation, x: Float64Array, y: Float64Array, from: number, S: number,
  h0: Float64Array | null, lambdas: Lambdas, g: RnnWeights, work: BpttWorkspace, k: WasmBpttBuffers,
): BpttResult {
  const { r, n, m } = w;
  const a = k.a;
  a.W.set(w.W); a.V.set(w.V); a.b.set(w.b); a.A.set(w.A); a.c.set(w.c);
  a.x.set(x.subarray(from * n, (from + S) * n));
  a.y.set(y.subarray(from * m, (from + S) * m));
  if (h0) work.h.set(h0.subarray(0, r), 0);
  else work.h.fill(0, 0, r);
  scaleInto(a.gA, w.A, 2 * lambdas.A);
  scaleInto(a.gW, w.W, 2 * lambdas.W);
  scaleInto(a.gV, w.V, 2 * lambdas.V);
  scaleInto(a.gb, w.b, 2 * lambdas.b);
  scaleInto(a.gc, w.c, 2 * lambdas.c);
  const leaky = act.kind === 'leaky';
  const sse = k.exports.bptt(
    a.W.byteOffset, a.V.byteOffset, a.b.byteOffset, a.A.byteOffset, a.c.byteOffset, a.x.byteOffset, a.y.byteOffset,
    S, r, n, m, work.h.byteOffset, work.dsigma.byteOffset, work.err.byteOffset, work.delta.byteOffset,
    a.gW.byteOffset, a.gV.byteOffset, a.gb.byteOffset, a.gA.byteOffset, a.gc.byteOffset,
    leaky ? 1 : 0, act.kind === 'leaky' ? act.omega : 0, 2 / S,
  );
  g.W.set(a.gW); g.V.set(a.gV); g.b.set(a.gb); g.A.set(a.gA); g.c.set(a.gc);
  return { loss: sse / S + regularization(w, lambdas), grad: g };
}

/** Writes into `out` the hidden state h after running `steps` steps from h_0 = 0 (zeros for steps = 0). */
export function hiddenStateAt(
  w: RnnWeights, act: Activation, x: Float64Array, steps: number, out: Float64Array, tmp: Float64Array,
): Float64Array {
  const { r, n, W, V, b } = w;
  out.fill(0, 0, r);
  let prev = out;
  let cur = tmp;
  for (let t = 0; t < steps; t++) {
    const xOff = t * n;
    for (let i = 0; i < r; i++) {
      let u = b[i];
      const wi = i * r;
      for (let j = 0; j < r; j++) u += W[wi + j] * prev[j];
      const vi = i * n;
      for (let j = 0; j < n; j++) u += V[vi + j] * x[xOff + j];
      cur[i] = activate(act, u);
    }
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  if (prev !== out) out.set(prev.subarray(0, r));
  return out;
}

/** Euclidean norm of all gradient entries together. */
export function globalNorm(g: RnnWeights): number {
  return Math.sqrt(sumSq(g.W) + sumSq(g.V) + sumSq(g.b) + sumSq(g.A) + sumSq(g.c));
}

/** Replaces a[off … off+len) by σ(a) and writes σ'(a) into d[dOff …]. */
function activateWithDerivative(act: Activation, a: Float64Array, off: number, d: Float64Array, dOff: number, len: number): void {
  switch (act.kind) {
    case 'relu':
      for (let i = 0; i < len; i++) {
        const u = a[off + i];
        if (u > 0) d[dOff + i] = 1;
        else { a[off + i] = 0; d[dOff + i] = 0; }
      }
      return;
    case 'leaky': {
      const omega = act.omega;
      for (let i = 0; i < len; i++) {
        const u = a[off + i];
        if (u > 0) d[dOff + i] = 1;
        else { a[off + i] = omega * u; d[dOff + i] = omega; }
      }
      return;
    }
    default:
      for (let i = 0; i < len; i++) {
        const u = a[off + i];
        a[off + i] = activate(act, u);
        d[dOff + i] = activateDerivative(act, u);
      }
  }
}

function sumSq(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return s;
}

function scaleInto(out: Float64Array, a: Float64Array, k: number): void {
  if (k === 0) out.fill(0);
  else for (let i = 0; i < a.length; i++) out[i] = k * a[i];
}
