// The one boundary of the engine (DESIGN.md §2): the ALM orchestrator in src/alm/ drives a
// backend that owns the whole state s = (W, V, b, A, c, h, u) and the multipliers ξ, ζ.
// Only scalars cross this boundary during a run; nothing crosses it inside a sweep.
import type { Activation, RnnWeights } from '../problem/types.ts';

/** Regularisation weights λ1…λ6 of R(s) (ALGORITHM.md §2). */
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
  weights: RnnWeights;
  h: Float64Array;
  u: Float64Array;
  xi: Float64Array;
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

/** A BCD engine over one problem. Every method may be asynchronous (GPU read-backs). */
export interface BcdBackend {
  readonly info: BackendInfo;
  /** Uploads the problem and builds the feasible s^0 from `initial` (ξ = ζ = 0). */
  load(problem: BcdProblem, initial: RnnWeights): Promise<void>;
  /** Runs `count` BCD sweeps (z, then h, then u) of L(·; ξ, ζ, γ). No read-back. */
  sweep(count: number, gamma: number): Promise<void>;
  /** Norm of the element of ∂L(s^j) built from the last sweep (ALGORITHM.md §4.5). */
  certificate(gamma: number): Promise<number>;
  /** ||C1(s)|| and ||C2(s)|| at the current state. */
  constraintNorms(): Promise<ConstraintNorms>;
  /** ξ += γ C1(s), ζ += γ C2(s) (3.7); returns the new ||ξ||, ||ζ||. */
  updateMultipliers(gamma: number): Promise<{ xi: number; zeta: number }>;
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
  /** Frees everything the backend holds. */
  dispose(): void;
}
