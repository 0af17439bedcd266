import { describe, expect, it } from 'vitest';
import { bpttLossAndGradient, bpttWindow, hiddenStateAt } from '../../src/baselines/bptt.ts';
import { trainBaseline, type BaselineOptions } from '../../src/baselines/train.ts';
import { ParameterError } from '../../src/errors.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { evaluate } from '../../src/problem/model.ts';
import { Rng } from '../../src/problem/rng.ts';
import { cloneWeights, type RnnWeights } from '../../src/problem/types.ts';
import { randomProblem } from './helpers.ts';

const problem = randomProblem(60, 54, 3, 2, 6, { kind: 'relu' }, 11);
const w0 = initializeWeights('glorot', 6, 3, 2, new Rng(5));
const base = { problem, initialWeights: w0, epochs: 30 } satisfies Partial<BaselineOptions>;
const KEYS = ['W', 'V', 'b', 'A', 'c'] as const;
const same = (a: RnnWeights, b: RnnWeights) => KEYS.every((k) => a[k].every((v, i) => v === b[k][i]));

describe('trainBaseline', () => {
  it('reports epoch 0 and every epoch with TrainErr/TestErr of evaluate()', async () => {
    const seen: number[] = [];
    const res = await trainBaseline({ ...base, method: 'gd', lr: 0.05, lambdas: { W: 0.01 }, onEpoch: (e) => seen.push(e.epoch) });
    expect(seen).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(res.stopped).toBe('epochs');
    const last = res.history[30];
    const errs = evaluate(res.weights, problem);
    expect(last.trainErr).toBe(errs.trainErr);
    expect(last.testErr).toBe(errs.testErr);
    let wsq = 0;
    for (const v of res.weights.W) wsq += v * v;
    expect(last.loss).toBeCloseTo(errs.trainErr + 0.01 * wsq, 14);
    expect(last.loss).toBeLessThan(res.history[0].loss);
    expect(res.history.every((h, i) => i === 0 || h.seconds >= res.history[i - 1].seconds)).toBe(true);
    expect(same(w0, initializeWeights('glorot', 6, 3, 2, new Rng(5)))).toBe(true); // initial weights untouched
  });

  it('one gd epoch is one full-batch gradient step', async () => {
    const res = await trainBaseline({ ...base, epochs: 1, method: 'gd', lr: 0.1 });
    const { grad } = bpttLossAndGradient(w0, problem.activation, problem.series.x, problem.series.y, problem.T1);
    const expected = cloneWeights(w0);
    for (const k of KEYS) expected[k].forEach((v, i) => { expected[k][i] = v - 0.1 * grad[k][i]; });
    expect(same(res.weights, expected)).toBe(true);
  });

  it('an sgd epoch takes ⌈T1/batch⌉ window steps with the exact carried-in state', async () => {
    // With one window of 54 steps every "mini-batch" is the full batch: sgd = gd.
    const full = await trainBaseline({ ...base, epochs: 3, method: 'sgd', lr: 0.1, batch: 54 });
    const gd = await trainBaseline({ ...base, epochs: 3, method: 'gd', lr: 0.1 });
    expect(same(full.weights, gd.weights)).toBe(true);
    // Two windows [0, 30) and [30, 54): replay both visiting orders by hand; the trainer took one of them.
    const replay = (order: number[]) => {
      const w = cloneWeights(w0);
      const { x, y } = problem.series;
      for (const from of order) {
        const h0 = hiddenStateAt(w, problem.activation, x, from, new Float64Array(6), new Float64Array(6));
        const { grad } = bpttWindow(w, problem.activation, x, y, from, Math.min(from + 30, 54), h0);
        for (const k of KEYS) w[k].forEach((v, i) => { w[k][i] = v - 0.1 * grad[k][i]; });
      }
      return w;
    };
    const one = await trainBaseline({ ...base, epochs: 1, method: 'sgd', lr: 0.1, batch: 30, seed: 3 });
    expect(same(one.weights, replay([0, 30])) || same(one.weights, replay([30, 0]))).toBe(true);
  });

  it('is reproducible from the seed and lowers the loss with every method', async () => {
    const specs: Partial<BaselineOptions>[] = [
      { method: 'gd', lr: 0.05 },
      { method: 'gdc', lr: 0.05, clip: 1 },
      { method: 'gdnm', lr: 0.02, momentum: 0.9 },
      { method: 'sgd', lr: 0.02, batch: 16 },
      { method: 'adam', lr: 0.01 },
      { method: 'adam', lr: 0.01, batch: 16 },
    ];
    for (const s of specs) {
      const a = await trainBaseline({ ...base, ...s } as BaselineOptions);
      expect(a.history[30].loss, s.method).toBeLessThan(0.95 * a.history[0].loss);
      const b = await trainBaseline({ ...base, ...s } as BaselineOptions);
      expect(same(a.weights, b.weights)).toBe(true);
    }
    const s1 = await trainBaseline({ ...base, method: 'sgd', lr: 0.02, batch: 16, seed: 1 });
    const s2 = await trainBaseline({ ...base, method: 'sgd', lr: 0.02, batch: 16, seed: 2 });
    expect(same(s1.weights, s2.weights)).toBe(false);
  });

  it('stops when aborted and when the loss diverges', async () => {
    const ctrl = new AbortController();
    const res = await trainBaseline({
      ...base, method: 'gd', lr: 0.01, signal: ctrl.signal,
      onEpoch: (e) => { if (e.epoch === 3) ctrl.abort(); },
    });
    expect(res.stopped).toBe('aborted');
    expect(res.history).toHaveLength(4);
    const boom = await trainBaseline({ ...base, method: 'gd', lr: 1e6, epochs: 200 });
    expect(boom.stopped).toBe('diverged');
    expect(boom.history.length).toBeLessThan(201);
  });

  it('keras-mse divides the data term by m: the gradient of TrainErr/m + the λ terms, errors still in TrainErr units', async () => {
    const m = problem.series.m;
    expect(m).toBe(2);
    // Without λ terms, GD on TrainErr/m at lr is GD on TrainErr at lr/m.
    const keras = await trainBaseline({ ...base, method: 'gd', lr: 0.05, loss: 'keras-mse' });
    const sum = await trainBaseline({ ...base, method: 'gd', lr: 0.05 / m });
    for (const k of KEYS) keras.weights[k].forEach((v, i) => expect(v).toBeCloseTo(sum.weights[k][i], 13));
    expect(keras.history[30].trainErr).toBe(evaluate(keras.weights, problem).trainErr);
    // With λ terms, one step follows ∇(TrainErr/m) + ∇(λR), by the exact gradient of bptt.ts.
    const lambdas = { W: 0.02, A: 0.01 };
    const one = await trainBaseline({ ...base, method: 'gd', lr: 0.1, epochs: 1, lambdas, loss: 'keras-mse' });
    const data = bpttLossAndGradient(w0, problem.activation, problem.series.x, problem.series.y, problem.T1);
    const expected = cloneWeights(w0);
    for (const k of KEYS) {
      const lam = (lambdas as Record<string, number>)[k] ?? 0;
      expected[k].forEach((v, i) => { expected[k][i] = v - 0.1 * (data.grad[k][i] / m + 2 * lam * w0[k][i]); });
    }
    for (const k of KEYS) one.weights[k].forEach((v, i) => expect(v).toBeCloseTo(expected[k][i], 14));
    let reg = 0;
    for (const v of one.weights.W) reg += 0.02 * v * v;
    for (const v of one.weights.A) reg += 0.01 * v * v;
    expect(one.history[1].loss).toBeCloseTo(evaluate(one.weights, problem).trainErr / m + reg, 14);
    // At m = 1 the two losses are the same run, bit for bit.
    const single = randomProblem(40, 36, 3, 1, 5, { kind: 'relu' }, 4);
    const w1 = initializeWeights('he', 5, 3, 1, new Rng(2));
    const a = await trainBaseline({ problem: single, initialWeights: w1, epochs: 20, method: 'adam', lr: 0.01, lambdas: { V: 0.1 }, loss: 'keras-mse' });
    const b = await trainBaseline({ problem: single, initialWeights: w1, epochs: 20, method: 'adam', lr: 0.01, lambdas: { V: 0.1 } });
    expect(same(a.weights, b.weights)).toBe(true);
  });

  it('evaluateEvery k reports every k-th epoch and the last, trains the same weights, and still stops a diverging run', async () => {
    const every = await trainBaseline({ ...base, method: 'sgd', lr: 0.05, batch: 10, seed: 3, evaluateEvery: 7 });
    const all = await trainBaseline({ ...base, method: 'sgd', lr: 0.05, batch: 10, seed: 3 });
    expect(every.history.map((h) => h.epoch)).toEqual([0, 7, 14, 21, 28, 30]);
    expect(same(every.weights, all.weights)).toBe(true);
    expect(every.history.at(-1)!.trainErr).toBe(all.history.at(-1)!.trainErr);
    const boom = await trainBaseline({ ...base, method: 'gd', lr: 1e6, epochs: 200, evaluateEvery: 100 });
    expect(boom.stopped).toBe('diverged');
    expect(boom.history.at(-1)!.epoch).toBeLessThan(100);
    await expect(trainBaseline({ ...base, method: 'gd', lr: 0.1, evaluateEvery: 0 })).rejects.toThrow(/evaluateEvery = 0 is out of range/);
    await expect(trainBaseline({ ...base, method: 'gd', lr: 0.1, loss: 'mean' as never })).rejects.toThrow(/loss/);
  });

  it('validates its options', async () => {
    await expect(trainBaseline({ ...base, method: 'gd', lr: 0.1, batch: 8 })).rejects.toThrow(ParameterError);
    await expect(trainBaseline({ ...base, method: 'gdc', lr: 0.1 })).rejects.toThrow(/clip/);
    await expect(trainBaseline({ ...base, method: 'sgd', lr: 0.1, batch: 0 })).rejects.toThrow(/batch/);
    await expect(trainBaseline({ ...base, method: 'adam', lr: -1 })).rejects.toThrow(/lr/);
    await expect(trainBaseline({ ...base, method: 'gd', lr: 0.1, lambdas: { A: -1 } })).rejects.toThrow(/lambdas.A/);
    await expect(trainBaseline({ ...base, method: 'gd', lr: 0.1, initialWeights: initializeWeights('he', 5, 3, 2, new Rng(1)) }))
      .rejects.toThrow(/initialWeights/);
  });
});
