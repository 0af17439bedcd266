// A problem built to overfit, for the early-stopping tests: a noisy sine (T = 50, the last 10
// steps the test part), 16 hidden units for 40 training steps, τ = 0.1. On its validation split
// (the last 5 training steps) the ALM's validation error falls to its minimum at outer
// iteration 5 and then rises every iteration to the cap of 30, while TrainErr keeps falling.
import { paramsFor, type AlmParams } from '../../src/alm/params.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { Problem, RnnWeights } from '../../src/problem/types.ts';

/** The held-out validation steps of the overfitting problem. */
export const OVERFIT_V = 5;

/** The noisy-sine problem (noise seed `seed`). */
export function overfitProblem(seed = 7): Problem {
  const rng = new Rng(seed);
  const T = 50;
  const x = new Float64Array(T), y = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    x[t] = Math.sin(t / 3) + 0.5 * rng.normal();
    y[t] = Math.sin((t + 1) / 3) + 0.5 * rng.normal();
  }
  return {
    name: 'overfit',
    series: { T, n: 1, m: 1, x, y, inputNames: ['x'], targetNames: ['y'] },
    T1: T - 10, r: 16, activation: { kind: 'relu' },
  };
}

/** The ALM's parameters for it: 30 outer iterations of 50 sweeps. */
export function overfitParams(caps: Partial<AlmParams> = {}): AlmParams {
  return { ...paramsFor('synthetic-small', { tau: 0.1 }), outer: 30, inner: 50, checkEvery: 50, innerStop: 'cap', ...caps };
}

/** Initial weights N(0, 1e-1) from `seed`. */
export function overfitInitial(seed = 3, r = 16): RnnWeights {
  return initializeWeights('normal-1e-1', r, 1, 1, new Rng(seed));
}

/** The problem with its test part wrecked (huge inputs, NaN targets): what never looks at it is unchanged. */
export function wreckTestPart(problem: Problem): Problem {
  const { series, T1 } = problem;
  const x = series.x.slice(), y = series.y.slice();
  for (let i = T1 * series.n; i < x.length; i++) x[i] = 1e6;
  for (let i = T1 * series.m; i < y.length; i++) y[i] = NaN;
  return { ...problem, series: { ...series, x, y } };
}
