// The gradient methods of the paper's baselines, as in-place updates of RnnWeights.
//
//   gd    θ ← θ − η g
//   gdc   g ← g · min(1, τ/||g||) with ||g|| the global norm over all of W, V, b, A, c
//         (Keras's `global_clipnorm`; Keras's `clipnorm` clips each tensor on its own), then gd
//   gdnm  Nesterov momentum in the Keras / Sutskever et al. (2013) form:
//           v ← μ v − η g,   θ ← θ + μ v − η g
//         (equal to tfjs's momentum optimizer with useNesterov, a ← μ a + g, θ ← θ − η(g + μ a),
//         through v = −η a)
//   sgd   θ ← θ − η g with g a mini-batch gradient (the trainer supplies the mini-batches)
//   adam  Kingma & Ba (2015), Algorithm 1, exactly as tfjs's AdamOptimizer computes it:
//           m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,
//           θ ← θ − η (m / (1−β1^k)) / (√(v / (1−β2^k)) + ε)
//         defaults β1 = 0.9, β2 = 0.999, ε = 1e−7 (tfjs's and Keras's).
import { ParameterError } from '../errors.ts';
import type { RnnWeights } from '../problem/types.ts';
import { globalNorm } from './bptt.ts';

/** Names of the gradient methods. */
export const METHODS = ['gd', 'gdc', 'gdnm', 'sgd', 'adam'] as const;

/**
 * The largest epoch cap a baseline takes (the CLI's experiments, the API and the page): 200
 * times the paper's 5000, far beyond any run here; a larger number is a typo, and would leave a
 * run silent for days.
 */
export const MAX_EPOCHS = 1_000_000;
/** A gradient method: `gd`, `gdc` (clipped), `gdnm` (Nesterov momentum), `sgd` (mini-batches) or `adam`. */
export type Method = (typeof METHODS)[number];

/** Settings of one optimiser. */
export type OptimizerSpec =
  | { method: 'gd'; lr: number }
  | { method: 'gdc'; lr: number; clip: number }
  | { method: 'gdnm'; lr: number; momentum: number }
  | { method: 'sgd'; lr: number }
  | { method: 'adam'; lr: number; beta1?: number; beta2?: number; epsilon?: number };

/** An optimiser with its state; step() updates params in place from grads (grads are not modified). */
export interface Optimizer {
  readonly spec: OptimizerSpec;
  /** Number of steps taken so far. */
  readonly iterations: number;
  step(params: RnnWeights, grads: RnnWeights): void;
}

/** Default Adam β1. */
export const ADAM_BETA1 = 0.9;
/** Default Adam β2. */
export const ADAM_BETA2 = 0.999;
/** Default Adam ε (tfjs's float32 backend epsilon, Keras's default). */
export const ADAM_EPSILON = 1e-7;

/** Checks an optimiser spec; throws ParameterError naming the bad field. */
export function validateOptimizerSpec(spec: OptimizerSpec): void {
  if (!(METHODS as readonly string[]).includes(spec.method)) {
    throw new ParameterError('method', spec.method, METHODS.join(', '));
  }
  positive('lr', spec.lr);
  switch (spec.method) {
    case 'gdc':
      positive('clip', spec.clip);
      break;
    case 'gdnm':
      if (!(spec.momentum >= 0 && spec.momentum < 1)) throw new ParameterError('momentum', spec.momentum, '0 ≤ momentum < 1');
      break;
    case 'adam':
      if (spec.beta1 !== undefined && !(spec.beta1 >= 0 && spec.beta1 < 1)) throw new ParameterError('beta1', spec.beta1, '0 ≤ beta1 < 1');
      if (spec.beta2 !== undefined && !(spec.beta2 >= 0 && spec.beta2 < 1)) throw new ParameterError('beta2', spec.beta2, '0 ≤ beta2 < 1');
      if (spec.epsilon !== undefined) positive('epsilon', spec.epsilon);
      break;
    default:
      break;
  }
}

