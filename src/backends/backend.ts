// The one boundary of the engine (docs/architecture.md §2): the ALM orchestrator in src/alm/ drives a
// backend that owns the whole state s = (W, V, b, A, c, h, u) and the multipliers ξ, ζ of B
// independent trials (problems of one shape). Only scalars, one per trial, cross this boundary
// during a run; nothing crosses it inside a sweep. A single run is a batch of one.
import type { Activation, RnnWeights } from '../problem/types.ts';

/** Regularisation weights λ1…λ6 of R(s) (docs/method.md §2). */
export interface Lambdas {
  /** ||A||² */ l1: number;
  /** ||W||² */ l2: number;
  /** ||V||² */ l3: number;
  /** ||b||² */ l4: number;
  /** ||c||² */ l5: number;
  /** ||u||² */ l6: number;
}

/** What a backend needs to set up one training problem (training part only). */
export interface BcdProblem {
  /** Training length T (the paper's T1). */
  T: number;
  n: number;
  m: number;
  r: number;
  /** Inputs x_1..x_T, T×n row-major. */
  x: Float64Array;
  /** Targets y_1..y_T, T×m row-major. */
  y: Float64Array;
  activation: Activation;
  lambdas: Lambdas;
  /** Proximal weight μ > 0 of the u-block. */
  mu: number;
}

/** The full iterate of the method: weights, auxiliary variables and multipliers (all T×r time-major). */
export interface BcdState {
  /** The weights w (A, W, V, b, c). */
  weights: RnnWeights;
  /** Hidden states h. */
  h: Float64Array;
  /** Pre-activations u. */
  u: Float64Array;
  /** Multipliers ξ of C1 = u − Ψ(h)w. */
  xi: Float64Array;
  /** Multipliers ζ of C2 = h − σ(u). */
  zeta: Float64Array;
}

/** Norms of the two constraint residuals: C1 = u − Ψ(h)w, C2 = h − σ(u). */
export interface ConstraintNorms {
  c1: number;
  c2: number;
  /** ||u||, the scale of the residuals' rounding floor (absent: no floor is derived from it). */
  uNorm?: number;
}

/** Description of the device a backend computes on, for logs and reports. */
export interface BackendInfo {
  /** "cpu" or "webgpu". */
  kind: string;
  /** One human-readable line, e.g. "cpu (float64)" or "webgpu: nvidia hopper". */
  description: string;
  /** True for software adapters (SwiftShader). */
  software?: boolean;
  /**
   * Unit roundoff of the arithmetic the state is kept and computed in: 2⁻⁵³ (float64), 2⁻²⁴
   * (f32). With ConstraintNorms.uNorm it sets the violation below which γ is held.
   */
  unitRoundoff?: number;
}

/** One trial's BCD engine over one problem: what a backend runs B of (CPU) or replaces by batched kernels (WebGPU). */
export interface TrialEngine {
  readonly info: BackendInfo;
  /** Uploads the problem and builds the feasible s^0 from `initial` (ξ = ζ = 0). */
  load(problem: BcdProblem, initial: RnnWeights): Promise<void>;
  /** Runs `count` BCD sweeps (z, then h, then u) of L(·; ξ, ζ, γ). No read-back. */
  sweep(count: number, gamma: number): Promise<void>;
  /** Norm of the element of ∂L(s^j) built from the last sweep (docs/method.md §4.5); Infinity before any sweep. */
  certificate(gamma: number): Promise<number>;
  /** ||C1(s)|| and ||C2(s)|| at the current state. */
  constraintNorms(): Promise<ConstraintNorms>;
  /** ξ += γ C1(s), ζ += γ C2(s) (3.7); returns the new ||ξ||, ||ζ||. */
  updateMultipliers(gamma: number): Promise<MultiplierNorms>;
  /** The augmented Lagrangian L(s; ξ, ζ, γ) at the current state. */
  lagrangian(gamma: number): Promise<number>;
  /** s := s^0 (multipliers are kept). */
  resetToInitial(): Promise<void>;
  /** The current weights. */
  readWeights(): Promise<RnnWeights>;
  /** The whole current state (for checkpoints and parity tests). */
  readState(): Promise<BcdState>;
  /** Replaces the current state (resume from a checkpoint). s^0 stays as loaded. */
  writeState(state: BcdState): Promise<void>;
  /** Frees everything the engine holds. */
  dispose(): void;
}

/** ||ξ|| and ||ζ|| after a multiplier update. */
export interface MultiplierNorms {
  xi: number;
  zeta: number;
}

/**
 * Which trials an operation applies to: `active[i]` for trial i. A trial that is not active is
 * frozen: its state is left exactly as it is, so its result is what it would be alone.
 */
