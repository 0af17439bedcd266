// The float64 reference backend: the BCD sweep of docs/method.md §4 on Float64Arrays.
//
// Layout: every T-long quantity is stored feature-major (one row of length T per feature), so
// the Gram reductions are contiguous dot products over time and the batched h-solves and
// W·H products are contiguous row operations. h is padded with a leading zero column
// (h_0 = 0): row i of `hPad` is [h_0,i, h_1,i, …, h_T,i], so P's h-rows are hPad[·, 0..T)
// and Q's h-rows are hPad[·, 1..T]. The Gram products additionally use time-major copies of P
// and Q (one row p_t or q_t per step), so that they too are row combinations over time.
import { activate } from '../../problem/activations.ts';
import type { Activation, RnnWeights } from '../../problem/types.ts';
import type { BackendInfo, BcdProblem, BcdState, ConstraintNorms, Lambdas, TrialEngine } from '../backend.ts';
import { checkMemory, estimateCpuMemory } from '../../problem/memory.ts';
import { createCpuKernels, defaultCpuKernels, JS_KERNELS, type CpuKernels, type CpuKernelsChoice } from './kernels.ts';
import { sum, sumSquares, transpose } from './linalg.ts';
import type { UCoefficients } from './u-update.ts';

/** What the CPU computes in: float64. */
export const CPU_INFO: BackendInfo = { kind: 'cpu', description: 'cpu (float64 reference)', software: false, unitRoundoff: 2 ** -53 };

/** Options of a CpuTrial. */
export interface CpuTrialOptions {
  /**
   * The dense kernels: 'wasm' (WebAssembly SIMD; the default unless setDefaultCpuKernels says
   * otherwise) or 'js' (plain TypeScript, the reference). 'wasm' falls back to 'js' where
   * WebAssembly SIMD is missing. The two agree to rounding (see kernels.ts); each is deterministic.
   */
  kernels?: CpuKernelsChoice;
}

/** One trial's BCD on the CPU in float64: the reference every other backend is tested against. */
export class CpuTrial implements TrialEngine {
  readonly info: BackendInfo = CPU_INFO;
  /** The kernels asked for (resolved at construction from the module default when not given). */
  readonly kernelsChoice: CpuKernelsChoice;
  /** The kernels in use since the last load() (js until then, and where wasm is unavailable). */
  private k: CpuKernels = JS_KERNELS;

  constructor(options: CpuTrialOptions = {}) {
    this.kernelsChoice = options.kernels ?? defaultCpuKernels();
  }

  /** 'wasm' or 'js': what the last load() runs on. */
  get kernels(): CpuKernelsChoice {
    return this.k.kind;
  }

  private T = 0; private n = 0; private m = 0; private r = 0; private K = 0;
  // Row strides of hPad, Ptm and Qtm, rounded up to even so that every row starts 16-byte
  // aligned (the wasm kernels' f64x2 loads: a misaligned row runs at about half speed).
  private S = 0; private Kp = 0; private R1p = 0;
  private act: Activation = { kind: 'relu' };
  private lambdas!: Lambdas;
  private mu = 0;

  // Data, feature-major: XT n×T, YT m×T; constant parts of the w-Gram (x·xᵀ block, x sums).
  private XT!: Float64Array; private YT!: Float64Array; private Xtm!: Float64Array; // Xtm: x as given, T×n
  private gramXX!: Float64Array; private sumX!: Float64Array;
  private ones!: Float64Array; // T ones: the constant row of P and Q
  private rowShift!: Float64Array; // r: (2/T)(Aᵀc)_i, the h right-hand side's per-row constant

  // State.
  private W!: Float64Array; private V!: Float64Array; private b!: Float64Array;
  private A!: Float64Array; private c!: Float64Array;
  private hPad!: Float64Array; // r×(T+1)
  private U!: Float64Array; private Xi!: Float64Array; private Zeta!: Float64Array; // r×T

  // s^0, kept for the warm-start rule.
  private initial!: BcdState;

