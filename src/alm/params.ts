// Parameters of the method (docs/method.md §5–§6): defaults, the paper's presets per data set,
// the λ's they imply, and the one validation that every front end (CLI, page, API) calls.
import type { Lambdas } from '../backends/backend.ts';
import { ParameterError } from '../errors.ts';

/** How the inner BCD loop stops: at the sweep cap (the paper's experiments), or by the ∂L certificate (3.6). */
export type InnerStop = 'cap' | 'certificate';

/** Every parameter of the ALM outer loop and the BCD inner loop. */
export interface AlmParams {
  /** Initial penalty γ0 > 0. */
  gamma0: number;
  /** Initial inner tolerance ε0 > 0. */
  eps0: number;
  /** Warm-start bound Γ > 0 (3.13): warm start when L(s^{k−1}) ≤ Γ. */
  Gamma: number;
  /** Proximal weight μ > 0 of the u-block. */
  mu: number;
  /**
   * Regularisation scale τ > 0: λ1 = τ/(rm), λ2 = τ/r², λ3 = τ/(rn), λ4 = τ/r, λ5 = τ/m. Zero is
   * refused: the w-block matrix γPPᵀ + 2Λ_w is then only semidefinite, singular as soon as
   * r + n + 1 exceeds the training steps or a hidden unit is inactive on all of them.
   */
  tau: number;
  /** λ6 ≥ 0, the weight of ||u||². */
  lambda6: number;
  /** Sufficient-decrease factor of the violation, in (0, 1) (3.8). */
  eta1: number;
  /** Penalty growth factor 1/η2, η2 in (0, 1) (3.9). */
  eta2: number;
  /** Exponent of the multiplier norms in the penalty rule (3.9); > 0, the proof needs > 1. */
  eta3: number;
  /** Tolerance decrease factor ε_k = η4 ε_{k−1}, in (0, 1). */
  eta4: number;
  /** Outer iteration cap (1 to MAX_OUTER). */
  outer: number;
  /** Inner sweep cap per outer iteration (1 to MAX_INNER). */
  inner: number;
  /** When the inner loop ends: after `inner` sweeps (`cap`, default) or when the ∂L certificate is ≤ ε (`certificate`). */
  innerStop: InnerStop;
  /** Sweeps between read-backs of the stopping certificate (≥ 1). */
  checkEvery: number;
  /** Upper cap on γ (the authors' code uses 1e4); Infinity for none. */
  gammaMax: number;
  /**
   * Constraint violation treated as zero: at or below it (or below the backend's own rounding
   * floor, violationFloor in alm.ts, when that is larger) γ is held, because the decrease test
   * (3.8) can never pass once the violation sits at the rounding floor (docs/method.md §5.3).
   */
  feasFloor: number;
}

/** Defaults: Table 2 of the paper as read in docs/method.md §6.1 (the T=10 / S&P column). */
export const DEFAULT_PARAMS: Readonly<AlmParams> = Object.freeze({
  gamma0: 1,
  eps0: 0.1,
  Gamma: 1e6,
  mu: 1e-7,
  tau: 1,
  lambda6: 1e-8,
  eta1: 0.99,
  eta2: 5 / 6,
  eta3: 1.01,
  eta4: 5 / 6,
  outer: 50,
  inner: 10,
  innerStop: 'cap',
  checkEvery: 10,
  gammaMax: Infinity,
  feasFloor: 1e-10,
});

/**
 * The paper's settings for each of its three experiments (Table 2 and the caps of Table 3).
 * τ lives with the data set (DatasetInfo.tau), since it belongs to the data, not the method.
 */
export const PAPER_PRESETS: Readonly<Record<string, Partial<AlmParams>>> = Object.freeze({
  'synthetic-small': { eta1: 0.99, eta2: 5 / 6, eta3: 1.01, eta4: 5 / 6, outer: 50, inner: 10 },
  sp500: { eta1: 0.99, eta2: 5 / 6, eta3: 1.01, eta4: 5 / 6, outer: 200, inner: 500 },
  'synthetic-large': { eta1: 0.9, eta2: 0.9, eta3: 1.015, eta4: 0.8, outer: 100, inner: 500 },
});

/**
 * Caps for everyday runs (about a minute on one CPU core at most); the paper's caps are a
 * flag away (`paperCaps`). Data sets without an entry use 50×100.
 */
