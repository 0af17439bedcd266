// What an experiment runs: data, methods, initialisations, repeats, the ALM's parameters, the
// baselines' budget and the hyperparameter grids. The paper's three settings (docs/method.md §6
// and the captions of Table 3) are presets; a quick preset keeps CI runs to seconds. Every
// choice is resolved into one plain-JSON ExperimentSpec, stored with the results so a run can
// be resumed and a table traced back to exactly what made it.
import { paramsFor, validateParams, type AlmParams } from '../alm/params.ts';
import { MAX_SEED } from '../alm/setup.ts';
import { MAX_EPOCHS, METHODS as BASELINE_METHODS, type Method as BaselineMethod } from '../baselines/optimizers.ts';
import { BASELINE_LOSSES, type BaselineLoss } from '../baselines/report.ts';
import { ParameterError, UserInputError } from '../errors.ts';
import type { LoadedDataset, StandardizeChoice } from '../problem/datasets.ts';
import { INITIALIZERS, type Initializer } from '../problem/init.ts';
import { defaultValidationSteps } from '../problem/validation.ts';
import type { TestHidden } from '../problem/model.ts';
import { DEFAULT_MIN_DELTA, defaultEvaluationInterval, resolveEarlyStopRule, type EarlyStopRestore, type EarlyStopRule } from '../problem/early-stop.ts';

/**
 * Every method an experiment can compare: the ALM, the five gradient baselines, and `alm+gd`,
 * the ALM's end point polished by GD on the ALM's own objective (TrainErr + the λ terms of its
 * τ; bench/results/experiments/README.md found it the best TestErr on one sp500 seed).
 */
export const EXPERIMENT_METHODS = ['alm', ...BASELINE_METHODS, 'alm+gd'] as const;
/** A method an experiment can compare: one of EXPERIMENT_METHODS. */
export type ExperimentMethod = (typeof EXPERIMENT_METHODS)[number];
export type { BaselineMethod, BaselineLoss };

/** Whether a method is one of the gradient baselines (not the ALM, not ALM + GD). */
export function isBaseline(method: ExperimentMethod): method is BaselineMethod {
  return (BASELINE_METHODS as readonly string[]).includes(method);
}

/** Whether a method trains with the ALM (and so has a τ, chosen on validation with the ALM's grid). */
export function usesAlm(method: ExperimentMethod): method is 'alm' | 'alm+gd' {
  return method === 'alm' || method === 'alm+gd';
}

/** The paper's learning-rate grid (§5.4). */
export const PAPER_LR_GRID: readonly number[] = Object.freeze([1e-4, 1e-3, 1e-2, 1e-1, 1]);
/** The paper's clipping-norm grid for GDC (§5.4). */
export const PAPER_CLIP_GRID: readonly number[] = Object.freeze([0.5, 1, 1.5, 2, 3, 4, 5, 6]);

/** The settings a preset fixes (everything but the data and the method/initialisation lists). */
export interface ExperimentSettings {
  /** ALM caps: outer iterations × inner sweeps. */
  outer: number;
  /** ALM cap: inner sweeps per outer iteration. */
  inner: number;
  /** Epochs of every gradient baseline (the paper: 500, 5000, 1000). */
  epochs: number;
  /** Mini-batch window of SGD (the paper: 2, 50, 100). Adam, like Keras's default fit here, is full batch. */
  sgdBatch: number;
  /** Repetitions of each method × initialisation with different seeds (the paper: 10). */
  repeats: number;
  /** Seeds per grid point when selecting hyperparameters on the validation split. */
  selectRepeats: number;
  /** Learning rates the baselines' selection tries. */
  lrGrid: number[];
  /** Clipping norms GDC's selection tries (× every learning rate). */
  clipGrid: number[];
}

/** Name of a preset. */
export type PresetName = 'paper' | 'quick';

/** Per data set: the paper's caps for the ALM and epochs / batch for the baselines (Table 3 captions, §5.4). */
const PAPER_SETTINGS: Record<string, Omit<ExperimentSettings, 'lrGrid' | 'clipGrid' | 'repeats' | 'selectRepeats'>> = {
  'synthetic-small': { outer: 50, inner: 10, epochs: 500, sgdBatch: 2 },
  sp500: { outer: 200, inner: 500, epochs: 5000, sgdBatch: 50 },
  'synthetic-large': { outer: 100, inner: 500, epochs: 1000, sgdBatch: 100 },
};
/** For data sets the paper does not have (welch-goyal, CSV files): the S&P settings at everyday caps. */
const OTHER_SETTINGS = { outer: 50, inner: 100, epochs: 1000, sgdBatch: 50 };

