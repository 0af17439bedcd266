// The early-stopping rule alone (src/problem/early-stop.ts), on curves written out by hand.
import { describe, expect, it } from 'vitest';
import { defaultEvaluationInterval, initialEarlyStop, recordEvaluation, resolveEarlyStopRule, type EarlyStopRule } from '../../src/problem/early-stop.ts';
import { zeroWeights } from '../../src/problem/types.ts';

const w = zeroWeights(1, 1, 1);

/** Feeds the curve (evaluation i at count i + 1) until the rule stops; returns the final state. */
function run(curve: number[], rule: EarlyStopRule) {
  let s = initialEarlyStop();
  for (let i = 0; i < curve.length && s.stoppedAt === undefined; i++) s = recordEvaluation(s, i + 1, curve[i], w, rule);
  return s;
}

describe('the early-stopping rule', () => {
  it('defaults: warm-up and patience a tenth of the cap\'s evaluations, min-delta 1e-6, E for ~500 evaluations', () => {
    expect(resolveEarlyStopRule(200)).toEqual({ patience: 20, minDelta: 1e-6, warmupEvals: 20 });
    expect(resolveEarlyStopRule(4)).toEqual({ patience: 1, minDelta: 1e-6, warmupEvals: 0 });
    expect(resolveEarlyStopRule(200, { patience: 5, warmupEvals: 0 })).toEqual({ patience: 5, minDelta: 1e-6, warmupEvals: 0 });
    expect(defaultEvaluationInterval(5000)).toBe(10);
    expect(defaultEvaluationInterval(100)).toBe(1);
  });

  it('a curve that rises for its first evaluations (GD on sp500) is not stopped before the warm-up ends', () => {
    const curve = [1, 2, 3, 4, 5, 6, 0.5, 0.4, 0.3, 0.35, 0.36, 0.37, 0.38];
    // Without a warm-up, patience 2 stops it at the third evaluation, with k* = 1.
    expect(run(curve, { patience: 2, minDelta: 1e-6, warmupEvals: 0 })).toMatchObject({ stoppedAt: 3, bestK: 1 });
    const s = run(curve, { patience: 2, minDelta: 1e-6, warmupEvals: 6 });
    expect(s).toMatchObject({ stoppedAt: 11, bestK: 9, bestErr: 0.3 });
  });

  it('an early dip inside the warm-up is kept as k* only if nothing later beats it', () => {
    expect(run([1, 0.1, 1, 1, 1, 1, 1], { patience: 2, minDelta: 0, warmupEvals: 3 })).toMatchObject({ stoppedAt: 5, bestK: 2 });
    expect(run([1, 0.1, 1, 0.05, 1, 1, 1], { patience: 2, minDelta: 0, warmupEvals: 3 })).toMatchObject({ stoppedAt: 6, bestK: 4 });
  });

  it('improvements smaller than min-delta do not reset patience, yet k* is the argmin; non-finite scores never improve', () => {
    const s = run([1, 0.9999, 0.9998, NaN, 2], { patience: 3, minDelta: 0.01, warmupEvals: 0 });
    expect(s).toMatchObject({ stoppedAt: 4, bestK: 3, bestErr: 0.9998 });
    expect(run([NaN, Infinity], { patience: 5, minDelta: 0, warmupEvals: 0 })).toMatchObject({ bestK: 0, bestErr: Infinity, evals: 2 });
  });
});
