// Selection on a validation split: the lowest validation score wins, the scores are the MSE on
// the last V training steps with the hidden state carried in, and the test part is never read.
import { describe, expect, it } from 'vitest';
import { runAlm } from '../../src/alm/alm.ts';
import { lowestScore, selectOnValidation } from '../../src/alm/selection.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import { ParameterError } from '../../src/errors.ts';
import { evaluate } from '../../src/problem/model.ts';
import { validationProblem } from '../../src/problem/validation.ts';
import { heterogeneousTrials } from '../helpers/batch.ts';

const trials = heterogeneousTrials(4, { outer: 3, inner: 4, innerStop: 'cap' });

describe('selectOnValidation', () => {
  it('scores each trial by its fit-part run on the last V steps and chooses the lowest', async () => {
    const sel = await selectOnValidation(createCpuBackend(), trials, 2);
    expect(sel.scores).toHaveLength(4);
    expect(new Set(sel.scores).size).toBe(4);
    for (const i of [0, 3]) {
      const t = trials[i];
      const fit = validationProblem(t.problem, 2);
      const alone = await runAlm(createCpuBackend(), fit, t.params, t.initial);
      expect(sel.scores[i]).toBe(evaluate(alone.weights, fit, 'carry').testErr);
    }
    expect(sel.scores[sel.chosen]).toBe(Math.min(...sel.scores));
  });

  it('never reads the test part: wrecking it changes neither the scores nor the choice', async () => {
    const before = await selectOnValidation(createCpuBackend(), trials, 2);
    const wrecked = trials.map((t) => {
      const { series, T1 } = t.problem;
      const x = series.x.slice(), y = series.y.slice();
      for (let i = T1 * series.n; i < x.length; i++) x[i] = 1e6;
      for (let i = T1 * series.m; i < y.length; i++) y[i] = NaN;
      return { ...t, problem: { ...t.problem, series: { ...series, x, y } } };
    });
    const after = await selectOnValidation(createCpuBackend(), wrecked, 2);
    expect(after.scores).toEqual(before.scores);
    expect(after.chosen).toBe(before.chosen);
  });

  it('takes the earlier trial on a tie, a finite score over a diverged one, and refuses a V that leaves < 2 steps', () => {
    expect(lowestScore([3, 1, 1, 2])).toBe(1);
    expect(lowestScore([Infinity, 5, Infinity])).toBe(1);
    expect(lowestScore([Infinity, Infinity])).toBe(0);
    return expect(selectOnValidation(createCpuBackend(), trials, trials[0].problem.T1 - 1)).rejects.toThrow(ParameterError);
  });
});