/** The settings of a preset for a data set. */
export function presetSettings(dataset: string, preset: PresetName): ExperimentSettings {
  const paper = PAPER_SETTINGS[dataset] ?? OTHER_SETTINGS;
  if (preset === 'paper') {
    return { ...paper, repeats: 10, selectRepeats: 3, lrGrid: [...PAPER_LR_GRID], clipGrid: [...PAPER_CLIP_GRID] };
  }
  return {
    outer: Math.min(paper.outer, 8),
    inner: Math.min(paper.inner, 10),
    epochs: Math.min(paper.epochs, 30),
    sgdBatch: paper.sgdBatch,
    repeats: 2,
    selectRepeats: 1,
    lrGrid: [1e-3, 1e-2, 1e-1],
    clipGrid: [1, 4],
  };
}

/** One point of a baseline's learning-rate grid. */
export interface BaselineCandidate {
  /** Learning rate. */
  lr: number;
  /** Clipping norm (gdc only). */
  clip?: number;
}

/**
 * The grid of one baseline: every learning rate, and for GDC every learning rate × clipping
 * norm (the experiments' selection, and the page's, which has no spec).
 */
export function baselineGrid(grids: { lrGrid: readonly number[]; clipGrid: readonly number[] }, method: BaselineMethod): BaselineCandidate[] {
  const { lrGrid, clipGrid } = grids;
  return method === 'gdc' ? lrGrid.flatMap((lr) => clipGrid.map((clip) => ({ lr, clip }))) : lrGrid.map((lr) => ({ lr }));
}

/** How the baselines are regularised: not at all (Keras's default), or with the ALM's λ1…λ5. */
export type BaselineRegularization = 'none' | 'same';

/** Everything that defines an experiment, resolved; stored in results.json. */
export interface ExperimentSpec {
  /** The data set: a registered name, or the path of a CSV file. */
  dataset: string;
  /** Target columns of a CSV data set (absent: the data set's own). */
  targets?: string[];
  /** Hidden size r (the data set's default when absent). */
  hidden?: number;
  /** The hidden layer's activation: "relu", "leaky:ω" or "elu". */
  activation: string;
  /** How the series is standardised: over the whole series (the paper), the training part, or not at all. */
  standardize: StandardizeChoice;
  /** How TestErr's hidden state starts: carried on from the training part (the paper), or reset to 0. */
  testHidden: TestHidden;
  /** Seed of the synthetic data generator (the data stay fixed across repeats). */
  dataSeed: number;
  /** Repeat j (0-based) uses seed + j for its initial weights and SGD's window order. */
  seed: number;
  /** The methods compared, without duplicates, in the order of the report's rows. */
  methods: ExperimentMethod[];
  /** The initialisations each method starts from, without duplicates, in the order of the report's columns. */
  inits: Initializer[];
  /** Runs of each method × initialisation, with seeds seed … seed + repeats − 1 (a resume may raise it). */
  repeats: number;
  /** The preset the settings not given came from. */
  preset: PresetName;
  /** The ALM's parameters, caps included. */
  alm: AlmParams;
  /** The gradient baselines' budget and objective (ALM + GD's polish takes only the epochs from here). */
  baseline: {
    /** Epochs of every baseline training and of ALM + GD's polish (their cap under early stopping). */
    epochs: number;
    /** SGD's mini-batch window, in time steps. */
    sgdBatch: number;
    /** Nesterov momentum of GDNM. */
    momentum: number;
    /** Whether the baselines' objective has the ALM's λ1…λ5 terms (`same`) or none (`none`). */
    regularization: BaselineRegularization;
    /** The baselines' data term: ours (`sum` over the outputs) or Keras' mse (divided by m). ALM + GD always polishes the ALM's own objective. */
    loss: BaselineLoss;
  };
  /** How the hyperparameters are chosen on the validation split, per method × initialisation. */
  selection: {
    /** Learning rates tried for every baseline and for ALM + GD's polish. */
    lrGrid: number[];
    /** Clipping norms tried for GDC, each with every learning rate. */
    clipGrid: number[];
    /**
     * The ALM's τ values, chosen per initialisation on the validation split as the baselines'
     * learning rates are; empty: the paper's fixed τ (spec.alm.tau). Absent in older results: empty.
     */
    almTauGrid?: number[];
    /** The last `validationSteps` steps of the training part are the validation part. */
    validationSteps: number;
    /** Seeds per grid point; selection seed s (0-based) is seed + SELECTION_SEED_OFFSET + s. */
    repeats: number;
  };
  /**
   * Early stopping on the validation split (docs/method.md §5.5), for every method; absent: every
   * run goes to its caps. The validation part is the selection's (selection.validationSteps).
   */
  earlyStop?: ExperimentEarlyStop;
}

