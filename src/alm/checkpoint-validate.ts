// Validation of one trial's checkpoint (run description, s^0's weights, loop state, BCD state)
// as parsed from JSON: every field is checked, and a bad one is a DataError that names it by
// its path ("state.u entry 3", "loop.gamma", "config.params.tau"), so a hand-edited or
// truncated file is refused with what to fix rather than failing deep inside a sweep.
// Shared by checkpointFromJson and by any container format that holds several trials.
import type { BcdState } from '../backends/backend.ts';
import { DataError, excerpt, UserInputError } from '../errors.ts';
import { parseActivation } from '../problem/activations.ts';
import { INITIALIZERS } from '../problem/init.ts';
import type { EarlyStopState } from '../problem/early-stop.ts';
import type { RnnWeights } from '../problem/types.ts';
import type { AlmLoopState } from './loop-state.ts';
import type { Checkpoint } from './checkpoint.ts';
import { validateParams, type AlmParams } from './params.ts';
import type { RunConfig } from './setup.ts';

type Obj = Record<string, unknown>;

/** Checks a parsed trial checkpoint field by field; returns it with its arrays as Float64Arrays. */
export function validateTrialCheckpoint(obj: unknown, source: string): Checkpoint {
  const fail = (field: string, what: string, ...got: unknown[]): never => {
    throw new DataError(`${source}: field "${field}" ${what}${got.length > 0 ? `, got ${describe(got[0])}` : ''}`);
  };
  const v = new Validator(fail);
  const o = v.object(obj, '(top level)');
  const config = readConfig(v, v.object(o.config, 'config'));
  const initial = v.weights(o.initial, 'initial');
  const loop = readLoop(v, v.object(o.loop, 'loop'));
  const state = readState(v, v.object(o.state, 'state'), initial);
  if (config.hidden !== undefined && config.hidden !== initial.r) fail('config.hidden', `must equal initial.r (${initial.r})`, config.hidden);
  return { config, initial, loop, state };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (typeof v === 'number') return String(v);
  if (v instanceof Float64Array) return `${v.length} numbers`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : excerpt(s);
}

/** Typed readers that report a bad field through `fail(path, what, got)`. */
class Validator {
  /** `got`, when passed (even undefined), is the offending value, described after the message. */
  constructor(readonly fail: (field: string, what: string, ...got: unknown[]) => never) {}

  object(v: unknown, field: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Float64Array) return this.fail(field, 'must be an object', v);
    return v as Obj;
  }

  number(v: unknown, field: string, ok: (x: number) => boolean, what: string): number {
    if (typeof v !== 'number' || !ok(v)) return this.fail(field, `must be ${what}`, v);
    return v;
  }

  finite(v: unknown, field: string): number {
    return this.number(v, field, Number.isFinite, 'a finite number');
  }

  integer(v: unknown, field: string, min: number): number {
    return this.number(v, field, (x) => Number.isInteger(x) && x >= min, `an integer ≥ ${min}`);
  }

  string(v: unknown, field: string): string {
    if (typeof v !== 'string' || v === '') return this.fail(field, 'must be a non-empty string', v);
    return v;
  }

  choice<T extends string>(v: unknown, field: string, choices: readonly T[]): T {
    if (!(choices as readonly unknown[]).includes(v)) return this.fail(field, `must be one of ${choices.join(', ')}`, v);
    return v as T;
  }

  /** An array of finite numbers (a Float64Array from the reviver, or a plain array), of `length` when given. */
  vector(v: unknown, field: string, length?: number): Float64Array {
    const shape = length === undefined ? 'an array of numbers' : `an array of ${length} numbers`;
    if (!(v instanceof Float64Array) && !Array.isArray(v)) return this.fail(field, `must be ${shape}`, v);
    if (length !== undefined && v.length !== length) return this.fail(field, `must hold ${length} numbers, not ${v.length}`);
    const out = v instanceof Float64Array ? v : new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = (v as ArrayLike<unknown>)[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) return this.fail(field, `entry ${i} must be a finite number`, x);
      out[i] = x;
    }
    return out;
  }

  weights(v: unknown, field: string, like?: RnnWeights): RnnWeights {
    const w = this.object(v, field);
    const r = this.integer(w.r, `${field}.r`, 1);
    const n = this.integer(w.n, `${field}.n`, 1);
    const m = this.integer(w.m, `${field}.m`, 1);
    if (like && (r !== like.r || n !== like.n || m !== like.m)) {
      this.fail(`${field}`, `must have the shape of initial (r=${like.r}, n=${like.n}, m=${like.m})`, { r, n, m });
    }
    return {
      r, n, m,
      W: this.vector(w.W, `${field}.W`, r * r),
      V: this.vector(w.V, `${field}.V`, r * n),
      b: this.vector(w.b, `${field}.b`, r),
      A: this.vector(w.A, `${field}.A`, m * r),
      c: this.vector(w.c, `${field}.c`, m),
    };
  }
}

