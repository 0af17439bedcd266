// A batch of trials run one after another in this thread, each by its own single-trial engine:
// the BcdBackend of a batch built from B TrialEngines. Each trial is computed exactly as it
// would be alone (the engines share nothing), so a trial in a batch is bit-identical to its
// solo run. The CPU pool runs one of these in every worker thread.
import { NumericalError } from '../errors.ts';
import type { RnnWeights } from '../problem/types.ts';
import {
  checkBatch, type BackendInfo, type BcdBackend, type BcdProblem, type BcdState, type ConstraintNorms,
  type MultiplierNorms, type TrialEngine, type TrialFailure, type TrialMask,
} from './backend.ts';

/** BcdBackend over one TrialEngine per trial, created by `createEngine` at load. */
export class TrialsBackend implements BcdBackend {
  readonly info: BackendInfo;
  private engines: TrialEngine[] = [];
  /** Seconds each engine has spent on its trial since load (trialSeconds). */
  private seconds = new Float64Array(0);

  /**
   * @param createEngine makes one trial's engine (called B times by each load)
   * @param fixed engines to use instead, one per trial (see TrialsBackend.of)
   */
  constructor(
    private readonly createEngine: () => TrialEngine | Promise<TrialEngine>,
    info: BackendInfo,
    private readonly fixed: TrialEngine[] | null = null,
  ) {
    this.info = info;
  }

  /** A batch over the given engines (one trial each, loaded afresh by every load): for looking inside a trial. */
  static of(...engines: TrialEngine[]): TrialsBackend {
    if (engines.length === 0) throw new RangeError('TrialsBackend.of needs at least one engine');
    return new TrialsBackend(() => engines[0], engines[0].info, engines);
  }

  get trials(): number {
    return this.engines.length;
  }

  /** The engine of one trial (for tests and benchmarks that look inside a trial). */
  engine(trial: number): TrialEngine {
    return this.need(trial);
  }

  private need(trial: number): TrialEngine {
    const e = this.engines[trial];
    if (!e) throw new RangeError(`trial ${trial} is not loaded (${this.engines.length} trials)`);
    return e;
  }

  async load(problems: readonly BcdProblem[], initial: readonly RnnWeights[]): Promise<void> {
    checkBatch(problems, initial);
    if (this.fixed) {
      if (problems.length !== this.fixed.length) throw new RangeError(`this backend runs ${this.fixed.length} given engines, not ${problems.length} trials`);
      this.engines = this.fixed.slice();
    } else {
      this.disposeEngines();
      for (let i = 0; i < problems.length; i++) this.engines.push(await this.createEngine());
    }
    for (let i = 0; i < problems.length; i++) await this.engines[i].load(problems[i], initial[i]);
    this.seconds = new Float64Array(problems.length);
  }

  /** Runs one trial's engine call, adding its duration to the trial's seconds. */
  private async timed<T>(trial: number, call: (e: TrialEngine) => T | Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await call(this.engines[trial]);
    } finally {
      this.seconds[trial] += (performance.now() - t0) / 1000;
    }
  }

  async trialSeconds(): Promise<Float64Array> {
    return this.seconds.slice();
  }

  async sweep(count: number, gamma: ArrayLike<number>, active?: TrialMask): Promise<TrialFailure[]> {
    const failures: TrialFailure[] = [];
    for (let i = 0; i < this.engines.length; i++) {
      if (active && !active[i]) continue;
      try {
        await this.timed(i, (e) => e.sweep(count, gamma[i]));
      } catch (err) {
        // One trial's breakdown must not end the others' runs.
        if (!(err instanceof NumericalError)) throw err;
        failures.push({ trial: i, message: err.message });
      }
    }
    return failures;
  }

  async certificate(gamma: ArrayLike<number>, active?: TrialMask): Promise<Float64Array> {
    const out = new Float64Array(this.engines.length).fill(NaN);
    for (let i = 0; i < this.engines.length; i++) if (!active || active[i]) out[i] = await this.timed(i, (e) => e.certificate(gamma[i]));
    return out;
  }

  async constraintNorms(): Promise<ConstraintNorms[]> {
    const out: ConstraintNorms[] = [];
    for (let i = 0; i < this.engines.length; i++) out.push(await this.timed(i, (e) => e.constraintNorms()));
    return out;
  }

  async updateMultipliers(gamma: ArrayLike<number>, active?: TrialMask): Promise<MultiplierNorms[]> {
    const out: MultiplierNorms[] = [];
    for (let i = 0; i < this.engines.length; i++) {
      out.push(!active || active[i] ? await this.timed(i, (e) => e.updateMultipliers(gamma[i])) : { xi: NaN, zeta: NaN });
    }
    return out;
  }

  async lagrangian(gamma: ArrayLike<number>): Promise<Float64Array> {
    const out = new Float64Array(this.engines.length);
    for (let i = 0; i < this.engines.length; i++) out[i] = await this.timed(i, (e) => e.lagrangian(gamma[i]));
    return out;
  }

  async resetToInitial(mask: TrialMask): Promise<void> {
    for (let i = 0; i < this.engines.length; i++) if (mask[i]) await this.timed(i, (e) => e.resetToInitial());
  }

  async readWeights(): Promise<RnnWeights[]> {
    const out: RnnWeights[] = [];
    for (const e of this.engines) out.push(await e.readWeights());
    return out;
  }

  async readState(trial: number): Promise<BcdState> {
    return this.need(trial).readState();
  }

  async writeState(trial: number, state: BcdState): Promise<void> {
    return this.need(trial).writeState(state);
  }

  private disposeEngines(): void {
    for (const e of this.engines) e.dispose();
    this.engines = [];
  }

  dispose(): void {
    this.disposeEngines();
  }
}