/**
 * How an experiment stops its runs early. Every selection fit is scored on the validation part
 * as it trains and stops by the rule, its score the best validation error (its count k* a
 * hyperparameter chosen with the others); every run trains on the fit part with the rule, then is
 * retrained on the whole training part for its k* (or keeps its best iterate, restore `best`).
 */
export interface ExperimentEarlyStop {
  /** Evaluations without improvement that stop a run (absent: a tenth of each method's cap evaluations, at least 1). */
  patience?: number;
  /** Evaluations scored but not counted towards patience (absent: a tenth of each method's cap evaluations). */
  warmupEvals?: number;
  /** The relative improvement of the best validation error that counts. */
  minDelta: number;
  /** The baselines (and ALM + GD's polish) score the validation error every this many epochs; the ALM after every outer iteration. */
  every: number;
  /** A run's final model: `retrain`, trained again on the whole training part for its k*; `best`, the best iterate of its run on the fit part. */
  restore: EarlyStopRestore;
}

/**
 * The rule of a spec with early stopping, for runs counted in `outer` iterations (the ALM, scored
 * after each: the cap's evaluations are its outer iterations) or in `epochs` (the baselines and ALM
 * + GD's polish, scored every `every` epochs).
 */
export function earlyStopRuleOf(spec: ExperimentSpec, counted: 'outer' | 'epochs'): EarlyStopRule {
  const es = spec.earlyStop!;
  const capEvaluations = counted === 'outer' ? spec.alm.outer : Math.floor(spec.baseline.epochs / es.every);
  return resolveEarlyStopRule(capEvaluations, {
    ...(es.patience !== undefined ? { patience: es.patience } : {}),
    ...(es.warmupEvals !== undefined ? { warmupEvals: es.warmupEvals } : {}),
    minDelta: es.minDelta,
  });
}

/** Offset that keeps the selection's seeds apart from the repeats' seeds. */
export const SELECTION_SEED_OFFSET = 1_000_000;

/** What a caller may choose; everything absent comes from the preset or the data set. */
export interface ExperimentInput {
  /** A registered data set name, or the path of a CSV file (.csv, .tsv or .txt). */
  dataset: string;
  /** Target columns of a CSV data set (absent or empty: the data set's own). */
  targets?: string[];
  /** Hidden size r (default: the data set's). */
  hidden?: number;
  /** The hidden layer's activation: "relu" (default), "leaky:ω" or "elu". */
  activation?: string;
  /** How the series is standardised (default `whole`, the paper's). */
  standardize?: StandardizeChoice;
  /** How TestErr's hidden state starts (default `carry`, the paper's). */
  testHidden?: TestHidden;
  /** Seed of the synthetic data generator (default 1). */
  dataSeed?: number;
  /** Seed of repeat 0's initial weights (default 1); repeat j uses seed + j. */
  seed?: number;
  /** The methods to compare (default: all of EXPERIMENT_METHODS); duplicates are dropped. */
  methods?: ExperimentMethod[];
  /** The initialisations to start from (default: all five); duplicates are dropped. */
  inits?: Initializer[];
  /** The preset the settings not given here come from (default `paper`). */
  preset?: PresetName;
  /** Runs of each method × initialisation (default: the preset's). */
  repeats?: number;
  /** Seeds per grid point of the selection (default: the preset's). */
  selectRepeats?: number;
  /** The ALM's cap on outer iterations (default: the preset's). */
  outer?: number;
  /** The ALM's cap on inner sweeps per outer iteration (default: the preset's). */
  inner?: number;
  /** Epochs of the baselines and of ALM + GD's polish (default: the preset's). */
  epochs?: number;
  /** SGD's mini-batch window in time steps (default: the preset's). */
  sgdBatch?: number;
  /** Learning rates the selection tries (default: the preset's). */
  lrGrid?: number[];
  /** Clipping norms GDC's selection tries (default: the preset's). */
  clipGrid?: number[];
  /** Multiples of τ for the ALM's selection (default ALM_GRID_FACTORS), or 'none' for the fixed τ. */
  almGrid?: number[] | 'none';
  /** V, the steps at the end of the training part held out for validation (default: a tenth of the training part, at least 1). */
  validationSteps?: number;
  /** The ALM's τ (default: the data set's); almGrid's multiples are of this τ. */
  tau?: number;
  /** Nesterov momentum of GDNM, in [0, 1) (default 0.9). */
  momentum?: number;
  /** How the baselines are regularised (default `none`). */
  baselineRegularization?: BaselineRegularization;
  /** The baselines' data term (default `sum`, ours). */
  baselineLoss?: BaselineLoss;
  /** Early stopping on the validation split for every method; fields absent take their defaults (see ExperimentEarlyStop). */
  earlyStop?: Partial<ExperimentEarlyStop>;
}

