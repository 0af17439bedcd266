// Driving the engine one BCD sweep at a time, for people who time it or study it: the problem
// train() would solve (same data checks, standardisation, split and regularisation), loaded
// onto a backend the caller made with createBackend, then swept at a penalty γ the caller
// chooses. No outer loop, no multiplier updates, no read-backs unless asked for: what the ALM
// runs between two read-backs, and nothing else, so a timer around sweep() times the engine.
import { bcdProblemOf, numericalError } from '../alm/alm.ts';
import { initSeed } from '../alm/setup.ts';
import type { BcdBackend, BcdProblem } from '../backends/backend.ts';
import { WebGpuBackend } from '../backends/webgpu/webgpu-backend.ts';
import { initializeWeights, INITIALIZERS, type Initializer } from '../problem/init.ts';
import { Rng } from '../problem/rng.ts';
import type { RnnWeights } from '../problem/types.ts';
import { checkKnownKeys, checkObject, OptionError } from './errors.ts';
import { checkInteger, prepareData, readParams, readSeed, type CommonOptions, type MethodParams } from './train.ts';

/** The shape of a loaded problem: training length T (the paper's T1), inputs n, targets m, hidden size r. */
export interface SweepShape {
  /** Training steps (T1). */
  T: number;
  /** Input columns. */
  n: number;
  /** Target columns. */
  m: number;
  /** Hidden units. */
  r: number;
}

/** Options of sweepProblem(): train()'s data and shape options, the regularisation, and the trials' initial weights. */
export interface SweepProblemOptions
  extends Pick<CommonOptions, 'inputs' | 'targets' | 'inputNames' | 'targetNames' | 'hidden' | 'activation' | 'trainFraction' | 'trainSteps' | 'standardize' | 'standardizeColumns'> {
  /** The method's parameters; only τ, λ6 and μ (the regularisation the sweeps minimise) matter here, the rest are checked and ignored. */
  params?: MethodParams;
  /** Initialiser of every trial's weights (default `normal-1e-1`), seeded as train() seeds it. */
  init?: Initializer;
  /** One seed per trial (default [1]): trial i starts where train() with `seed: seeds[i]` starts. */
  seeds?: number[];
  /** One trial per entry, starting from these weights (instead of init and seeds); each must fit the shape. */
  initialWeights?: RnnWeights[];
}

/** A checked problem and its trials' initial weights, ready to load onto backends. */
export interface SweepProblem {
  /** The problem's shape. */
  readonly shape: SweepShape;
  /** Trials (one per seed or initial point); each is an independent copy of the problem. */
  readonly trials: number;
  /**
   * Loads every trial onto `backend` (from createBackend; it stays the caller's, and a later
   * load or a training call replaces what this one put there). On WebGPU the first load on a
   * device compiles the engine's pipelines: seconds on a GPU, tens of seconds on SwiftShader.
   */
  load(backend: BcdBackend): Promise<SweepSession>;
}

/** Counters of the device work a backend has recorded since the load (WebGPU). */
export interface SweepCounters {
  /** Sweeps run (a sweep of the batch counts once, whatever the trials). */
  sweeps: number;
  /** Compute dispatches recorded (sweeps and queries). */
  dispatches: number;
  /** Compute dispatches one sweep of every trial records. */
  dispatchesPerSweep: number;
  /** Buffer read-backs. */
  readbacks: number;
  /** Queue submissions. */
  submits: number;
}

/** One step of a profiled sweep: its label (e.g. "gram P", "cholesky factor (z-block)") and wall time. */
export interface SweepStepTime {
  /** The step; its first word is the kernel family. */
  label: string;
  /** Milliseconds from its submission to its completion, submitted alone. */
  ms: number;
}

/** A problem loaded on a backend: run sweeps, read what they did. */
export interface SweepSession {
  /** The problem's shape. */
  readonly shape: SweepShape;
  /** Trials loaded. */
  readonly trials: number;
  /** The backend's description, e.g. "cpu (float64 reference, wasm kernels, in the calling thread)". */
  readonly backend: string;
  /**
   * Runs `count` BCD sweeps (z, then h, then u) of every trial at penalty `gamma` (one value
   * for all, or one per trial), and resolves when the device has finished them. Multipliers
   * stay at zero. A trial whose linear algebra breaks down throws a NumericalError naming it.
   */
  sweep(count?: number, gamma?: number | readonly number[]): Promise<void>;
  /**
   * Runs one sweep with each step submitted alone and waited for, and returns each step's wall
   * time (a submit's overhead included); null on a backend without per-step submission (the CPU).
   */
  profileSweep(gamma?: number | readonly number[]): Promise<SweepStepTime[] | null>;
  /** What the backend has asked of its device since the load; null on a backend that keeps no counters (the CPU). */
  counters(): SweepCounters | null;
  /** Every trial's current weights (a read-back on WebGPU). */
  readWeights(): Promise<RnnWeights[]>;
}

/** Options of initialWeights(). */
export interface InitialWeightsOptions {
  /** Hidden units r. */
  hidden: number;
  /** Input columns n. */
  inputs: number;
  /** Target columns m. */
  targets: number;
  /** The initialiser (default `normal-1e-1`). */
  init?: Initializer;
  /** The seed (default 1), as train()'s `seed`. */
  seed?: number;
}

/** The initial weights train() starts from for an initialiser and a seed: the same numbers, for a shape. */
export function initialWeights(options: InitialWeightsOptions): RnnWeights {
  checkObject(options, 'options');
  checkKnownKeys(options, ['hidden', 'inputs', 'targets', 'init', 'seed'], '');
  const r = checkInteger('hidden', options.hidden, 1);
  const n = checkInteger('inputs', options.inputs, 1);
  const m = checkInteger('targets', options.targets, 1);
  const init = readInitializer(options.init);
  return initializeWeights(init, r, n, m, new Rng(initSeed(readSeed(options.seed))));
}

