// The outer loop's rules on hand-made cases: multipliers (3.7), penalty (3.8)–(3.9), tolerance,
// warm start (3.13), the rounding-floor hold, caps, stopping; and the feasibility of s^0.
import { describe, expect, it } from 'vitest';
import { FLOOR_ROUNDINGS, iterationsWithoutProgress, runAlm, type AlmIteration } from '../../src/alm/alm.ts';
import { DEFAULT_PARAMS, lambdasFor, type AlmParams } from '../../src/alm/params.ts';
import type { BcdState, ConstraintNorms, TrialEngine } from '../../src/backends/backend.ts';
import { TrialsBackend } from '../../src/backends/trials.ts';
import { CpuTrial } from '../../src/backends/cpu/cpu-trial.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import { zeroWeights, type Activation, type Problem } from '../../src/problem/types.ts';

/** A backend whose scalars follow a script, recording what the loop asked of it. */
class ScriptedBackend implements TrialEngine {
  info: TrialEngine['info'] = { kind: 'scripted', description: 'scripted' };
  calls: string[] = [];
  sweepGammas: number[] = [];
  private normCalls = 0;
  private multiplierCalls = 0;
  private lagrangianCalls = 0;
  constructor(
    private readonly violations: ConstraintNorms[], // [0] is s^0, then one per outer iteration
    private readonly multiplierNorms: { xi: number; zeta: number }[],
    private readonly lagrangians: number[], // [0] at s^0, then one per outer iteration
  ) {}
  async load(): Promise<void> { this.calls.push('load'); }
  async sweep(count: number, gamma: number): Promise<void> {
    for (let i = 0; i < count; i++) this.sweepGammas.push(gamma);
  }
  async certificate(): Promise<number> { return 1; }
  // The loop reads each scalar once at s^0 (norms, L) and once per outer iteration.
  async constraintNorms(): Promise<ConstraintNorms> { return this.violations[this.normCalls++]; }
  async updateMultipliers(gamma: number): Promise<{ xi: number; zeta: number }> {
    this.calls.push(`multipliers γ=${gamma}`);
    return this.multiplierNorms[this.multiplierCalls++];
  }
  async lagrangian(): Promise<number> { return this.lagrangians[this.lagrangianCalls++]; }
  async resetToInitial(): Promise<void> { this.calls.push('reset'); }
  async readWeights() { return zeroWeights(1, 1, 1); }
  async readState(): Promise<BcdState> { throw new Error('not used'); }
  async writeState(): Promise<void> {}
  dispose(): void {}
}

const tinyProblem: Problem = {
  name: 'tiny', T1: 2, r: 1, activation: { kind: 'relu' },
  series: { T: 3, n: 1, m: 1, x: new Float64Array(3), y: new Float64Array(3), inputNames: ['x'], targetNames: ['y'] },
};

function params(over: Partial<AlmParams>): AlmParams {
  return { ...DEFAULT_PARAMS, eta1: 0.5, eta2: 0.5, eta3: 2, eta4: 0.5, Gamma: 10, outer: 4, inner: 3, checkEvery: 3, ...over };
}