  // Work buffers (allocated once in load()).
  private Ptm!: Float64Array; private Qtm!: Float64Array; // T×K rows p_t = [h_{t−1}; x_t; 1], T×(r+1) rows q_t = [h_t; 1]
  private G!: Float64Array; private Rw!: Float64Array; private RwT!: Float64Array; // K×K, r×K, K×r
  private H!: Float64Array; private Ra!: Float64Array; // (r+1)², m×(r+1)
  private D1!: Float64Array; private D2!: Float64Array; // r×r
  private scaledAt!: Float64Array; // r×m: Aᵀ, then (2/T)Aᵀ
  private Wt!: Float64Array; // r×r: Wᵀ
  private VXb!: Float64Array; // r×T: V x_t + b, valid when vxbValid
  private pre!: Float64Array; // r×T: Ψ(h)w = W h_{t−1} + V x_t + b, valid when preValid
  private work!: Float64Array; // r×T scratch
  private rhs!: Float64Array; // r×T
  private prevU!: Float64Array; // r×T: u before the last u-update (for the certificate)
  private preValid = false;
  private vxbValid = false;
  private haveLastSweep = false;

  async load(problem: BcdProblem, initial: RnnWeights): Promise<void> {
    const { T, n, m, r } = problem;
    if (initial.r !== r || initial.n !== n || initial.m !== m) {
      throw new Error(`initial weights are ${initial.r}/${initial.n}/${initial.m} (r/n/m), the problem needs ${r}/${n}/${m}`);
    }
    checkMemory({ T, n, m, r }, estimateCpuMemory({ T, n, m, r }), 'the float64 CPU backend');
    this.T = T; this.n = n; this.m = m; this.r = r; this.K = r + n + 1;
    this.S = even(T + 1); this.Kp = even(this.K); this.R1p = even(r + 1);
    this.act = problem.activation;
    this.lambdas = { ...problem.lambdas };
    this.mu = problem.mu;
    const K = this.K, rT = r * T;
    // Every array the kernels touch, in one allocation (the wasm kernels' own memory).
    const { kernels, arrays: a } = createCpuKernels(this.kernelsChoice, {
      XT: n * T, YT: m * T, Xtm: T * n, gramXX: n * n, sumX: n,
      Ptm: T * this.Kp, Qtm: T * this.R1p, G: K * K, Rw: r * K, RwT: K * r, H: (r + 1) * (r + 1), Ra: m * (r + 1),
      D1: r * r, D2: r * r, scaledAt: r * m, Wt: r * r,
      VXb: rT, pre: rT, work: rT, rhs: rT, prevU: rT,
      W: r * r, V: r * n, b: r, A: m * r, c: m, hPad: r * this.S, U: rT, Xi: rT, Zeta: rT, ones: T, rowShift: r,
    });
    this.rowShift = a.rowShift;
    this.ones = a.ones; this.ones.fill(1);
    this.k = kernels;
    this.XT = transpose(problem.x, T, n, a.XT);
    this.YT = transpose(problem.y, T, m, a.YT);
    this.Xtm = a.Xtm; this.Xtm.set(problem.x.subarray(0, T * n));
    this.gramXX = a.gramXX;
    this.sumX = a.sumX;
    this.k.rowProducts(this.gramXX, 0, n, this.XT, 0, T, n, this.XT, 0, T, n, T);
    for (let i = 0; i < n; i++) this.sumX[i] = sum(this.XT, i * T, T);

    this.Ptm = a.Ptm; this.Qtm = a.Qtm;
    this.G = a.G; this.Rw = a.Rw; this.RwT = a.RwT;
    this.H = a.H; this.Ra = a.Ra;
    this.D1 = a.D1; this.D2 = a.D2; this.scaledAt = a.scaledAt; this.Wt = a.Wt;
    this.VXb = a.VXb; this.pre = a.pre;
    this.work = a.work; this.rhs = a.rhs; this.prevU = a.prevU;

    this.W = a.W; this.W.set(initial.W); this.V = a.V; this.V.set(initial.V); this.b = a.b; this.b.set(initial.b);
    this.A = a.A; this.A.set(initial.A); this.c = a.c; this.c.set(initial.c);
    this.hPad = a.hPad;
    this.U = a.U; this.Xi = a.Xi; this.Zeta = a.Zeta;
    this.buildFeasibleStart();
    this.initial = this.snapshot();
  }