export { defaultValidationSteps };

/** The ALM's default τ grid, as multiples of the data set's τ. */
export const ALM_GRID_FACTORS = [0.1, 0.3, 1, 3, 10];

/** Resolves an input against its preset and the loaded data set, and validates it. */
export function resolveSpec(input: ExperimentInput, loaded: LoadedDataset): ExperimentSpec {
  const preset = input.preset ?? 'paper';
  const base = presetSettings(input.dataset, preset);
  const caps = { outer: input.outer ?? base.outer, inner: input.inner ?? base.inner };
  const alm = paramsFor(PAPER_SETTINGS[input.dataset] ? input.dataset : undefined, {
    tau: input.tau ?? loaded.defaults.tau,
    paperCaps: true,
    overrides: caps,
  });
  const spec: ExperimentSpec = {
    dataset: input.dataset,
    ...(input.targets && input.targets.length > 0 ? { targets: input.targets } : {}),
    ...(input.hidden !== undefined ? { hidden: input.hidden } : {}),
    activation: input.activation ?? 'relu',
    standardize: input.standardize ?? 'whole',
    testHidden: input.testHidden ?? 'carry',
    dataSeed: input.dataSeed ?? 1,
    seed: input.seed ?? 1,
    methods: dedupe(input.methods ?? [...EXPERIMENT_METHODS]),
    inits: dedupe(input.inits ?? [...INITIALIZERS]),
    repeats: input.repeats ?? base.repeats,
    preset,
    alm,
    baseline: {
      epochs: input.epochs ?? base.epochs,
      sgdBatch: input.sgdBatch ?? base.sgdBatch,
      momentum: input.momentum ?? 0.9,
      regularization: input.baselineRegularization ?? 'none',
      loss: input.baselineLoss ?? 'sum',
    },
    selection: {
      lrGrid: input.lrGrid ?? base.lrGrid,
      clipGrid: input.clipGrid ?? base.clipGrid,
      almTauGrid: input.almGrid === 'none' ? [] : (input.almGrid ?? ALM_GRID_FACTORS).map((f) => Number((f * alm.tau).toPrecision(12))),
      validationSteps: input.validationSteps ?? defaultValidationSteps(loaded.T1),
      repeats: input.selectRepeats ?? base.selectRepeats,
    },
  };
  if (input.earlyStop) {
    const es = input.earlyStop;
    spec.earlyStop = {
      ...(es.patience !== undefined ? { patience: es.patience } : {}),
      ...(es.warmupEvals !== undefined ? { warmupEvals: es.warmupEvals } : {}),
      minDelta: es.minDelta ?? DEFAULT_MIN_DELTA,
      every: es.every ?? defaultEvaluationInterval(spec.baseline.epochs),
      restore: es.restore ?? 'retrain',
    };
  }
  return validateSpec(spec, loaded.T1);
}

