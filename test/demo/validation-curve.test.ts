// The page's k* on a validation curve while a run goes on (demo/src/validation-curve.ts) is the
// engine's: the k recordEvaluation keeps, on curves with ties, non-finite scores and none finite.
import { describe, expect, it } from 'vitest';
import { argminValidation } from '../../demo/src/validation-curve.ts';
import { initialEarlyStop, recordEvaluation, resolveEarlyStopRule } from '../../src/problem/early-stop.ts';
import { zeroWeights } from '../../src/problem/types.ts';

/** k* as the engine finds it, as an index into the curve (-1: none). */
function engineIndex(scores: number[]): number {
  const rule = resolveEarlyStopRule(1000);
  let state = initialEarlyStop();
  scores.forEach((v, i) => { state = recordEvaluation(state, i + 1, v, zeroWeights(1, 1, 1), rule); });
  return state.bestK - 1;
}

describe('argminValidation', () => {
  const curves: number[][] = [
    [3, 2, 1, 2, 3],
    [1, 2, 1, 0.5, 0.5, 0.7],
    [NaN, Infinity, 4, NaN, 2, 2],
    [5, 4, 4 * (1 - 1e-9), 6],
    [NaN, Infinity],
    [],
  ];
  for (const curve of curves) {
    it(`finds the engine's k* on [${curve.join(', ')}]`, () => {
      expect(argminValidation(curve)).toBe(engineIndex(curve));
    });
  }
  it('keeps the earlier of two equal scores, and skips non-finite ones', () => {
    expect(argminValidation([2, 1, 1])).toBe(1);
    expect(argminValidation([NaN, 3])).toBe(1);
    expect(argminValidation([Infinity, NaN])).toBe(-1);
  });
});