describe('ALM outer-loop rules on a scripted backend', () => {
  it('grows γ by max(γ/η2, ||ξ||^η3, ||ζ||^η3) unless the violation fell by η1, and multiplies ε by η4', async () => {
    const be = new ScriptedBackend(
      [{ c1: 0, c2: 0 }, { c1: 1, c2: 0.5 }, { c1: 0.4, c2: 0.3 }, { c1: 0.3, c2: 0.1 }, { c1: 0.01, c2: 0.02 }, { c1: 0, c2: 0 }],
      [{ xi: 1, zeta: 1 }, { xi: 3, zeta: 1 }, { xi: 1, zeta: 5 }, { xi: 1, zeta: 1 }],
      [0, 1, 1, 1, 1],
    );
    const res = await runAlm(TrialsBackend.of(be), tinyProblem, params({}), zeroWeights(1, 1, 1));
    const h = res.history;
    // k=1: s^0 feasible, so 1 > 0.5·0 fails: γ = max(1/0.5, 1², 1²) = 2.
    // k=2: 0.4 ≤ 0.5·1 passes: γ stays 2.   k=3: 0.3 > 0.5·0.4 fails: γ = max(4, 1, 25) = 25.
    // k=4: 0.02 ≤ 0.5·0.3 passes: γ stays 25.
    expect(h.map((i) => i.gamma)).toEqual([1, 2, 2, 25]);
    expect(h.map((i) => i.gammaNext)).toEqual([2, 2, 25, 25]);
    expect(h.map((i) => i.feasVio)).toEqual([1, 0.4, 0.3, 0.02]);
    expect(h.map((i) => i.eps)).toEqual([0.05, 0.025, 0.0125, 0.00625]);
    // Sweeps of iteration k use γ_{k−1}; multipliers are updated with the same γ_{k−1} (3.7).
    expect(be.sweepGammas).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 2, 25, 25, 25]);
    expect(be.calls.filter((c) => c.startsWith('multipliers'))).toEqual(['multipliers γ=1', 'multipliers γ=2', 'multipliers γ=2', 'multipliers γ=25']);
  });

  it('restarts from s^0 when L(s^{k−1}) > Γ, and warm-starts otherwise', async () => {
    const v = { c1: 1, c2: 1 };
    const be = new ScriptedBackend(Array(6).fill(v), Array(4).fill({ xi: 0, zeta: 0 }), [0, 5, 50, 5, 5]);
    const res = await runAlm(TrialsBackend.of(be), tinyProblem, params({ Gamma: 10 }), zeroWeights(1, 1, 1));
    expect(res.history.map((i) => i.warm)).toEqual([false, true, false, true]);
    expect(be.calls.filter((c) => c === 'reset')).toHaveLength(1);
  });

  it('holds γ once the violation is at the rounding floor, and respects the γ cap', async () => {
    const be = new ScriptedBackend(
      [{ c1: 0, c2: 0 }, { c1: 1, c2: 1 }, { c1: 2, c2: 2 }, { c1: 1e-13, c2: 0 }, { c1: 2e-13, c2: 0 }, { c1: 0, c2: 0 }],
      [{ xi: 100, zeta: 0 }, { xi: 100, zeta: 0 }, { xi: 100, zeta: 0 }, { xi: 100, zeta: 0 }],
      [0, 0, 0, 0, 0],
    );
    const res = await runAlm(TrialsBackend.of(be), tinyProblem, params({ gammaMax: 1000, feasFloor: 1e-10 }), zeroWeights(1, 1, 1));
    expect(res.history.map((i) => i.gammaNext)).toEqual([1000, 1000, 1000, 1000]);
    expect(res.history.map((i) => i.atFloor)).toEqual([false, false, true, true]);
  });

  it('holds γ at the backend\'s own rounding floor, FLOOR_ROUNDINGS unit roundoffs of ||u||', async () => {
    // Unit roundoff 1e-3 and ||u|| = 10: the floor is FLOOR_ROUNDINGS · 1e-2, far above feasFloor.
    const floor = FLOOR_ROUNDINGS * 1e-3 * 10;
    const at = (v: number) => ({ c1: v, c2: 0, uNorm: 10 });
    const script = [at(0), at(1), at(0.9 * floor), at(0.8 * floor), at(1.1 * floor), at(0)];
    const be = new ScriptedBackend(script, Array(4).fill({ xi: 1, zeta: 0 }), [0, 0, 0, 0, 0]);
    be.info = { kind: 'scripted', description: 'scripted f32-like', unitRoundoff: 1e-3 };
    const res = await runAlm(TrialsBackend.of(be), tinyProblem, params({ feasFloor: 1e-10 }), zeroWeights(1, 1, 1));
    // k=1 grows γ (1 > 0.5·0); k=2 passes the decrease test and is at the floor; k=3 fails the
    // decrease test (0.8 > 0.5·0.9) but is at the floor, so γ is held; k=4 is above it: γ grows.
    expect(res.history.map((i) => i.atFloor)).toEqual([false, true, true, false]);
    expect(res.history.map((i) => i.gammaNext)).toEqual([2, 2, 2, 4]);
    // Without a unit roundoff only feasFloor counts, and k=3 grows γ.
    const plain = new ScriptedBackend(script, Array(4).fill({ xi: 1, zeta: 0 }), [0, 0, 0, 0, 0]);
    const res2 = await runAlm(TrialsBackend.of(plain), tinyProblem, params({ feasFloor: 1e-10 }), zeroWeights(1, 1, 1));
    expect(res2.history.map((i) => i.atFloor)).toEqual([false, false, false, false]);
    expect(res2.history.map((i) => i.gammaNext)).toEqual([2, 2, 4, 8]);
  });

  it('stops at the outer cap and after an abort, keeping the last completed iterate', async () => {
    const v = { c1: 1, c2: 1 };
    const be = new ScriptedBackend(Array(6).fill(v), Array(4).fill({ xi: 0, zeta: 0 }), [0, 0, 0, 0, 0]);
    const controller = new AbortController();
    const res = await runAlm(TrialsBackend.of(be), tinyProblem, params({ inner: 6, checkEvery: 2 }), zeroWeights(1, 1, 1), {
      signal: controller.signal,
      onIteration: (it) => { if (it.k === 2) controller.abort(); },
    });
    expect(res.stopReason).toBe('stopped');
    expect(res.outerIterations).toBe(2);
  });
});

