// The paper set-ups as the engine's internals see them (a BcdProblem and its initial weights),
// for the research scripts here that drive a single trial engine or its kernels directly. The
// harness builds the same problems through the public API (sweepProblem) instead.
import { bcdProblemOf } from '../../src/alm/alm.ts';
import { paramsFor } from '../../src/alm/params.ts';
import type { BcdProblem } from '../../src/backends/backend.ts';
import { loadDataset, type LoadedDataset } from '../../src/problem/datasets.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { RnnWeights } from '../../src/problem/types.ts';
import type { PaperDataset } from '../harness/sizes.ts';

/** A paper data set standardised over the whole series (seed 1), its training part as a BcdProblem, and N(0, 0.1²) weights. */
export function paperProblem(name: PaperDataset): { data: LoadedDataset; problem: BcdProblem; initial: RnnWeights; shape: string } {
  const data = loadDataset(name, { seed: 1, standardize: 'whole' });
  const { r } = data.defaults;
  const { n, m } = data.series;
  const problem = bcdProblemOf(
    { name, series: data.series, T1: data.T1, r, activation: { kind: 'relu' }, standardization: data.standardization },
    paramsFor(name, { tau: data.defaults.tau }),
  );
  return { data, problem, initial: initializeWeights('normal-1e-1', r, n, m, new Rng(1)), shape: `r=${r} n=${n} m=${m} T=${data.T1}` };
}
