// The ALM loop over a batch: every trial of a heterogeneous batch ends exactly as it does alone
// (the loop freezes trials that are done), on the CPU in this thread and over worker threads;
// a batch stopped and resumed from its checkpoint ends as one never stopped.
import { describe, expect, it } from 'vitest';
import { runAlm, runAlmBatch, type AlmLoopState, type AlmResult } from '../../src/alm/alm.ts';
import { batchCheckpointFromJson, batchCheckpointToJson } from '../../src/alm/checkpoint.ts';
import { lambdasFor } from '../../src/alm/params.ts';
import type { BcdBackend, BcdState } from '../../src/backends/backend.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import { CpuPoolBackend } from '../../src/backends/cpu/pool.ts';
import { expectSameRun, expectSpecialBehaviour, heterogeneousTrials } from '../helpers/batch.ts';

const trials = heterogeneousTrials(5);
const solo: AlmResult[] = [];

async function runBatch(backend: BcdBackend, batch = trials): Promise<AlmResult[]> {
  try {
    return await runAlmBatch(backend, batch);
  } finally {
    backend.dispose();
  }
}

describe('a trial in a batch ends exactly as it does alone (CPU, float64)', () => {
  it('solo runs show each special behaviour (restart, early certificate stop, floor)', async () => {
    for (const t of trials) solo.push(await runAlm(createCpuBackend(), t.problem, t.params, t.initial));
    expectSpecialBehaviour(solo, 6);
  });

  it.each([
    ['in this thread', () => createCpuBackend()],
    ['over 2 worker threads', () => new CpuPoolBackend(2)],
    ['over 3 worker threads (blocks of 2, 2, 1)', () => new CpuPoolBackend(3)],
  ])('%s: every trial bit-identical to its solo run', async (_label, make) => {
    const results = await runBatch(make());
    results.forEach((r, i) => expectSameRun(r, solo[i], `trial ${i}`));
  });

  it.each([1, 2, 3])('batch of the first %i trial(s) over 2 threads', async (B) => {
    const results = await runBatch(new CpuPoolBackend(2), trials.slice(0, B));
    results.forEach((r, i) => expectSameRun(r, solo[i], `trial ${i} of ${B}`));
  });

  it('64 trials over 2 threads: every one as alone', async () => {
    const many = heterogeneousTrials(64, { outer: 2 });
    const results = await runBatch(new CpuPoolBackend(2), many);
    for (const i of [0, 1, 2, 3, 17, 63]) {
      const alone = await runAlm(createCpuBackend(), many[i].problem, many[i].params, many[i].initial);
      expectSameRun(results[i], alone, `trial ${i} of 64`);
    }
  });

  it('refuses trials that differ in a shared cap or in shape', async () => {
    const bad = [trials[0], { ...trials[1], params: { ...trials[1].params, inner: 7 } }];
    await expect(runAlmBatch(createCpuBackend(), bad)).rejects.toThrow(/share outer, inner, checkEvery, innerStop/);
  });

  it('a batch stopped and resumed from its checkpoint ends bit-identical to an unbroken batch', async () => {
    const whole = await runBatch(new CpuPoolBackend(2));
    let saved = '';
    const controller = new AbortController();
    const first = await runAlmBatch(new CpuPoolBackend(2), trials, {
      signal: controller.signal,
      onCheckpoint: (loops: AlmLoopState[], states: BcdState[]) => {
        saved = batchCheckpointToJson({ trials: trials.map((t, i) => ({ config: t.config, initial: t.initial, loop: loops[i], state: states[i] })) });
        if (loops[0].k === 2) controller.abort();
      },
    });
    expect(first.every((r) => r.stopReason === 'stopped' && r.outerIterations === 2)).toBe(true);
    const cp = batchCheckpointFromJson(saved);
    const resumed = await runBatch(new CpuPoolBackend(2), trials.map((t, i) => ({ ...t, resume: { loop: cp.trials[i].loop, state: cp.trials[i].state } })));
    resumed.forEach((r, i) => expectSameRun(r, whole[i], `trial ${i}`));
  });

  it('a trial whose linear algebra breaks down ends alone (failed, keeping its last completed iterate); the others go on as alone', async () => {
    // τ this small leaves γPPᵀ + 2Λ_w numerically singular once γ has grown (K = r+n+1 = 10 > T1 = 9).
    const base = heterogeneousTrials(4, { outer: 16, inner: 5, checkEvery: 5, innerStop: 'cap' });
    const batch = base.map((t, i) => (i === 2 ? { ...t, params: { ...t.params, tau: 1e-15, eta2: 0.5 } } : t));
    const results = await runBatch(new CpuPoolBackend(2), batch);
    const failed = results[2];
    expect(failed.stopReason).toBe('failed');
    expect(failed.loopState.failure?.message).toMatch(/is not positive definite .* raise τ/);
    expect(failed.outerIterations).toBeGreaterThan(1);
    expect(failed.outerIterations).toBeLessThan(16);
    // Its weights are those of its last completed iterate: the same run alone, stopped there.
    const upTo = await runAlm(createCpuBackend(), batch[2].problem, { ...batch[2].params, outer: failed.outerIterations }, batch[2].initial);
    expect(failed.weights).toEqual(upTo.weights);
    await expect(runAlm(createCpuBackend(), batch[2].problem, batch[2].params, batch[2].initial)).rejects.toThrow(/not positive definite/);
    for (const i of [0, 1, 3]) {
      const alone = await runAlm(createCpuBackend(), batch[i].problem, batch[i].params, batch[i].initial);
      expectSameRun(results[i], alone, `trial ${i}`);
    }
  });

  it('a batch stopped inside an outer iteration keeps every trial\'s last completed iterate', async () => {
    const controller = new AbortController();
    const stopped = await runAlmBatch(createCpuBackend(), trials, {
      signal: controller.signal,
      onSweeps: (k, done) => { if (k === 3 && done === 2) controller.abort(); },
    });
    const upTo2 = await runBatch(createCpuBackend(), trials.map((t) => ({ ...t, params: { ...t.params, outer: 2 } })));
    stopped.forEach((r, i) => {
      expect(r.stopReason, `trial ${i}`).toBe('stopped');
      expect(r.outerIterations).toBe(2);
      expect(r.weights, `trial ${i}`).toEqual(upTo2[i].weights);
      expect(r.trainErr).toBe(upTo2[i].trainErr);
    });
  });
});

