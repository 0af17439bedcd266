// Loads the vendored golden states (test/fixtures/golden: an independent float64 implementation).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BcdProblem, BcdState } from '../../src/backends/backend.ts';
import type { RnnWeights } from '../../src/problem/types.ts';

const GOLDEN_PATH = fileURLToPath(new URL('../fixtures/golden/alm_golden_T20.json', import.meta.url));

/** One stored state of the golden file. */
export interface GoldenState {
  W: number[][]; V: number[][]; b: number[]; A: number[][]; c: number[];
  h: number[][]; u: number[][]; xi: number[][]; zeta: number[][];
  gamma: number; TrainErr: number; TestErr: number; FeasVio: number;
  C1norm: number; C2norm: number; AL: number; eps?: number;
}

/** The golden file's contents. */
export interface Golden {
  sizes: { T: number; T1: number; n: number; m: number; r: number };
  params: { gamma0: number; eps0: number; Gamma: number; mu: number; tau: number; eta1: number; eta2: number; eta3: number; eta4: number };
  lambdas: { l1: number; l2: number; l3: number; l4: number; l5: number; l6: number };
  data: { X: number[][]; Y: number[][] };
  init: GoldenState; bcd_1: GoldenState; bcd_5: GoldenState; alm_3x5: GoldenState;
  alm_3x5_history: { k: number; FeasVio: number; TrainErr: number; TestErr: number; gamma: number; eps: number; inner: number; warm: boolean | null }[];
}

/** Reads the golden file. */
export function loadGolden(): Golden {
  return JSON.parse(readFileSync(GOLDEN_PATH, 'utf8')) as Golden;
}

/** Row-major flattening of a nested array. */
export function flat(rows: number[][] | number[]): Float64Array {
  return Float64Array.from((rows as (number | number[])[]).flat() as number[]);
}

/** The golden initial weights. */
export function goldenWeights(s: GoldenState, sizes: Golden['sizes']): RnnWeights {
  return { r: sizes.r, n: sizes.n, m: sizes.m, W: flat(s.W), V: flat(s.V), b: flat(s.b), A: flat(s.A), c: flat(s.c) };
}

/** The golden training problem as a backend sees it (first T1 steps, ReLU). */
export function goldenProblem(g: Golden): BcdProblem {
  const { T1, n, m, r } = g.sizes;
  return {
    T: T1, n, m, r,
    x: flat(g.data.X.slice(0, T1)),
    y: flat(g.data.Y.slice(0, T1)),
    activation: { kind: 'relu' },
    lambdas: { ...g.lambdas },
    mu: g.params.mu,
  };
}

/** A golden state in the backend's BcdState form. */
export function goldenState(s: GoldenState, sizes: Golden['sizes']): BcdState {
  return { weights: goldenWeights(s, sizes), h: flat(s.h), u: flat(s.u), xi: flat(s.xi), zeta: flat(s.zeta) };
}