function readConfig(v: Validator, c: Obj): RunConfig {
  const activation = v.string(c.activation, 'config.activation');
  try {
    parseActivation(activation);
  } catch (err) {
    if (err instanceof UserInputError) v.fail('config.activation', `is not an activation (${err.message})`, activation);
    throw err;
  }
  const config: RunConfig = {
    dataset: v.string(c.dataset, 'config.dataset'),
    activation,
    init: v.choice(c.init, 'config.init', INITIALIZERS),
    seed: v.number(c.seed, 'config.seed', Number.isInteger, 'an integer'),
    standardize: v.choice(c.standardize, 'config.standardize', ['whole', 'train', 'none'] as const),
    testHidden: v.choice(c.testHidden, 'config.testHidden', ['carry', 'reset'] as const),
    params: readParams(v, v.object(c.params, 'config.params')),
  };
  if (c.targets !== undefined) {
    if (!Array.isArray(c.targets) || c.targets.some((t) => typeof t !== 'string')) v.fail('config.targets', 'must be an array of column names', c.targets);
    config.targets = c.targets as string[];
  }
  if (c.hidden !== undefined) config.hidden = v.integer(c.hidden, 'config.hidden', 1);
  if (c.trainFraction !== undefined) config.trainFraction = v.number(c.trainFraction, 'config.trainFraction', (x) => x > 0 && x < 1, 'a number in (0, 1)');
  // Fields this version does not know (a newer writer's) are kept, not refused.
  for (const [key, value] of Object.entries(c)) if (!(key in config) && value !== undefined) (config as unknown as Obj)[key] = value;
  return config;
}

function readParams(v: Validator, p: Obj): AlmParams {
  const params = { ...p } as unknown as AlmParams;
  for (const key of ['gamma0', 'eps0', 'Gamma', 'mu', 'tau', 'lambda6', 'eta1', 'eta2', 'eta3', 'eta4', 'outer', 'inner', 'checkEvery', 'feasFloor'] as const) {
    v.number(p[key], `config.params.${key}`, (x) => !Number.isNaN(x), 'a number');
  }
  v.number(p.gammaMax, 'config.params.gammaMax', (x) => !Number.isNaN(x), 'a number');
  try {
    validateParams(params);
  } catch (err) {
    if (err instanceof UserInputError) v.fail('config.params', `is out of range: ${err.message}`);
    throw err;
  }
  return params;
}

