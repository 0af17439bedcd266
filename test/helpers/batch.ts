// A heterogeneous batch of ALM trials for batch-versus-solo tests: different data (synthetic
// seeds), initialisations and τ, with one trial that restarts from s^0 under the Γ rule, one
// whose certificate stops its inner loop early, and one held at the violation floor.
import { expect } from 'vitest';
import type { AlmResult, AlmTrial } from '../../src/alm/alm.ts';
import { paramsFor, type AlmParams } from '../../src/alm/params.ts';
import { prepareRun, type RunConfig } from '../../src/alm/setup.ts';
import { loadDataset } from '../../src/problem/datasets.ts';
import type { Initializer } from '../../src/problem/init.ts';

/** What makes each trial of the heterogeneous batch different (beyond seed, init and τ). */
export const SPECIAL = { restarts: 1, certificateStops: 2, atFloor: 3 } as const;

/** B trials of synthetic-small (T1 = 9, r = 4) under the certificate rule, `inner` sweeps checked every 2. */
export function heterogeneousTrials(B = 4, caps: Partial<AlmParams> = {}): Array<AlmTrial & { config: RunConfig }> {
  const inits: Initializer[] = ['he', 'lecun', 'normal-1e-1', 'glorot', 'normal-1e-3'];
  const taus = [1, 0.3, 3, 1, 10];
  return Array.from({ length: B }, (_, i) => {
    const seed = i + 1;
    const base = paramsFor('synthetic-small', { tau: taus[i % taus.length] });
    const special: Partial<AlmParams> =
      i === SPECIAL.restarts ? { Gamma: 1e-9 } // L(s^{k−1}) > Γ always: restart from s^0 at every k > 1
        : i === SPECIAL.certificateStops ? { eps0: 1e6 } // the certificate fires at the first check
          : i === SPECIAL.atFloor ? { feasFloor: 1e6 } // every violation counts as zero: γ held
            : {};
    const params: AlmParams = { ...base, outer: 4, inner: 6, checkEvery: 2, innerStop: 'certificate', ...special, ...caps };
    const config: RunConfig = {
      dataset: 'synthetic-small', activation: 'relu', init: inits[i % inits.length], seed,
      standardize: 'whole', testHidden: 'carry', params,
    };
    const { problem, initial } = prepareRun(config, loadDataset('synthetic-small', { seed, standardize: 'whole' }));
    return { problem, params, initial, config };
  });
}

/** A result without its clocks, wall and own (the only things a batch may change). */
function timeless(r: AlmResult): unknown {
  const strip = <T extends { seconds: number; ownSeconds?: number }>({ ownSeconds: _own, ...x }: T) => ({ ...x, seconds: 0 });
  return { ...strip(r), history: r.history.map(strip), loopState: { ...r.loopState, seconds: 0, history: r.loopState.history.map(strip) } };
}

/** Asserts that two results are the same run, bit for bit (times aside). */
export function expectSameRun(actual: AlmResult, expected: AlmResult, label: string): void {
  expect(timeless(actual), label).toEqual(timeless(expected));
}

/** Asserts that the special trials did what they are there for, so a batch test cannot pass vacuously. */
export function expectSpecialBehaviour(results: AlmResult[], inner: number): void {
  const r = results[SPECIAL.restarts];
  if (r) expect(r.history.slice(1).every((it) => !it.warm), 'trial 1 restarts from s^0').toBe(true);
  const c = results[SPECIAL.certificateStops];
  if (c) expect(c.history.every((it) => it.sweeps < inner), 'trial 2 stops its inner loops early').toBe(true);
  const f = results[SPECIAL.atFloor];
  if (f) expect(f.history.every((it) => it.atFloor && it.gammaNext === it.gamma), 'trial 3 is held at the floor').toBe(true);
  const plain = results[0];
  expect(plain.history.some((it) => it.sweeps === inner), 'trial 0 runs full inner loops').toBe(true);
}
