// One description of a training run, shared by the CLI, the experiment runner and the demo:
// which data, which model, which initialisation, which parameters. prepareRun turns it into
// the Problem and initial weights that runAlm takes, the same way everywhere.
import type { LoadDatasetOptions, LoadedDataset, StandardizeChoice } from '../problem/datasets.ts';
import { formatActivation, parseActivation } from '../problem/activations.ts';
import { initializeWeights, type Initializer } from '../problem/init.ts';
import { checkMemory, estimateHostMemory } from '../problem/memory.ts';
import type { TestHidden } from '../problem/model.ts';
import { Rng } from '../problem/rng.ts';
import type { Activation, Problem, RnnWeights } from '../problem/types.ts';
import { DataError, ParameterError, UserInputError } from '../errors.ts';
import { validateHidden, validateParams, type AlmParams } from './params.ts';

/** Everything that defines a run, in plain JSON (it is stored in checkpoints). */
export interface RunConfig {
  /** A registered data set name or a CSV path. */
  dataset: string;
  /** Target columns of a CSV data set (default: its last column). */
  targets?: string[];
  /** Hidden size r; the data set's default when absent. */
  hidden?: number;
  /** "relu", "leaky:ω" or "elu". */
  activation: string;
  /** The initialiser of the weights (seeded from `seed`). */
  init: Initializer;
  /** Seed of the initial weights, and of a synthetic data set's series. */
  seed: number;
  /** Share of the steps trained on; the data set's default when absent. */
  trainFraction?: number;
  /** Standardisation: over the whole series (the paper), the training part, or none. */
  standardize: StandardizeChoice;
  /** How a CSV file is read (separator, missing values); absent: detected, and missing values refused. */
  csv?: LoadDatasetOptions['csv'];
  /** How TestErr's hidden state starts: carried on from training, or reset to 0. */
  testHidden: TestHidden;
  /** The method's parameters, every one of them. */
  params: AlmParams;
  /** Early stopping's settings (src/problem/early-stop.ts), when the run stops on a validation split. */
  earlyStop?: {
    /** V: the last V steps of the training part score the validation error. */
    validationSteps: number;
    /** Evaluations without an improvement (after the warm-up) that end the run. */
    patience: number;
    /** The relative improvement that counts as one. */
    minDelta: number;
    /** Evaluations before patience starts counting. */
    warmupEvals: number;
    /** Retrain for k* on the whole training part, or keep the best iterate. */
    restore: 'retrain' | 'best';
  };
}

/** The prime modulus of initSeed's map: 2³¹ − 1. */
const INIT_SEED_MODULUS = 2147483647;

/**
 * The largest seed. initSeed maps the seeds 0…2³¹−2 one-to-one (and Rng keeps 32 bits of the
 * data seed); a larger seed would silently repeat a smaller one's weights, and above 2⁵³ a seed
 * is not even read exactly, so seeds are integers from 0 to MAX_SEED.
 */
export const MAX_SEED = INIT_SEED_MODULUS - 1;

/** Whether `seed` is a seed: an integer from 0 to MAX_SEED. */
export function isSeed(seed: number): boolean {
  return Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED;
}

/** Checks a seed (see MAX_SEED); throws a ParameterError naming it otherwise. */
export function validateSeed(seed: number): number {
  if (!isSeed(seed)) throw new ParameterError('seed', seed, `an integer from 0 to ${MAX_SEED}`);
  return seed;
}

/** The seed of the initial weights, kept apart from the data seed so each can change alone. */
export function initSeed(seed: number): number {
  return (seed * 7919 + 104729) % INIT_SEED_MODULUS;
}

/** Builds the Problem and the initial weights of a run from its loaded data set. */
export function prepareRun(config: RunConfig, loaded: LoadedDataset, initial?: RnnWeights): { problem: Problem; initial: RnnWeights } {
  validateParams(config.params);
  const activation: Activation = parseActivation(config.activation);
  const r = validateHidden(config.hidden ?? loaded.defaults.r);
  const { series } = loaded;
  const shape = { T: loaded.T1, n: series.n, m: series.m, r };
  checkMemory(shape, estimateHostMemory(shape), 'the weights and their evaluation');
  const problem: Problem = {
    name: config.dataset,
    series,
    T1: loaded.T1,
    r,
    activation,
    standardization: loaded.standardization,
  };
  if (initial) {
    if (initial.r !== r || initial.n !== series.n || initial.m !== series.m) {
      throw new DataError(
        `initial model has r=${initial.r}, n=${initial.n}, m=${initial.m}; the data and --hidden need r=${r}, n=${series.n}, m=${series.m}`,
      );
    }
    return { problem, initial };
  }
  return { problem, initial: initializeWeights(config.init, r, series.n, series.m, new Rng(initSeed(config.seed))) };
}

/** A one-line description of a run's model and data, for logs. */
export function describeRun(config: RunConfig, problem: Problem): string {
  return `${describeProblem(problem)}, init ${config.init}, seed ${config.seed}`;
}

/** The data and model part of describeRun, for runs whose initialisation is described apart (grids, given weights). */
export function describeProblem(problem: Problem): string {
  const { series } = problem;
  return `${problem.name}: T=${series.T} (train ${problem.T1}, test ${series.T - problem.T1}), n=${series.n}, m=${series.m}, r=${problem.r}, ${formatActivation(problem.activation)}`;
}

/** The listed values a grid of trials is the product of (CLI: --init, --tau, --seed; the page: the same fields). */
export interface TrialLists {
  /** Initialisers (`--init he,lecun`). */
  inits: Initializer[];
  /** Values of τ (`--tau 0.3,1`). */
  taus: number[];
  /** Seeds (`--seed 1-4`). */
  seeds: number[];
}

/**
 * The most trials one grid may hold. Each trial keeps its own working set and weights, and a
 * grid is prepared and reported trial by trial: beyond this, run the grid in parts (split the
 * seed list).
 */
export const MAX_TRIALS = 10_000;

/** Checks the size of a grid (init × τ × seed) against MAX_TRIALS; `names` are the settings' names in the message. */
export function checkTrialCount(lists: TrialLists, names: { inits: string; taus: string; seeds: string } = { inits: 'init', taus: 'tau', seeds: 'seed' }): number {
  const n = lists.inits.length * lists.taus.length * lists.seeds.length;
  if (n > MAX_TRIALS) {
    throw new UserInputError(`${n} trials (${lists.inits.length} ${names.inits} × ${lists.taus.length} ${names.taus} × ${lists.seeds.length} ${names.seeds}) are more than the ${MAX_TRIALS} one grid may hold: run the grid in parts, e.g. split the seed list`);
  }
  return n;
}

/**
 * Every combination of the lists, as run descriptions over `base`: initialisation outermost,
 * then τ, then seed (the order of `alm-rnn train`'s trials, its table and its model files).
 * Refuses more than MAX_TRIALS.
 */
export function trialGrid(base: RunConfig, lists: TrialLists): RunConfig[] {
  checkTrialCount(lists);
  const grid: RunConfig[] = [];
  for (const init of lists.inits) {
    for (const tau of lists.taus) {
      for (const seed of lists.seeds) grid.push({ ...base, init, seed, params: { ...base.params, tau } });
    }
  }
  return grid;
}

/** The model file name of a trial, from its varying settings: e.g. "he_tau1_seed3" (`train --out DIR/`, the page's exports); `init` names where the initial weights came from when no initialiser drew them ("from-m" for --init-from m.json). */
export function trialFileName(c: RunConfig, init: string = c.init): string {
  return `${init}_tau${c.params.tau}_seed${c.seed}`;
}
