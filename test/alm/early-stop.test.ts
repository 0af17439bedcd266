// Early stopping of the ALM on the validation split (src/alm/early-stop.ts), on a problem built
// to overfit (test/helpers/overfit.ts): where it stops, which k* it chooses, and that the final
// model is exactly a plain run of k* outer iterations, whatever the test part holds.
import { describe, expect, it } from 'vitest';
import { runAlm, type AlmLoopState } from '../../src/alm/alm.ts';
import { batchCheckpointFromJson, batchCheckpointToJson } from '../../src/alm/checkpoint.ts';
import { fitEarlyStopped, finishEarlyStopped, runEarlyStopped, type AlmEarlyStop } from '../../src/alm/early-stop.ts';
import type { RunConfig } from '../../src/alm/setup.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import type { BcdState } from '../../src/backends/backend.ts';
import { resolveEarlyStopRule } from '../../src/problem/early-stop.ts';
import { validationProblem } from '../../src/problem/validation.ts';
import { expectSameRun } from '../helpers/batch.ts';
import { OVERFIT_V, overfitInitial, overfitParams, overfitProblem, wreckTestPart } from '../helpers/overfit.ts';

const problem = overfitProblem();
const params = overfitParams();
const initial = overfitInitial();
const trial = { problem, params, initial };
// 30 evaluations: warm-up 3, patience 3.
const es: AlmEarlyStop = { validationSteps: OVERFIT_V, rule: resolveEarlyStopRule(params.outer), restore: 'retrain' };

/** The validation curve of a plain run to the cap on the fit part, and its weights at each k. */
async function plainCurve() {
  const weights: Float64Array[] = [];
  const fit = await runAlm(createCpuBackend(), validationProblem(problem, OVERFIT_V), params, initial, {
    onIteration: (_it, _t, w) => weights.push(Float64Array.from([...w.W, ...w.V, ...w.b, ...w.A, ...w.c])),
  });
  return { curve: fit.history.map((it) => it.testErr), weights };
}

const flat = (w: { W: Float64Array; V: Float64Array; b: Float64Array; A: Float64Array; c: Float64Array }) => Float64Array.from([...w.W, ...w.V, ...w.b, ...w.A, ...w.c]);

