// Early stopping of a baseline over epochs (trainBaselineEarlyStopped), on the problem built to
// overfit (test/helpers/overfit.ts): Adam at 0.01, scored every 10 epochs of a 600-epoch cap.
import { describe, expect, it } from 'vitest';
import { trainBaseline, trainBaselineEarlyStopped, type BaselineEarlyStop, type BaselineOptions } from '../../src/baselines/train.ts';
import { resolveEarlyStopRule } from '../../src/problem/early-stop.ts';
import type { RnnWeights } from '../../src/problem/types.ts';
import { validationProblem } from '../../src/problem/validation.ts';
import { OVERFIT_V, overfitInitial, overfitProblem, wreckTestPart } from '../helpers/overfit.ts';

const problem = overfitProblem();
const base: BaselineOptions = { problem, method: 'adam', lr: 0.01, epochs: 600, initialWeights: overfitInitial() };
const every = 10;
// 60 evaluations: warm-up 6, patience 6.
const es: BaselineEarlyStop = { validationSteps: OVERFIT_V, every, rule: resolveEarlyStopRule(base.epochs / every), restore: 'retrain' };
const flat = (w: RnnWeights) => Float64Array.from([...w.W, ...w.V, ...w.b, ...w.A, ...w.c]);
const timeless = (h: Array<{ seconds: number }>) => h.map((e) => ({ ...e, seconds: 0 }));

describe('baseline early stopping over epochs', async () => {
  const plainFit = await trainBaseline({ ...base, problem: validationProblem(problem, OVERFIT_V), evaluateEvery: every });
  const scored = plainFit.history.slice(1);
  const best = scored.reduce((a, b) => (b.testErr < a.testErr ? b : a));
  const unbroken = await trainBaselineEarlyStopped(base, es);

  it('stops `patience` evaluations after the validation minimum, chooses it, and retrains for exactly k* epochs', async () => {
    expect(es.rule).toEqual({ patience: 6, minDelta: 1e-6, warmupEvals: 6 });
    expect(best.epoch).toBeGreaterThan(es.rule.warmupEvals * every);
    expect(best.epoch).toBeLessThan(base.epochs / 3);
    expect(unbroken.outcome).toEqual({ k: best.epoch, valErr: best.testErr, stoppedAt: best.epoch + es.rule.patience * every, restore: 'retrain' });
    expect(unbroken.fit.stopped).toBe('early-stop');
    const plain = await trainBaseline({ ...base, epochs: best.epoch });
    expect(flat(unbroken.weights)).toEqual(flat(plain.weights));
    expect(timeless(unbroken.history)).toEqual(timeless(plain.history));
    expect(unbroken.stopped).toBe('epochs');
  });

  it('never looks at the test part: wrecked, neither k* nor the model changes', async () => {
    const wrecked = await trainBaselineEarlyStopped({ ...base, problem: wreckTestPart(problem) }, es);
    expect(wrecked.outcome).toEqual(unbroken.outcome);
    expect(flat(wrecked.weights)).toEqual(flat(unbroken.weights));
  });

  it('restore best keeps the fit run\'s weights at k*, without retraining', async () => {
    const kept = await trainBaselineEarlyStopped(base, { ...es, restore: 'best' });
    expect(kept.outcome).toEqual({ ...unbroken.outcome, restore: 'best' });
    const atBest = await trainBaseline({ ...base, problem: validationProblem(problem, OVERFIT_V), epochs: best.epoch });
    expect(flat(kept.weights)).toEqual(flat(atBest.weights));
  });
});