/** Checks a spec (also one read back from results.json); throws a UserInputError naming the field. */
export function validateSpec(spec: ExperimentSpec, T1: number): ExperimentSpec {
  if (spec.methods.length === 0) throw new UserInputError('methods: give at least one of ' + EXPERIMENT_METHODS.join(', '));
  for (const m of spec.methods) {
    if (!(EXPERIMENT_METHODS as readonly string[]).includes(m)) {
      throw new ParameterError('methods', m, `one of ${EXPERIMENT_METHODS.join(', ')}`);
    }
  }
  if (spec.inits.length === 0) throw new UserInputError('inits: give at least one of ' + INITIALIZERS.join(', '));
  for (const i of spec.inits) {
    if (!(INITIALIZERS as readonly string[]).includes(i)) throw new ParameterError('inits', i, `one of ${INITIALIZERS.join(', ')}`);
  }
  integerAtLeast('repeats', spec.repeats, 1);
  integerAtLeast('seed', spec.seed, 0);
  integerAtLeast('dataSeed', spec.dataSeed, 0);
  validateParams(spec.alm);
  if (!(Number.isInteger(spec.baseline.epochs) && spec.baseline.epochs >= 1 && spec.baseline.epochs <= MAX_EPOCHS)) {
    throw new ParameterError('epochs', spec.baseline.epochs, `an integer from 1 to ${MAX_EPOCHS}`);
  }
  integerAtLeast('sgdBatch', spec.baseline.sgdBatch, 1);
  if (!(spec.baseline.momentum >= 0 && spec.baseline.momentum < 1)) {
    throw new ParameterError('momentum', spec.baseline.momentum, 'a number in [0, 1)');
  }
  if (spec.baseline.regularization !== 'none' && spec.baseline.regularization !== 'same') {
    throw new ParameterError('baselineRegularization', spec.baseline.regularization, 'none or same');
  }
  if (!(BASELINE_LOSSES as readonly string[]).includes(spec.baseline.loss)) {
    throw new ParameterError('baselineLoss', spec.baseline.loss, BASELINE_LOSSES.join(' or '));
  }
  positiveList('lrGrid', spec.selection.lrGrid);
  positiveList('clipGrid', spec.selection.clipGrid);
  if ((spec.selection.almTauGrid ?? []).length > 0) positiveList('almTauGrid', spec.selection.almTauGrid!);
  integerAtLeast('selectRepeats', spec.selection.repeats, 1);
  // Every seed the experiment draws must be a seed (src/alm/setup.ts): seed + j for the repeats,
  // seed + SELECTION_SEED_OFFSET + s for the selection; a larger one would repeat a smaller one's weights.
  const span = Math.max(spec.repeats - 1, SELECTION_SEED_OFFSET + spec.selection.repeats - 1);
  if (spec.seed + span > MAX_SEED) {
    throw new ParameterError('seed', spec.seed, `an integer from 0 to ${MAX_SEED - span} (the experiment draws seeds up to seed + ${span}, and a seed is at most ${MAX_SEED})`);
  }
  if (spec.dataSeed > MAX_SEED) throw new ParameterError('dataSeed', spec.dataSeed, `an integer from 0 to ${MAX_SEED}`);
  const V = spec.selection.validationSteps;
  if (!(Number.isInteger(V) && V >= 1 && V <= T1 - 2)) {
    throw new ParameterError('validationSteps', V, `an integer in [1, ${T1 - 2}] (the training part has ${T1} steps; at least 2 must remain to fit on)`);
  }
  if (spec.earlyStop) validateEarlyStop(spec.earlyStop, spec.baseline.epochs);
  return spec;
}

function validateEarlyStop(es: ExperimentEarlyStop, epochs: number): void {
  if (es.patience !== undefined) integerAtLeast('patience', es.patience, 1);
  if (es.warmupEvals !== undefined) integerAtLeast('warmupEvals', es.warmupEvals, 0);
  if (!(es.minDelta >= 0 && es.minDelta < 1)) throw new ParameterError('minDelta', es.minDelta, 'a number in [0, 1)');
  if (!(Number.isInteger(es.every) && es.every >= 1 && es.every <= epochs)) {
    throw new ParameterError('evaluateEvery', es.every, `an integer from 1 to the epochs (${epochs})`);
  }
  if (es.restore !== 'retrain' && es.restore !== 'best') throw new ParameterError('restore', es.restore, 'retrain or best');
}