function readInitializer(v: unknown): Initializer {
  if (v === undefined) return 'normal-1e-1';
  if (typeof v !== 'string' || !(INITIALIZERS as readonly string[]).includes(v)) throw new OptionError('init', v, `must be one of ${INITIALIZERS.join(', ')}`);
  return v as Initializer;
}

const OPTION_KEYS = ['inputs', 'targets', 'inputNames', 'targetNames', 'hidden', 'activation', 'trainFraction', 'trainSteps', 'standardize', 'standardizeColumns', 'params', 'init', 'seeds', 'initialWeights'];

/**
 * Checks the options and builds the problem train() would solve on them (standardised, split
 * at the same step, regularised by τ, λ6 and μ), with one trial per seed or initial point.
 * Bad options throw an OptionError naming them.
 */
export function sweepProblem(options: SweepProblemOptions): SweepProblem {
  checkObject(options, 'options');
  checkKnownKeys(options, OPTION_KEYS, '');
  const { problem } = prepareData(options, 'sweepProblem');
  const params = readParams(options.params);
  const shape: SweepShape = { T: problem.T1, n: problem.series.n, m: problem.series.m, r: problem.r };
  let initial: RnnWeights[];
  if (options.initialWeights !== undefined) {
    if (options.init !== undefined || options.seeds !== undefined) throw new OptionError('initialWeights', undefined, 'replaces init and seeds: give one or the other');
    if (!Array.isArray(options.initialWeights) || options.initialWeights.length === 0) throw new OptionError('initialWeights', options.initialWeights, 'must be a non-empty array of weights, one per trial');
    initial = options.initialWeights.map((w, i) => checkWeights(w, shape, `initialWeights[${i}]`));
  } else {
    const init = readInitializer(options.init);
    const seeds = options.seeds ?? [1];
    if (!Array.isArray(seeds) || seeds.length === 0) throw new OptionError('seeds', seeds, 'must be a non-empty array of seeds, one per trial');
    initial = seeds.map((s, i) => initializeWeights(init, shape.r, shape.n, shape.m, new Rng(initSeed(readSeed(s, `seeds[${i}]`)))));
  }
  const bcd: BcdProblem = bcdProblemOf(problem, params);
  return {
    shape,
    trials: initial.length,
    async load(backend: BcdBackend): Promise<SweepSession> {
      if (!isBackend(backend)) throw new OptionError('backend', backend, 'must be a backend object from createBackend()');
      await backend.load(initial.map(() => bcd), initial);
      return new LoadedSweeps(backend, shape, initial.length);
    },
  };
}

function isBackend(v: unknown): v is BcdBackend {
  const b = v as Partial<BcdBackend> | null;
  return typeof b === 'object' && b !== null && typeof b.load === 'function' && typeof b.sweep === 'function' && typeof b.info === 'object';
}

function checkWeights(w: unknown, shape: SweepShape, option: string): RnnWeights {
  const x = w as Partial<RnnWeights> | null;
  if (typeof x !== 'object' || x === null || x.r !== shape.r || x.n !== shape.n || x.m !== shape.m) {
    throw new OptionError(option, x && typeof x === 'object' ? `weights with r=${x.r}, n=${x.n}, m=${x.m}` : w, `must fit the problem (r=${shape.r}, n=${shape.n}, m=${shape.m})`);
  }
  const sizes: Record<string, number> = { W: shape.r * shape.r, V: shape.r * shape.n, b: shape.r, A: shape.m * shape.r, c: shape.m };
  for (const [k, len] of Object.entries(sizes)) {
    const a = (x as Record<string, unknown>)[k];
    if (!(a instanceof Float64Array) || a.length !== len) throw new OptionError(`${option}.${k}`, a, `must be a Float64Array of ${len} values`);
  }
  return x as RnnWeights;
}

class LoadedSweeps implements SweepSession {
  readonly backend: string;

  constructor(
    private readonly engine: BcdBackend,
    readonly shape: SweepShape,
    readonly trials: number,
  ) {
    this.backend = engine.info.description;
  }

  private gammas(gamma: number | readonly number[] | undefined): Float64Array {
    const g = gamma ?? 1;
    const values = typeof g === 'number' ? new Float64Array(this.trials).fill(g) : Float64Array.from(g);
    if (typeof g !== 'number' && (!Array.isArray(g) || g.length !== this.trials)) throw new OptionError('gamma', g, `must be a number or ${this.trials} numbers, one per trial`);
    for (const x of values) if (!(x > 0 && Number.isFinite(x))) throw new OptionError('gamma', g, 'must be finite and > 0');
    return values;
  }

  async sweep(count = 1, gamma?: number | readonly number[]): Promise<void> {
    checkInteger('count', count, 1);
    const failures = await this.engine.sweep(count, this.gammas(gamma));
    if (failures && failures.length > 0) throw numericalError(`trial ${failures[0].trial}: ${failures[0].message}`);
  }

  async profileSweep(gamma?: number | readonly number[]): Promise<SweepStepTime[] | null> {
    const g = this.gammas(gamma);
    return this.engine instanceof WebGpuBackend ? this.engine.profileSweep(g) : null;
  }

  counters(): SweepCounters | null {
    if (!(this.engine instanceof WebGpuBackend)) return null;
    const { sweeps, dispatches, dispatchesPerSweep, readbacks, submits } = this.engine.stats;
    return { sweeps, dispatches, dispatchesPerSweep, readbacks, submits };
  }

  readWeights(): Promise<RnnWeights[]> {
    return this.engine.readWeights();
  }
}