describe('each trial\'s own seconds (BcdBackend.trialSeconds)', () => {
  it.each([
    ['in this thread', () => createCpuBackend()],
    ['over 2 worker threads', () => new CpuPoolBackend(2)],
  ])('%s: every iteration has the trial\'s own clock, rising, within the batch\'s; a frozen trial\'s stops', async (_label, make) => {
    // Trial 1 stops early on its certificate (see expectSpecialBehaviour): from then on its clock stands still.
    const results = await runBatch(make());
    for (const r of results) {
      const own = r.history.map((it) => it.ownSeconds!);
      expect(own.every((s, i) => s > 0 && (i === 0 || s >= own[i - 1]))).toBe(true);
      expect(r.ownSeconds).toBeGreaterThanOrEqual(own.at(-1)!);
      expect(r.ownSeconds).toBeLessThanOrEqual(r.seconds);
    }
    // The trials share the batch's wall clock but not their own: together they took about the batch's time (in this thread) or less than 2× it (2 threads).
    const total = results.reduce((s, r) => s + r.ownSeconds!, 0);
    expect(total).toBeLessThanOrEqual(results[0].seconds * 2.05);
  });

  it.each([
    ['in this thread', () => createCpuBackend()],
    ['over 2 worker threads', () => new CpuPoolBackend(2)],
  ])('%s: a frozen trial\'s clock stands still while the others sweep', async (_label, make) => {
    const backend = make();
    try {
      const two = trials.slice(0, 2);
      await backend.load(two.map((t) => ({
        T: t.problem.T1, n: t.problem.series.n, m: t.problem.series.m, r: t.problem.r, activation: t.problem.activation,
        x: t.problem.series.x.subarray(0, t.problem.T1 * t.problem.series.n), y: t.problem.series.y.subarray(0, t.problem.T1 * t.problem.series.m),
        lambdas: lambdasFor(t.params, t.problem.r, t.problem.series.n, t.problem.series.m), mu: t.params.mu,
      })), two.map((t) => t.initial));
      expect(Array.from(await backend.trialSeconds!())).toEqual([0, 0]);
      await backend.sweep(20, [1, 1], [true, false]);
      const after = await backend.trialSeconds!();
      expect(after[0]).toBeGreaterThan(0);
      expect(after[1]).toBe(0);
    } finally {
      backend.dispose();
    }
  });
});
