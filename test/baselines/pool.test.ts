// The baseline pool: trainings on worker threads are the trainings of this thread, bit for bit,
// whatever the thread count; a stop reaches the training in flight and those still queued;
// a user error thrown in a worker keeps its class.
import { afterAll, describe, expect, it } from 'vitest';
import { BaselinePool, type BaselineJob } from '../../src/baselines/pool.ts';
import { trainBaseline } from '../../src/baselines/train.ts';
import { ParameterError } from '../../src/errors.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import { randomProblem } from './helpers.ts';

const problem = randomProblem(80, 72, 4, 2, 6, { kind: 'relu' }, 3);
const job = (over: Partial<BaselineJob>): BaselineJob => ({
  problem, method: 'gd', lr: 0.02, epochs: 40, initialWeights: initializeWeights('lecun', 6, 4, 2, new Rng(9)), seed: 1, ...over,
});
const pools: BaselinePool[] = [];
afterAll(() => {
  for (const p of pools) p.dispose();
});

describe('BaselinePool', () => {
  it('gives every training exactly what trainBaseline gives in this thread, on 1 and 2 threads', async () => {
    const jobs = [
      job({}), job({ method: 'sgd', batch: 9, seed: 4 }), job({ method: 'adam', lr: 0.01, lambdas: { W: 0.01 } }),
      job({ method: 'gdnm', momentum: 0.8, loss: 'keras-mse' }), job({ method: 'gdc', clip: 0.5, evaluateEvery: 6 }),
    ];
    const alone = await Promise.all(jobs.map((j) => trainBaseline(j)));
    for (const threads of [1, 2]) {
      const pool = new BaselinePool(threads);
      pools.push(pool);
      const epochs: number[] = [];
      const pooled = await Promise.all(jobs.map((j, i) => pool.run(j, i === 0 ? { onEpoch: (e) => epochs.push(e) } : {})));
      pooled.forEach((p, i) => {
        expect(p.stopped).toBe(alone[i].stopped);
        expect(p.weights).toEqual(alone[i].weights);
        expect(p.history.map(({ seconds: _s, ...h }) => h)).toEqual(alone[i].history.map(({ seconds: _s, ...h }) => h));
      });
      expect(epochs.every((e, i) => e >= 0 && e <= 40 && (i === 0 || e > epochs[i - 1]))).toBe(true);
    }
  });

  it('stops the training in flight and the queued ones when aborted', async () => {
    const pool = new BaselinePool(1);
    pools.push(pool);
    const controller = new AbortController();
    const long = job({ epochs: 1_000_000 });
    const runs = [pool.run(long, { signal: controller.signal, onEpoch: () => controller.abort() }), pool.run(long, { signal: controller.signal })];
    const [first, second] = await Promise.all(runs);
    expect(first.stopped).toBe('aborted');
    expect(first.history.at(-1)!.epoch).toBeLessThan(1_000_000);
    expect(second).toMatchObject({ stopped: 'aborted', history: [] });
    // The pool goes on with the next job.
    expect((await pool.run(job({ epochs: 3 }))).stopped).toBe('epochs');
  });

  it('rejects a bad job with the error trainBaseline throws, class and message', async () => {
    const pool = new BaselinePool(1);
    pools.push(pool);
    const bad = pool.run(job({ method: 'gdc' }));
    await expect(bad).rejects.toBeInstanceOf(ParameterError);
    await expect(pool.run(job({ method: 'gdc' }))).rejects.toThrow(/clip/);
  });
});