/** The ALM parameters with the caps of a spec (for the README and logs). */
export function describeSettings(spec: ExperimentSpec): string[] {
  const a = spec.alm;
  const b = spec.baseline;
  const s = spec.selection;
  return [
    `ALM: ${a.outer} outer × ${a.inner} inner sweeps; γ0=${a.gamma0}, ε0=${a.eps0}, Γ=${a.Gamma}, μ=${a.mu}, τ=${a.tau}, λ6=${a.lambda6}, `
      + `η1=${round(a.eta1)}, η2=${round(a.eta2)}, η3 (exponent)=${a.eta3}, η4=${round(a.eta4)}, γ cap ${a.gammaMax}, violation floor ${a.feasFloor}`,
    `Baselines: ${b.epochs} epochs; GD/GDC/GDNM/Adam full batch, SGD windows of ${b.sgdBatch} steps; GDNM momentum ${b.momentum}; `
      + (b.regularization === 'none' ? 'no regularisation (Keras default)' : 'the ALM\'s λ1…λ5')
      + (b.loss === 'keras-mse' ? '; loss: Keras\' mse, the squared error averaged over the outputs too (our loss / m)' : '; loss: the squared error summed over the outputs (TrainErr)')
      + (spec.methods.includes('alm+gd') ? `; ALM + GD: the ALM's end point, then ${b.epochs} epochs of GD on the ALM's objective (TrainErr + its λ terms), learning rate chosen on validation` : ''),
    `Selection: learning rates {${s.lrGrid.join(', ')}}, GDC clipping norms {${s.clipGrid.join(', ')}}, `
      + `${(s.almTauGrid ?? []).length > 0 ? `ALM τ {${s.almTauGrid!.join(', ')}}` : `ALM τ fixed at ${a.tau} (no ALM selection)`}; `
      + `trained on the training part minus its last ${s.validationSteps} steps, scored by the mean squared error on those ${s.validationSteps} steps `
      + `(hidden state carried in), mean over ${s.repeats} seed${s.repeats === 1 ? '' : 's'} per grid point, chosen per method × initialisation`
      + (spec.earlyStop ? ', each grid point scored by its best validation error under early stopping' : ''),
    ...(spec.earlyStop ? [earlyStopLine(spec)] : []),
  ];
}

function earlyStopLine(spec: ExperimentSpec): string {
  const es = spec.earlyStop!;
  const alm = earlyStopRuleOf(spec, 'outer');
  const base = earlyStopRuleOf(spec, 'epochs');
  const usesAlmMethod = spec.methods.some(usesAlm);
  const usesGd = spec.methods.some((m) => m !== 'alm');
  return 'Early stopping on validation (every method): every selection fit and every run is scored on the validation part as it trains '
    + (usesAlmMethod ? `(the ALM after every outer iteration: patience ${alm.patience}, warm-up ${alm.warmupEvals} evaluations${usesGd ? '; ' : ''}` : '(')
    + (usesGd ? `the baselines and ALM + GD's polish every ${es.every} epochs: patience ${base.patience}, warm-up ${base.warmupEvals} evaluations` : '')
    + `; an improvement counts when relative and at least ${es.minDelta}) and stops by the rule; a selection scores a grid point by its best validation error; `
    + (es.restore === 'retrain'
      ? 'each run then trains again on the whole training part for exactly k*, the count with the lowest validation error of its fit-part run'
      : 'each run keeps the iterate of its fit-part run with the lowest validation error (restore best, no retraining)')
    + '; ALM + GD polishes the ALM\'s final model so, with its own k* in epochs';
}

function round(x: number): string {
  return String(Math.round(x * 1e6) / 1e6);
}

function dedupe<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function integerAtLeast(name: string, v: number, min: number): void {
  if (!(Number.isInteger(v) && v >= min)) throw new ParameterError(name, v, `an integer ≥ ${min}`);
}

function positiveList(name: string, xs: number[]): void {
  if (!Array.isArray(xs) || xs.length === 0) throw new ParameterError(name, xs, 'a non-empty list of numbers > 0');
  for (const x of xs) if (!(Number.isFinite(x) && x > 0)) throw new ParameterError(name, x, 'finite numbers > 0');
}