/** Creates the optimiser described by `spec` (validated here). */
export function createOptimizer(spec: OptimizerSpec): Optimizer {
  validateOptimizerSpec(spec);
  switch (spec.method) {
    case 'gd':
    case 'sgd':
      return new PlainGradient(spec, () => spec.lr);
    case 'gdc':
      return new PlainGradient(spec, (g) => {
        const norm = globalNorm(g);
        return norm > spec.clip ? (spec.lr * spec.clip) / norm : spec.lr;
      });
    case 'gdnm':
      return new Nesterov(spec);
    case 'adam':
      return new Adam(spec);
  }
}

function positive(name: string, v: number): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new ParameterError(name, v, 'a finite number > 0');
}

type Key = 'W' | 'V' | 'b' | 'A' | 'c';
const KEYS: readonly Key[] = ['W', 'V', 'b', 'A', 'c'];

function checkShapes(params: RnnWeights, grads: RnnWeights): void {
  for (const k of KEYS) {
    if (params[k].length !== grads[k].length) {
      throw new RangeError(`optimizer step: ${k} has ${params[k].length} entries but its gradient ${grads[k].length}`);
    }
  }
}

/** State arrays shaped like the parameters, allocated on the first step. */
function stateLike(p: RnnWeights): Record<Key, Float64Array> {
  return {
    W: new Float64Array(p.W.length), V: new Float64Array(p.V.length), b: new Float64Array(p.b.length),
    A: new Float64Array(p.A.length), c: new Float64Array(p.c.length),
  };
}

class PlainGradient implements Optimizer {
  iterations = 0;
  constructor(readonly spec: OptimizerSpec, private readonly stepSize: (g: RnnWeights) => number) {}

  step(params: RnnWeights, grads: RnnWeights): void {
    checkShapes(params, grads);
    const eta = this.stepSize(grads);
    for (const k of KEYS) {
      const p = params[k];
      const g = grads[k];
      for (let i = 0; i < p.length; i++) p[i] -= eta * g[i];
    }
    this.iterations++;
  }
}

class Nesterov implements Optimizer {
  iterations = 0;
  private velocity: Record<Key, Float64Array> | null = null;
  constructor(readonly spec: Extract<OptimizerSpec, { method: 'gdnm' }>) {}

  step(params: RnnWeights, grads: RnnWeights): void {
    checkShapes(params, grads);
    const vel = (this.velocity ??= stateLike(params));
    const { lr, momentum: mu } = this.spec;
    for (const k of KEYS) {
      const p = params[k];
      const g = grads[k];
      const v = vel[k];
      for (let i = 0; i < p.length; i++) {
        const vi = mu * v[i] - lr * g[i];
        v[i] = vi;
        p[i] += mu * vi - lr * g[i];
      }
    }
    this.iterations++;
  }
}

class Adam implements Optimizer {
  iterations = 0;
  private moments: { m: Record<Key, Float64Array>; v: Record<Key, Float64Array> } | null = null;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  constructor(readonly spec: Extract<OptimizerSpec, { method: 'adam' }>) {
    this.beta1 = spec.beta1 ?? ADAM_BETA1;
    this.beta2 = spec.beta2 ?? ADAM_BETA2;
    this.epsilon = spec.epsilon ?? ADAM_EPSILON;
  }

  step(params: RnnWeights, grads: RnnWeights): void {
    checkShapes(params, grads);
    const mom = (this.moments ??= { m: stateLike(params), v: stateLike(params) });
    const { beta1, beta2, epsilon } = this;
    const k1 = this.iterations + 1;
    const corr1 = 1 - beta1 ** k1;
    const corr2 = 1 - beta2 ** k1;
    const lr = this.spec.lr;
    for (const k of KEYS) {
      const p = params[k];
      const g = grads[k];
      const m = mom.m[k];
      const v = mom.v[k];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        const mi = beta1 * m[i] + (1 - beta1) * gi;
        const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= (lr * (mi / corr1)) / (Math.sqrt(vi / corr2) + epsilon);
      }
    }
    this.iterations = k1;
  }
}