export type TrialMask = readonly boolean[];

/** A trial whose sweep broke down (a NumericalError: a block matrix not positive definite); the others went on. */
export interface TrialFailure {
  trial: number;
  /** The error's message (one line for the user, with advice). */
  message: string;
}

/**
 * A BCD engine over B trials of one shape (T, n, m, r, activation); each trial has its own data,
 * initial point, λ's and μ, and takes its own γ. Every method may be asynchronous (GPU read-backs).
 * Per-trial arrays are indexed by trial; `gamma` always has one entry per trial (a frozen trial's
 * entry is ignored but must be a valid γ).
 *
 * To a user of the API it is a handle: get one from createBackend, pass it as the `backend`
 * option of several calls, read `info`, and `dispose()` it; its engine methods are internal.
 */
export interface BcdBackend {
  /** The device it computes on. */
  readonly info: BackendInfo;
  /** Trials loaded (0 before load). */
  readonly trials: number;
  /**
   * One line about the batch last loaded, when there is something to say (on WebGPU: that the
   * batch was split into several device batches, and why); empty or absent otherwise.
   */
  readonly notes?: string;
  /** @internal Uploads B problems of one shape and builds each trial's feasible s^0 from its initial weights (ξ = ζ = 0). */
  load(problems: readonly BcdProblem[], initial: readonly RnnWeights[]): Promise<void>;
  /** @internal
   * Runs `count` BCD sweeps of every active trial (default: all), each with its own γ. No
   * read-back. A trial whose linear algebra breaks down is reported (its state is then
   * undefined) while the others go on; backends that cannot fail that way return nothing.
   */
  sweep(count: number, gamma: ArrayLike<number>, active?: TrialMask): Promise<TrialFailure[] | void>;
  /** @internal Each trial's ∂L certificate from its last sweep; Infinity where it has none, NaN where not active. */
  certificate(gamma: ArrayLike<number>, active?: TrialMask): Promise<Float64Array>;
  /** @internal Each trial's ||C1(s)||, ||C2(s)|| (and ||u||). */
  constraintNorms(): Promise<ConstraintNorms[]>;
  /** @internal ξ += γ C1(s), ζ += γ C2(s) (3.7) for the active trials; their new norms (NaN where not active). */
  updateMultipliers(gamma: ArrayLike<number>, active?: TrialMask): Promise<MultiplierNorms[]>;
  /** @internal Each trial's augmented Lagrangian L(s; ξ, ζ, γ). */
  lagrangian(gamma: ArrayLike<number>): Promise<Float64Array>;
  /** @internal s := s^0 for the trials in `mask` (multipliers are kept). */
  resetToInitial(mask: TrialMask): Promise<void>;
  /** @internal Every trial's current weights. */
  readWeights(): Promise<RnnWeights[]>;
  /** @internal One trial's whole current state (checkpoints, parity tests). */
  readState(trial: number): Promise<BcdState>;
  /** @internal Replaces one trial's state (resume from a checkpoint). s^0 stays as loaded. */
  writeState(trial: number, state: BcdState): Promise<void>;
  /** @internal
   * Seconds of computation each trial has had since load: the time its own engine spent on it,
   * what the trial would have taken alone on one core. Only backends whose trials share no work
   * have it (the CPU's); on WebGPU every dispatch serves all trials at once, so there is none.
   */
  trialSeconds?(): Promise<Float64Array>;
  /** Frees everything the backend holds. */
  dispose(): void;
}

/** Refuses a batch whose problems differ in shape, or whose initial points do not match it. */
export function checkBatch(problems: readonly BcdProblem[], initial: readonly RnnWeights[]): void {
  if (problems.length === 0) throw new RangeError('a batch needs at least one trial');
  if (initial.length !== problems.length) throw new RangeError(`${problems.length} problems but ${initial.length} initial points`);
  const p0 = problems[0];
  problems.forEach((p, i) => {
    if (p.T !== p0.T || p.n !== p0.n || p.m !== p0.m || p.r !== p0.r) {
      throw new RangeError(`trial ${i} has T/n/m/r = ${p.T}/${p.n}/${p.m}/${p.r}, trial 0 has ${p0.T}/${p0.n}/${p0.m}/${p0.r}: the trials of a batch share one shape`);
    }
    if (JSON.stringify(p.activation) !== JSON.stringify(p0.activation)) throw new RangeError(`trial ${i} has another activation than trial 0: the trials of a batch share one`);
    const w = initial[i];
    if (w.r !== p.r || w.n !== p.n || w.m !== p.m) throw new RangeError(`trial ${i}: initial weights are ${w.r}/${w.n}/${w.m} (r/n/m), the problem needs ${p.r}/${p.n}/${p.m}`);
  });
}