export const QUICK_CAPS: Readonly<Record<string, Pick<AlmParams, 'outer' | 'inner'>>> = Object.freeze({
  'synthetic-small': { outer: 50, inner: 10 },
  sp500: { outer: 50, inner: 100 },
  'synthetic-large': { outer: 20, inner: 50 },
});

/**
 * The parameters for a data set: defaults, then the paper's preset for it (η's, and its caps when
 * `paperCaps`, else QUICK_CAPS), then τ of the data set, then explicit overrides.
 */
export function paramsFor(
  dataset: string | undefined,
  options: { tau?: number; paperCaps?: boolean; overrides?: Partial<AlmParams> } = {},
): AlmParams {
  const preset = dataset !== undefined ? PAPER_PRESETS[dataset] ?? {} : {};
  const caps = options.paperCaps ? {} : (dataset !== undefined ? QUICK_CAPS[dataset] : undefined) ?? { outer: 50, inner: 100 };
  const tau = options.tau !== undefined ? { tau: options.tau } : {};
  return { ...DEFAULT_PARAMS, ...preset, ...caps, ...tau, ...stripUndefined(options.overrides ?? {}) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** λ1…λ6 implied by τ, λ6 and the model shape (docs/method.md §2). */
export function lambdasFor(params: Pick<AlmParams, 'tau' | 'lambda6'>, r: number, n: number, m: number): Lambdas {
  const { tau } = params;
  return { l1: tau / (r * m), l2: tau / (r * r), l3: tau / (r * n), l4: tau / r, l5: tau / m, l6: params.lambda6 };
}

/** Checks every parameter; throws a ParameterError naming the first one out of range. */
export function validateParams(p: AlmParams): AlmParams {
  positive('gamma0', p.gamma0);
  positive('eps0', p.eps0);
  positive('Gamma', p.Gamma);
  positive('mu', p.mu);
  if (!(Number.isFinite(p.tau) && p.tau > 0)) {
    throw new ParameterError('tau', p.tau, 'a finite number > 0 (with τ = 0 the w-block matrix γPPᵀ + 2Λ_w can be singular)');
  }
  nonNegative('lambda6', p.lambda6);
  openUnit('eta1', p.eta1);
  openUnit('eta2', p.eta2);
  positive('eta3', p.eta3);
  openUnit('eta4', p.eta4);
  integerUpTo('outer', p.outer, MAX_OUTER);
  integerUpTo('inner', p.inner, MAX_INNER);
  positiveInteger('checkEvery', p.checkEvery);
  if (p.innerStop !== 'cap' && p.innerStop !== 'certificate') {
    throw new ParameterError('innerStop', p.innerStop, 'one of cap, certificate');
  }
  if (!(p.gammaMax >= p.gamma0)) throw new ParameterError('gammaMax', p.gammaMax, `a number ≥ gamma0 (${p.gamma0}), or Infinity`);
  nonNegative('feasFloor', p.feasFloor);
  return p;
}

/**
 * The largest caps a run takes. They stand far above the paper's runs (at most 200 outer × 500
 * sweeps) and refuse a typo such as 1e12, which would otherwise run for years without a word.
 */
export const MAX_OUTER = 100_000;
/** The largest inner sweep cap (see MAX_OUTER). */
export const MAX_INNER = 100_000;
/** The largest hidden size r (the recurrent weights alone are r² numbers; the memory check refuses what does not fit below it). */
export const MAX_HIDDEN = 10_000;

/** Checks the hidden size r: an integer from 1 to MAX_HIDDEN. */
export function validateHidden(r: number): number {
  integerUpTo('hidden', r, MAX_HIDDEN);
  return r;
}

function positive(name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new ParameterError(name, v, 'a finite number > 0');
}
function nonNegative(name: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new ParameterError(name, v, 'a finite number ≥ 0');
}
function openUnit(name: string, v: number): void {
  if (!(v > 0 && v < 1)) throw new ParameterError(name, v, 'a number in the open interval (0, 1)');
}
function positiveInteger(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 1)) throw new ParameterError(name, v, 'an integer ≥ 1');
}
function integerUpTo(name: string, v: number, max: number): void {
  if (!(Number.isInteger(v) && v >= 1 && v <= max)) throw new ParameterError(name, v, `an integer from 1 to ${max}`);
}
