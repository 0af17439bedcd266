// The validation split of a training part, shared by every selection (the experiments' grids
// and `alm-rnn train --select validation`): fit on the training part minus its last V steps,
// score the mean squared error on those V steps with the hidden state carried in. The test
// part is cut off, so nothing chosen this way has seen it.
import type { Problem } from './types.ts';

/** V when none is given: a tenth of the training part (1, 39 and 45 steps for the paper's data). */
export function defaultValidationSteps(T1: number): number {
  return Math.max(1, Math.round(T1 / 10));
}

/** The problem whose "training part" is the fit part and whose "test part" is the validation part (the test part cut off). */
export function validationProblem<P extends Pick<Problem, 'series' | 'T1'> & { name?: string }>(problem: P, validationSteps: number): P {
  const { series, T1 } = problem;
  const { n, m } = series;
  return {
    ...problem,
    name: `${problem.name ?? 'series'} (validation split)`,
    series: {
      ...series,
      T: T1,
      x: series.x.subarray(0, T1 * n),
      y: series.y.subarray(0, T1 * m),
      ...(series.labels ? { labels: series.labels.slice(0, T1) } : {}),
    },
    T1: T1 - validationSteps,
  };
}