describe('ALM early stopping on the validation split', async () => {
  const { curve, weights: plainWeights } = await plainCurve();
  const argmin = curve.indexOf(Math.min(...curve)) + 1;
  const unbroken = await runEarlyStopped(createCpuBackend(), [trial], es);

  it('stops `patience` evaluations after the validation minimum, chooses it, and retrains for exactly k*', async () => {
    expect(es.rule).toEqual({ patience: 3, minDelta: 1e-6, warmupEvals: 3 });
    // The problem overfits: its minimum is well before the cap, and the curve rises after it.
    expect(argmin).toBeGreaterThan(es.rule.warmupEvals);
    expect(argmin).toBeLessThan(params.outer / 3);
    const [outcome] = unbroken.outcomes;
    expect(outcome.k).toBe(argmin);
    expect(outcome.valErr).toBe(curve[argmin - 1]);
    expect(outcome.stoppedAt).toBe(argmin + es.rule.patience);
    expect(unbroken.selection.fits[0].outerIterations).toBe(outcome.stoppedAt);
    expect(unbroken.selection.fits[0].stopReason).toBe('early-stop');
    expect(unbroken.selection.scores[0]).toBe(outcome.valErr);
    const plain = await runAlm(createCpuBackend(), problem, { ...params, outer: argmin }, initial);
    expectSameRun(unbroken.finals[0], plain, 'retrained for k*');
  });

  it('does not count the warm-up: with warmupEvals 10 the same curve stops at 10 + patience', async () => {
    const late = await fitEarlyStopped(createCpuBackend(), [trial], { ...es, rule: { ...es.rule, warmupEvals: 10, patience: 2 } });
    expect(late.fits[0].loopState.earlyStop).toMatchObject({ bestK: argmin, stoppedAt: 12, evals: 12 });
  });

  it('never looks at the test part: wrecked, neither k* nor the model changes', async () => {
    const wrecked = await runEarlyStopped(createCpuBackend(), [{ ...trial, problem: wreckTestPart(problem) }], es);
    expect(wrecked.outcomes).toEqual(unbroken.outcomes);
    expect(flat(wrecked.finals[0].weights)).toEqual(flat(unbroken.finals[0].weights));
  });

  it('restore best keeps the fit run\'s iterate with the lowest validation error, without retraining', async () => {
    const best = await runEarlyStopped(createCpuBackend(), [trial], { ...es, restore: 'best' });
    expect(best.outcomes[0]).toEqual({ ...unbroken.outcomes[0], restore: 'best' });
    expect(flat(best.finals[0].weights)).toEqual(plainWeights[argmin - 1]);
    expect(best.finals[0].weights).not.toEqual(unbroken.finals[0].weights);
  });

  it('a run resumed from a checkpoint in the middle ends bit-identical to an unbroken one', async () => {
    let saved = '';
    const config = { dataset: 'overfit', activation: 'relu', init: 'normal-1e-1', seed: 3, standardize: 'none', testHidden: 'carry', params } as RunConfig;
    const save = (loops: AlmLoopState[], states: BcdState[]) => {
      // After the warm-up, with evaluations counted towards patience: the state must carry them.
      if (loops[0].k === argmin + 1) saved = batchCheckpointToJson({ trials: [{ config, initial, loop: loops[0], state: states[0] }] });
    };
    await fitEarlyStopped(createCpuBackend(), [trial], es, { onCheckpoint: save });
    const cp = batchCheckpointFromJson(saved).trials[0];
    expect(cp.loop.earlyStop).toMatchObject({ bestK: argmin, since: 1 });
    // A hand-edited state is refused, naming the field.
    const edited = saved.replace(/"since":1/, '"since":99');
    expect(() => batchCheckpointFromJson(edited, 'cp.json')).toThrow(/cp.json: trial 0: field "loop.earlyStop.since" must be an integer in \[0, \d+\] \(loop.earlyStop.evals\), got 99/);
    const resumed = await runEarlyStopped(createCpuBackend(), [{ ...trial, resume: { loop: cp.loop, state: cp.state } }], es);
    expect(resumed.outcomes).toEqual(unbroken.outcomes);
    expectSameRun(resumed.selection.fits[0], unbroken.selection.fits[0], 'fit run');
    expectSameRun(resumed.finals[0], unbroken.finals[0], 'final');
  });

  it('a grid: each trial stops on its own and equals its solo early-stopped run', async () => {
    const trials = [
      trial,
      { problem: overfitProblem(11), params: overfitParams({ tau: 0.03 }), initial: overfitInitial(5) },
      { problem: overfitProblem(12), params: overfitParams({ tau: 1 }), initial: overfitInitial(6) },
    ];
    const grid = await runEarlyStopped(createCpuBackend(), trials, es);
    expect(new Set(grid.outcomes.map((o) => o.stoppedAt)).size).toBeGreaterThan(1);
    for (let i = 0; i < trials.length; i++) {
      const solo = i === 0 ? unbroken : await runEarlyStopped(createCpuBackend(), [trials[i]], es);
      expect(grid.outcomes[i]).toEqual(solo.outcomes[0]);
      expectSameRun(grid.selection.fits[i], solo.selection.fits[0], `fit of trial ${i}`);
      expectSameRun(grid.finals[i], solo.finals[0], `final of trial ${i}`);
    }
    // The retraining of just the chosen one (selection on validation) is its solo retraining too.
    const chosen = grid.selection.chosen;
    const one = await finishEarlyStopped(createCpuBackend(), trials, grid.selection, es, {}, [chosen]);
    expectSameRun(one.finals[0], grid.finals[chosen], 'the chosen trial retrained alone');
  });
});