function readLoop(v: Validator, l: Obj): AlmLoopState {
  const k = v.integer(l.k, 'loop.k', 0);
  const loop: AlmLoopState = {
    k,
    gamma: v.number(l.gamma, 'loop.gamma', (x) => Number.isFinite(x) && x > 0, 'a finite number > 0'),
    eps: v.number(l.eps, 'loop.eps', (x) => Number.isFinite(x) && x > 0, 'a finite number > 0'),
    prevViolation: v.number(l.prevViolation, 'loop.prevViolation', (x) => Number.isFinite(x) && x >= 0, 'a finite number ≥ 0'),
    lastLagrangian: v.number(l.lastLagrangian, 'loop.lastLagrangian', (x) => !Number.isNaN(x), 'a number'),
    sweeps: v.integer(l.sweeps, 'loop.sweeps', 0),
    seconds: v.number(l.seconds, 'loop.seconds', (x) => Number.isFinite(x) && x >= 0, 'a finite number ≥ 0'),
    history: [],
  };
  if (!Array.isArray(l.history)) v.fail('loop.history', 'must be an array', l.history);
  const history = l.history as unknown[];
  if (history.length !== k) v.fail('loop.history', `must hold one entry per completed outer iteration (loop.k = ${k}), not ${history.length}`);
  history.forEach((it, i) => {
    const o = v.object(it, `loop.history[${i}]`);
    v.number(o.k, `loop.history[${i}].k`, (x) => x === i + 1, `${i + 1}`);
  });
  loop.history = history as AlmLoopState['history'];
  if (l.stopReason !== undefined) loop.stopReason = v.choice(l.stopReason, 'loop.stopReason', ['outer-cap', 'stopped', 'converged', 'no-progress', 'early-stop', 'failed'] as const);
  if (l.failure !== undefined) {
    const f = v.object(l.failure, 'loop.failure');
    if (typeof f.message !== 'string') v.fail('loop.failure.message', 'must be a string', f.message);
    loop.failure = { message: f.message as string, weights: v.weights(f.weights, 'loop.failure.weights') };
  }
  if (l.earlyStop !== undefined) loop.earlyStop = readEarlyStop(v, v.object(l.earlyStop, 'loop.earlyStop'), k);
  return loop;
}

/** Early stopping's state (src/problem/early-stop.ts): its counts, and the best iterate's score and weights. */
function readEarlyStop(v: Validator, e: Obj, k: number): EarlyStopState {
  const evals = v.number(e.evals, 'loop.earlyStop.evals', (x) => Number.isInteger(x) && x >= 0 && x <= k, `an integer in [0, ${k}] (loop.k)`);
  const state: EarlyStopState = {
    evals,
    bestErr: v.number(e.bestErr, 'loop.earlyStop.bestErr', (x) => x === Infinity || (Number.isFinite(x) && x >= 0), 'a number ≥ 0 or Infinity'),
    bestK: v.number(e.bestK, 'loop.earlyStop.bestK', (x) => Number.isInteger(x) && x >= 0 && x <= k, `an integer in [0, ${k}] (loop.k)`),
    since: v.number(e.since, 'loop.earlyStop.since', (x) => Number.isInteger(x) && x >= 0 && x <= evals, `an integer in [0, ${evals}] (loop.earlyStop.evals)`),
  };
  if (e.bestWeights !== undefined) state.bestWeights = v.weights(e.bestWeights, 'loop.earlyStop.bestWeights');
  if (e.stoppedAt !== undefined) state.stoppedAt = v.number(e.stoppedAt, 'loop.earlyStop.stoppedAt', (x) => Number.isInteger(x) && x >= 1 && x <= k, `an integer in [1, ${k}] (loop.k)`);
  return state;
}

/**
 * The BCD state. The number of steps is the length most of h, u, ξ, ζ agree on, so that the
 * one array that is short is the one named.
 */
function readState(v: Validator, s: Obj, initial: RnnWeights): BcdState {
  const weights = v.weights(s.weights, 'state.weights', initial);
  const { r } = initial;
  const keys = ['h', 'u', 'xi', 'zeta'] as const;
  const lengths = keys.map((key) => {
    const a = s[key];
    return a instanceof Float64Array || Array.isArray(a) ? a.length : -1;
  });
  const counts = new Map<number, number>();
  for (const len of lengths) if (len > 0 && len % r === 0) counts.set(len, (counts.get(len) ?? 0) + 1);
  const common = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (common === undefined) v.fail('state.h', `must hold T×${r} numbers (T steps of r=${r} hidden units)`, s.h);
  const T = common! / r;
  const read = (key: (typeof keys)[number]): Float64Array => v.vector(s[key], `state.${key}`, T * r);
  return { weights, h: read('h'), u: read('u'), xi: read('xi'), zeta: read('zeta') };
}