describe('patience: stopping when nothing improves', () => {
  it('counts the iterations since FeasVio or TrainErr last improved by a relative 1e-6', () => {
    const its = (pairs: [number, number][]) => pairs.map(([feasVio, trainErr]) => ({ feasVio, trainErr }) as AlmIteration);
    expect(iterationsWithoutProgress([])).toBe(0);
    expect(iterationsWithoutProgress(its([[1, 1], [0.5, 1], [0.5, 1], [0.5, 1 - 1e-9]]))).toBe(2);
    expect(iterationsWithoutProgress(its([[1, 1], [0.5, 1], [0.5, 1], [0.5, 0.9]]))).toBe(0);
    expect(iterationsWithoutProgress(its([[1, 1], [2, 2], [0.9999999, 1]]))).toBe(2);
  });

  it('stops a run whose violation and errors stand still, with stop reason no-progress', async () => {
    const v = { c1: 1, c2: 1 };
    const script = () => new ScriptedBackend(Array(12).fill(v), Array(10).fill({ xi: 0, zeta: 0 }), Array(11).fill(0));
    const res = await runAlm(TrialsBackend.of(script()), tinyProblem, params({ outer: 10 }), zeroWeights(1, 1, 1), { patience: 2 });
    expect(res.stopReason).toBe('no-progress');
    expect(res.outerIterations).toBe(3);
    const off = await runAlm(TrialsBackend.of(script()), tinyProblem, params({ outer: 10 }), zeroWeights(1, 1, 1));
    expect(off.stopReason).toBe('outer-cap');
    expect(off.outerIterations).toBe(10);
  });
});

describe('s^0', () => {
  const acts: Activation[] = [{ kind: 'relu' }, { kind: 'leaky', omega: 0.1 }, { kind: 'elu' }];
  it.each(acts)('is feasible for $kind: C1 = C2 = 0 and L(s^0) = R(s^0)', async (activation) => {
    const rng = new Rng(9);
    const T = 17, n = 4, m = 2, r = 6;
    const be = new CpuTrial();
    await be.load(
      { T, n, m, r, activation, x: rng.fillUniform(new Float64Array(T * n), -1, 1), y: rng.fillNormal(new Float64Array(T * m), 1), lambdas: lambdasFor({ tau: 1, lambda6: 1e-8 }, r, n, m), mu: 1e-7 },
      initializeWeights('he', r, n, m, rng),
    );
    const norms = await be.constraintNorms();
    expect(norms.c1).toBeLessThan(1e-13);
    expect(norms.c2).toBe(0);
  });
});

describe('a breakdown that leaves NaN behind (f32 solves do not throw)', () => {
  it('is a NumericalError naming the outer iteration, before γ becomes NaN', async () => {
    const { NumericalError } = await import('../../src/errors.ts');
    const be = new ScriptedBackend([{ c1: 0, c2: 0 }, { c1: 1, c2: 1 }, { c1: NaN, c2: 1 }], [{ xi: 1, zeta: 1 }], [0, 1]);
    const run = runAlm(TrialsBackend.of(be), tinyProblem, params({}), zeroWeights(1, 1, 1));
    await expect(run).rejects.toBeInstanceOf(NumericalError);
    await expect(run).rejects.toThrow(/^the iterate is no longer finite after the sweeps of outer iteration 2: a linear solve broke down\. The regularisation is too weak/);
    // Iteration 2 failed before its multipliers were updated.
    expect(be.calls.filter((c) => c.startsWith('multipliers'))).toEqual(['multipliers γ=1']);
  });
});