  /** s^0: run the RNN forward so that C1 = C2 = 0 (docs/method.md §5.1). */
  private buildFeasibleStart(): void {
    const { T, r, n } = this;
    const S = this.S;
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < r; i++) {
        let s = this.b[i];
        for (let j = 0; j < r; j++) s += this.W[i * r + j] * this.hPad[j * S + t];
        for (let j = 0; j < n; j++) s += this.V[i * n + j] * this.XT[j * T + t];
        this.U[i * T + t] = s;
      }
      for (let i = 0; i < r; i++) this.hPad[i * S + t + 1] = activate(this.act, this.U[i * T + t]);
    }
    this.preValid = false;
    this.haveLastSweep = false;
  }

  async sweep(count: number, gamma: number): Promise<void> {
    for (let s = 0; s < count; s++) {
      this.updateZ(gamma);
      this.updateH(gamma);
      this.updateU(gamma);
    }
  }

  /** z-block: w = (W, V, b), then a = (A, c), each the exact minimiser of L given h and u. Public for tests. */
  updateZ(gamma: number): void {
    this.updateW(gamma);
    this.updateA();
  }

  // ---- z-block ---------------------------------------------------------------------------

  /** Ptm and Qtm, the time-major rows p_t = [h_{t−1}; x_t; 1] and q_t = [h_t; 1], from the current h (js kernels only). */
  private buildTimeMajor(): void {
    const { T, r, n, K } = this;
    const S = this.S;
    const P = this.Ptm, Q = this.Qtm, hp = this.hPad;
    for (let t = 0; t < T; t++) {
      const pt = t * this.Kp, qt = t * this.R1p;
      for (let i = 0; i < r; i++) {
        P[pt + i] = hp[i * S + t];
        Q[qt + i] = hp[i * S + t + 1];
      }
      for (let j = 0; j < n; j++) P[pt + r + j] = this.Xtm[t * n + j];
      P[pt + K - 1] = 1;
      Q[qt + r] = 1;
    }
  }

  /** Fills G = γ P Pᵀ + 2Λ_w (K×K, both triangles) from the current h; also refreshes Ptm and Qtm (js kernels). */
  private buildGramW(gamma: number, G: Float64Array): void {
    const { T, r, n, K } = this;
    const S = this.S;
    if (this.k.kind === 'js') this.buildTimeMajor();
    // Lower triangle: h·hᵀ (symmetric, half the products), x·hᵀ, 1·hᵀ; x·xᵀ and the x sums are
    // constant. Dot products over time measured faster than row combinations for this shape.
    const hp = this.hPad;
    this.k.rowProducts(G, 0, K, hp, 0, S, r, hp, 0, S, r, T, true);
    this.k.rowProducts(G, r * K, K, this.XT, 0, T, n, hp, 0, S, r, T);
    for (let i = 0; i < r; i++) G[(K - 1) * K + i] = sum(hp, i * S, T);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) G[(r + i) * K + r + j] = this.gramXX[i * n + j];
      G[(K - 1) * K + r + i] = this.sumX[i];
    }
    G[K * K - 1] = T;
    const { l2, l3, l4 } = this.lambdas;
    for (let i = 0; i < K; i++) {
      for (let j = 0; j <= i; j++) {
        const v = gamma * G[i * K + j];
        G[i * K + j] = v;
        G[j * K + i] = v;
      }
      G[i * K + i] += 2 * (i < r ? l2 : i < r + n ? l3 : l4);
    }
  }

  /**
   * Rw = (γU + Ξ) Pᵀ (r×K); uses `work` for γU + Ξ. The js kernels combine the time-major rows
   * Ptm (buildGramW refreshes them: the faster form in TypeScript); the wasm kernels take dot
   * products with P's feature-major rows (hPad, XT, ones), which needs no time-major copy.
   */
  private buildRhsW(gamma: number): void {
    const { T, r, n, K } = this;
    const g = this.work;
    this.k.scaleAdd(g, gamma, this.U, this.Xi, r * T);
    if (this.k.kind === 'js') {
      this.k.combineRows(this.Rw, 0, K, r, g, 0, T, 1, T, this.Ptm, 0, this.Kp, K, 'zero');
      return;
    }
    this.k.rowProducts(this.Rw, 0, K, g, 0, T, r, this.hPad, 0, this.S, r, T);
    this.k.rowProducts(this.Rw, r, K, g, 0, T, r, this.XT, 0, T, n, T);
    this.k.rowProducts(this.Rw, K - 1, K, g, 0, T, r, this.ones, 0, T, 1, T);
  }

  /** w-part of the z-block (3.14) through the K×K reduction: M G = (γU + Ξ)Pᵀ. */
  private updateW(gamma: number): void {
    const { r, n, K } = this;
    this.buildGramW(gamma, this.G);
    this.buildRhsW(gamma);
    this.k.choleskyInPlace(this.G, K, 'the w-block matrix γPPᵀ + 2Λ_w');
    // G Mᵀ = Rwᵀ: the r right-hand sides as columns, so the substitutions run along rows.
    const X = transpose(this.Rw, r, K, this.RwT);
    this.k.choleskySolveColumns(this.G, K, X, 0, r, 0, r);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < r; j++) this.W[i * r + j] = X[j * r + i];
      for (let j = 0; j < n; j++) this.V[i * n + j] = X[(r + j) * r + i];
      this.b[i] = X[(K - 1) * r + i];
    }
    this.preValid = false;
    this.vxbValid = false;
  }

  /** Fills H = Q Qᵀ + TΛ_a ((r+1)×(r+1)) and Ra = Y Qᵀ (m×(r+1)); with js kernels from Qtm (buildGramW refreshes it). */
  private buildSystemA(): void {
    const { T, r, m } = this;
    const S = this.S, R1 = r + 1;
    const H = this.H, hp = this.hPad;
    this.k.rowProducts(H, 0, R1, hp, 1, S, r, hp, 1, S, r, T, true);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < i; j++) H[j * R1 + i] = H[i * R1 + j];
      const s = sum(hp, i * S + 1, T);
      H[r * R1 + i] = s;
      H[i * R1 + r] = s;
      H[i * R1 + i] += T * this.lambdas.l1;
    }
    H[r * R1 + r] = T + T * this.lambdas.l5;
    if (this.k.kind === 'js') {
      this.k.combineRows(this.Ra, 0, R1, m, this.YT, 0, T, 1, T, this.Qtm, 0, this.R1p, R1, 'zero');
    } else {
      this.k.rowProducts(this.Ra, 0, R1, this.YT, 0, T, m, hp, 1, S, r, T);
      this.k.rowProducts(this.Ra, r, R1, this.YT, 0, T, m, this.ones, 0, T, 1, T);
    }
  }

  /** a-part of the z-block: N (Q Qᵀ + TΛ_a) = Y Qᵀ. */
  private updateA(): void {
    const { r, m } = this;
    const R1 = r + 1;
    this.buildSystemA();
    this.k.choleskyInPlace(this.H, R1, 'the a-block matrix QQᵀ + TΛ_a');
    for (let k = 0; k < m; k++) {
      this.k.choleskySolveVector(this.H, R1, this.Ra, k * R1);
      for (let i = 0; i < r; i++) this.A[k * r + i] = this.Ra[k * R1 + i];
      this.c[k] = this.Ra[k * R1 + r];
    }
  }

  // ---- h-block ---------------------------------------------------------------------------

  /** VXb = V X + b (r×T) for the current z; computed once per z-update. */
  private ensureVXb(): void {
    if (this.vxbValid) return;
    const { T, r, n } = this;
    this.k.combineRows(this.VXb, 0, T, r, this.V, 0, n, 1, n, this.XT, 0, T, T, this.b);
    this.vxbValid = true;
  }

  /** h-block (3.18): T independent r×r solves sharing D1 (t < T) and D2 (t = T). Public for tests. */
  updateH(gamma: number): void {
    const { T, r, m } = this;
    const S = this.S;
    this.ensureVXb();
    // D2 = (2/T) AᵀA + γI, D1 = D2 + γ WᵀW.
    const scale = 2 / T;
    // AᵀA and WᵀW as products of the rows of Aᵀ and Wᵀ (contiguous).
    const At = transpose(this.A, m, r, this.scaledAt);
    const Wt = transpose(this.W, r, r, this.Wt);
    this.k.rowProducts(this.D2, 0, r, At, 0, m, r, At, 0, m, r, m, true);
    this.k.rowProducts(this.D1, 0, r, Wt, 0, r, r, Wt, 0, r, r, r, true);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j <= i; j++) {
        const d2 = scale * this.D2[i * r + j] + (i === j ? gamma : 0);
        const d1 = d2 + gamma * this.D1[i * r + j];
        this.D2[i * r + j] = d2; this.D2[j * r + i] = d2;
        this.D1[i * r + j] = d1; this.D1[j * r + i] = d1;
      }
    }
    // rhs_t = (2/T)Aᵀ(y_t − c) + γσ(u_t) − ζ_t + [t < T] Wᵀ(γ(u_{t+1} − V x_{t+1} − b) + ξ_{t+1}).
    // (2/T) Aᵀ (Y − c): the c part is a per-row constant.
    const rhs = this.rhs, work = this.work;
    for (let i = 0; i < r; i++) {
      let ac = 0;
      for (let k = 0; k < m; k++) ac += this.A[k * r + i] * this.c[k];
      this.rowShift[i] = scale * ac;
    }
    this.k.hRhsStart(this.act, gamma, rhs, work, this.U, this.Zeta, this.Xi, this.VXb, this.rowShift, r, T);
    for (let i = 0; i < r * m; i++) this.scaledAt[i] *= scale;
    this.k.combineRows(rhs, 0, T, r, this.scaledAt, 0, m, 1, m, this.YT, 0, T, T, 'keep');
    // Wᵀ work shifted one step: rhs[:, t] += Wᵀ work[:, t+1] for t < T−1.
    this.k.combineRows(rhs, 0, T, r, this.W, 0, 1, r, r, work, 1, T, T - 1, 'keep');
    this.k.choleskyInPlace(this.D1, r, 'the h-block matrix D1');
    this.k.choleskyInPlace(this.D2, r, 'the h-block matrix D2');
    this.k.choleskySolveColumns(this.D1, r, rhs, 0, T, 0, T - 1);
    this.k.choleskySolveColumns(this.D2, r, rhs, 0, T, T - 1, T);
    for (let i = 0; i < r; i++) this.hPad.set(rhs.subarray(i * T, i * T + T), i * S + 1);
    this.preValid = false;
  }

  // ---- u-block ---------------------------------------------------------------------------

  /** pre = Ψ(h)w = W h_{t−1} + V x_t + b for the current z and h. */
  private computePre(): void {
    if (this.preValid) return;
    const { T, r } = this;
    this.ensureVXb();
    this.pre.set(this.VXb);
    this.k.combineRows(this.pre, 0, T, r, this.W, 0, r, 1, r, this.hPad, 0, this.S, T, 'keep');
    this.preValid = true;
  }

  /** u-block (3.16): every entry minimises φ in closed form (ReLU, leaky) or by a 1-D search (ELU). Public for tests. */
  updateU(gamma: number): void {
    const { T, r } = this;
    const S = this.S;
    this.computePre();
    this.prevU.set(this.U);
    const k: UCoefficients = { gamma, mu: this.mu, lambda6: this.lambdas.l6 };
    this.k.updateU(this.act, k, this.U, this.pre, this.Xi, this.Zeta, this.hPad, this.S, r, T);
    this.haveLastSweep = true;
  }

  // ---- scalars for the orchestrator -------------------------------------------------------

  async constraintNorms(): Promise<ConstraintNorms> {
    const { T, r } = this;
    const S = this.S;
    this.computePre();
    let c1 = 0, c2 = 0, uu = 0;
    for (let i = 0; i < r; i++) {
      for (let t = 0; t < T; t++) {
        const idx = i * T + t;
        const d1 = this.U[idx] - this.pre[idx];
        const d2 = this.hPad[i * S + t + 1] - activate(this.act, this.U[idx]);
        c1 += d1 * d1;
        c2 += d2 * d2;
        uu += this.U[idx] * this.U[idx];
      }
    }
    return { c1: Math.sqrt(c1), c2: Math.sqrt(c2), uNorm: Math.sqrt(uu) };
  }

  async updateMultipliers(gamma: number): Promise<{ xi: number; zeta: number }> {
    const { T, r } = this;
    const S = this.S;
    this.computePre();
    let nx = 0, nz = 0;
    for (let i = 0; i < r; i++) {
      for (let t = 0; t < T; t++) {
        const idx = i * T + t;
        const xi = this.Xi[idx] + gamma * (this.U[idx] - this.pre[idx]);
        const ze = this.Zeta[idx] + gamma * (this.hPad[i * S + t + 1] - activate(this.act, this.U[idx]));
        this.Xi[idx] = xi;
        this.Zeta[idx] = ze;
        nx += xi * xi;
        nz += ze * ze;
      }
    }
    return { xi: Math.sqrt(nx), zeta: Math.sqrt(nz) };
  }

  /** R(s): the data term (1/T)Σ||y − Ah − c||² plus the ℓ2 terms. */
  private objective(): number {
    const { T, r, m } = this;
    const S = this.S;
    let loss = 0;
    for (let k = 0; k < m; k++) {
      for (let t = 0; t < T; t++) {
        let yh = this.c[k];
        for (let i = 0; i < r; i++) yh += this.A[k * r + i] * this.hPad[i * S + t + 1];
        const d = this.YT[k * T + t] - yh;
        loss += d * d;
      }
    }
    const l = this.lambdas;
    return loss / T + l.l1 * sumSquares(this.A) + l.l2 * sumSquares(this.W) + l.l3 * sumSquares(this.V)
      + l.l4 * sumSquares(this.b) + l.l5 * sumSquares(this.c) + l.l6 * sumSquares(this.U);
  }

  async lagrangian(gamma: number): Promise<number> {
    const { T, r } = this;
    const S = this.S;
    this.computePre();
    const inv = 1 / gamma;
    let p1 = 0, p2 = 0, xx = 0, zz = 0;
    for (let i = 0; i < r; i++) {
      for (let t = 0; t < T; t++) {
        const idx = i * T + t;
        const xi = this.Xi[idx], ze = this.Zeta[idx];
        const d1 = this.U[idx] - this.pre[idx] + xi * inv;
        const d2 = this.hPad[i * S + t + 1] - activate(this.act, this.U[idx]) + ze * inv;
        p1 += d1 * d1; p2 += d2 * d2; xx += xi * xi; zz += ze * ze;
      }
    }
    return this.objective() + 0.5 * gamma * (p1 + p2) - 0.5 * inv * (xx + zz);
  }

  /**
   * ||v|| for the element v ∈ ∂L(s^j) of docs/method.md §4.5, built from the last sweep:
   * (∇_z L(s^j), ∇_h L(s^j) − ∇_h L(z^j, h^j, u^{j−1}), −μ(u^j − u^{j−1})).
   * The z-gradient at (z^j, h^{j−1}, u^{j−1}) is zero because z^j minimises it exactly.
   */
  async certificate(gamma: number): Promise<number> {
    if (!this.haveLastSweep) return Infinity;
    const { T, r, m, K } = this;
    const R1 = r + 1;
    let total = 0;
    // ∇_M L = M G − (γU + Ξ)Pᵀ with P from h^j, M = [W V b].
    this.buildGramW(gamma, this.G);
    this.buildRhsW(gamma);
    for (let i = 0; i < r; i++) {
      for (let k = 0; k < K; k++) {
        let s = -this.Rw[i * K + k];
        for (let j = 0; j < K; j++) s += this.mEntry(i, j) * this.G[j * K + k];
        total += s * s;
      }
    }
    // ∇_N L = (2/T)(N(QQᵀ + TΛ_a) − YQᵀ), N = [A c].
    this.buildSystemA();
    for (let k = 0; k < m; k++) {
      for (let i = 0; i < R1; i++) {
        let s = -this.Ra[k * R1 + i];
        for (let j = 0; j < R1; j++) s += (j < r ? this.A[k * r + j] : this.c[k]) * this.H[j * R1 + i];
        s *= 2 / T;
        total += s * s;
      }
    }
    // h-part: −γWᵀ(u^j_{t+1} − u^{j−1}_{t+1}) − γ(σ(u^j_t) − σ(u^{j−1}_t)); u-part: −μ(u^j − u^{j−1}).
    const du = this.work;
    for (let i = 0; i < r * T; i++) du[i] = this.U[i] - this.prevU[i];
    for (let i = 0; i < r; i++) {
      for (let t = 0; t < T; t++) {
        const idx = i * T + t;
        let g = -gamma * (activate(this.act, this.U[idx]) - activate(this.act, this.prevU[idx]));
        if (t + 1 < T) {
          let s = 0;
          for (let j = 0; j < r; j++) s += this.W[j * r + i] * du[j * T + t + 1];
          g -= gamma * s;
        }
        const gu = this.mu * du[idx];
        total += g * g + gu * gu;
      }
    }
    return Math.sqrt(total);
  }

  private mEntry(i: number, j: number): number {
    const { r, n } = this;
    return j < r ? this.W[i * r + j] : j < r + n ? this.V[i * n + j - r] : this.b[i];
  }

  async resetToInitial(): Promise<void> {
    const keepXi = this.Xi.slice(), keepZeta = this.Zeta.slice();
    this.restore(this.initial);
    this.Xi.set(keepXi);
    this.Zeta.set(keepZeta);
  }

  async readWeights(): Promise<RnnWeights> {
    const { r, n, m } = this;
    return { r, n, m, W: this.W.slice(), V: this.V.slice(), b: this.b.slice(), A: this.A.slice(), c: this.c.slice() };
  }

  async readState(): Promise<BcdState> {
    return this.snapshot();
  }

  async writeState(state: BcdState): Promise<void> {
    this.restore(state);
  }

  /** The current state, time-major (T×r), copied. */
  private snapshot(): BcdState {
    const { T, r } = this;
    const S = this.S;
    const h = new Float64Array(T * r), u = new Float64Array(T * r);
    const xi = new Float64Array(T * r), zeta = new Float64Array(T * r);
    for (let i = 0; i < r; i++) {
      for (let t = 0; t < T; t++) {
        h[t * r + i] = this.hPad[i * S + t + 1];
        u[t * r + i] = this.U[i * T + t];
        xi[t * r + i] = this.Xi[i * T + t];
        zeta[t * r + i] = this.Zeta[i * T + t];
      }
    }
    const { n, m } = this;
    return {
      weights: { r, n, m, W: this.W.slice(), V: this.V.slice(), b: this.b.slice(), A: this.A.slice(), c: this.c.slice() },
      h, u, xi, zeta,
    };
  }

  /** Replaces the state with a time-major snapshot. */
  private restore(s: BcdState): void {
    const { T, r, n, m } = this;
    const S = this.S;
    const w = s.weights;
    if (w.r !== r || w.n !== n || w.m !== m || s.h.length !== T * r) {
      throw new Error(`state shape (r=${w.r}, n=${w.n}, m=${w.m}, ${s.h.length / Math.max(w.r, 1)} steps) does not match the problem (r=${r}, n=${n}, m=${m}, T=${T})`);
    }
    this.W.set(w.W); this.V.set(w.V); this.b.set(w.b); this.A.set(w.A); this.c.set(w.c);
    for (let i = 0; i < r; i++) {
      this.hPad[i * S] = 0;
      for (let t = 0; t < T; t++) {
        this.hPad[i * S + t + 1] = s.h[t * r + i];
        this.U[i * T + t] = s.u[t * r + i];
        this.Xi[i * T + t] = s.xi[t * r + i];
        this.Zeta[i * T + t] = s.zeta[t * r + i];
      }
    }
    this.preValid = false;
    this.vxbValid = false;
    this.haveLastSweep = false;
  }

  dispose(): void {
    // Nothing to free: the arrays are garbage-collected.
  }
}

/** x rounded up to an even number. */
function even(x: number): number {
  return x + (x & 1);
}
