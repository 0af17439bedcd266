// Small random problems for the baseline tests.
import { Rng } from '../../src/problem/rng.ts';
import type { Activation, Problem, RnnWeights, Series } from '../../src/problem/types.ts';
import { zeroWeights } from '../../src/problem/types.ts';

/** A random series of T steps (inputs U(−1, 1), targets N(0, 1)). */
export function randomSeries(T: number, n: number, m: number, seed: number): Series {
  const rng = new Rng(seed);
  const x = rng.fillUniform(new Float64Array(T * n), -1, 1);
  const y = rng.fillNormal(new Float64Array(T * m), 1);
  return {
    T, n, m, x, y,
    inputNames: Array.from({ length: n }, (_, i) => `x${i}`),
    targetNames: Array.from({ length: m }, (_, i) => `y${i}`),
  };
}

/** Random weights with every entry (biases too) drawn N(0, std). */
export function randomWeights(r: number, n: number, m: number, std: number, seed: number): RnnWeights {
  const rng = new Rng(seed);
  const w = zeroWeights(r, n, m);
  for (const a of [w.W, w.V, w.b, w.A, w.c]) rng.fillNormal(a, std);
  return w;
}

/** A Problem over a random series. */
export function randomProblem(T: number, T1: number, n: number, m: number, r: number, activation: Activation, seed: number): Problem {
  return { series: randomSeries(T, n, m, seed), T1, r, activation, name: `random-${seed}` };
}
