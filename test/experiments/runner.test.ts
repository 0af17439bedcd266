// The experiment runner end to end in quick mode: the table, the JSON with every run and the
// two SVG figures are produced and well-formed; a stopped experiment keeps its finished runs
// and a resumed one ends exactly where an unbroken one does.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.ts';
import { checkResults, readResults } from '../../src/experiments/results.ts';
import { ALM_BATCH_CHECKPOINT, EXPERIMENT_FILES, prepareExperiment, runExperiment, validationProblem } from '../../src/experiments/runner.ts';
import type { ExperimentInput } from '../../src/experiments/settings.ts';
import { prepareRun } from '../../src/alm/setup.ts';
import { runAlm } from '../../src/alm/alm.ts';
import { lambdasFor } from '../../src/alm/params.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import { trainBaseline } from '../../src/baselines/train.ts';
import { checkWellFormedSvg } from './xml.ts';
import { tempDirs, timeless } from '../helpers/experiments.ts';

const tempDir = tempDirs('alm-exp-');

describe('runExperiment, quick preset', () => {
  it('writes results.json with every run, a Table 3 report and two well-formed SVG figures', async () => {
    const out = tempDir();
    const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick' });
    expect(spec.methods).toEqual(['alm', 'gd', 'gdc', 'gdnm', 'sgd', 'adam', 'alm+gd']);
    expect(spec.inits).toHaveLength(5);
    const progress: number[] = [];
    const outcome = await runExperiment(spec, { outDir: out, command: 'test', onRunDone: (_r, done) => progress.push(done) });
    expect(outcome.stopped).toBe(false);
    expect(progress).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));

    const results = readResults(join(out, EXPERIMENT_FILES.results));
    expect(results.status).toBe('complete');
    expect(results.commands).toEqual(['test']);
    expect(results.runs).toHaveLength(7 * 5 * 2);
    expect(new Set(results.runs.map((r) => r.key)).size).toBe(70);
    // Whatever order the threads finished in, the runs are listed repeat by repeat, initialisation by initialisation, method by method.
    expect(results.runs.map((r) => r.key)).toEqual([0, 1].flatMap((j) => spec.inits.flatMap((i) => spec.methods.map((m) => `${m}/${i}/${j}`))));
    // Every baseline, the ALM (its τ) and ALM + GD (its learning rate, from the ALM's τ) are selected per initialisation.
    expect(results.selections).toHaveLength(7 * 5);
    for (const s of results.selections) {
      if (s.method === 'alm+gd') {
        expect(s.tau).toBe(results.selections.find((x) => x.method === 'alm' && x.init === s.init)!.tau);
        expect(s.candidates.map((c) => c.lr)).toEqual(spec.selection.lrGrid);
        expect(s.valErr).toBe(Math.min(...s.candidates.map((c) => c.valErr ?? Infinity)));
        continue;
      }
      if (s.method === 'alm') {
        expect(s.candidates.map((c) => c.tau)).toEqual(spec.selection.almTauGrid);
        expect(spec.selection.almTauGrid).toContain(s.tau);
        const best = Math.min(...s.candidates.map((c) => c.valErr ?? Infinity));
        expect(s.valErr).toBe(best);
        continue;
      }
      expect(s.candidates).toHaveLength(s.method === 'gdc' ? 3 * 2 : 3);
      expect(spec.selection.lrGrid).toContain(s.lr);
      expect(s.clip !== undefined).toBe(s.method === 'gdc');
    }
    for (const r of results.runs) {
      expect(r.seed).toBe(spec.seed + r.repeat);
      expect(r.curve.length).toBeGreaterThan(1);
      expect(r.curve[0].step).toBe(0);
      if (r.method === 'alm+gd') {
        // The ALM's run of the same start, then GD: its errors are the polish's, its time both stages'.
        const alm = results.runs.find((x) => x.key === `alm/${r.init}/${r.repeat}`)!;
        expect(r.tau).toBe(alm.tau);
        expect(r.lr).toBe(results.selections.find((s) => s.key === `alm+gd/${r.init}`)!.lr);
        expect(r.sweeps).toBe(alm.sweeps);
        expect(r.curve.slice(0, alm.curve.length).map((p) => p.trainErr)).toEqual(alm.curve.map((p) => p.trainErr));
        if (r.stop === 'epochs') expect(r.curve.at(-1)!.step).toBe(spec.alm.outer + spec.baseline.epochs);
        expect(r.seconds).toBeGreaterThan(0);
      } else if (r.method === 'alm') {
        expect(r.tau).toBe(results.selections.find((s) => s.method === 'alm' && s.init === r.init)!.tau);
        expect(r.iterations).toBe(spec.alm.outer);
        expect(r.sweeps).toBe(spec.alm.outer * spec.alm.inner);
        expect(r.curve.slice(1).every((p) => typeof p.feasVio === 'number')).toBe(true);
      } else {
        const sel = results.selections.find((s) => s.method === r.method && s.init === r.init)!;
        expect(r.lr).toBe(sel.lr);
        expect(r.clip).toBe(sel.clip);
        if (r.stop === 'epochs') expect(r.iterations).toBe(spec.baseline.epochs);
      }
      if (r.stop !== 'diverged') {
        expect(Number.isFinite(r.trainErr)).toBe(true);
        expect(Number.isFinite(r.testErr)).toBe(true);
      }
    }
    // The final errors are those of the last curve point.
    const alm = results.runs.find((r) => r.method === 'alm')!;
    expect(alm.curve[alm.curve.length - 1].testErr).toBeCloseTo(alm.testErr!, 4);

    const report = readFileSync(join(out, EXPERIMENT_FILES.report), 'utf8');
    const table = report.split('\n').filter((l) => /^\| (ALM|GD|GDC|GDNM|SGD|Adam|ALM \+ GD|) +\| (TrainErr|TestErr) \|/.test(l));
    expect(table).toHaveLength(14);
    expect(report).toContain('| method | | He | N(0,1e-3) | N(0,1e-1) | Glorot | LeCun |');
    for (const line of table) expect(line.split('|').length).toBe(2 + 1 + 5 + 1);
    // Each column has one bold (best) TrainErr and one bold TestErr, unless tied.
    const bolds = table.join('\n').match(/\*\*/g)?.length ?? 0;
    expect(bolds).toBeGreaterThanOrEqual(2 * 2 * 5);
    expect(report).toMatch(/ALM has the lower mean TestErr in \d of 5 initialisation columns/);
    expect(report).toMatch(/ALM \+ GD has the lower mean TestErr in \d of 5 initialisation columns/);
    expect(report).toContain('## Selected hyperparameters');

    for (const file of [EXPERIMENT_FILES.fig1, EXPERIMENT_FILES.fig2]) {
      const svg = readFileSync(join(out, file), 'utf8');
      expect(checkWellFormedSvg(svg)).toBeGreaterThan(50);
      expect(svg).toContain('<path');
    }
    expect(readFileSync(join(out, EXPERIMENT_FILES.fig1), 'utf8')).toContain('FeasVio');
    const fig2 = readFileSync(join(out, EXPERIMENT_FILES.fig2), 'utf8');
    for (const label of ['TrainErr', 'TestErr', 'ALM (', 'SGD (']) expect(fig2).toContain(label);
  });

  it('keeps the finished runs when stopped, and a resumed experiment equals an unbroken one', async () => {
    const input: ExperimentInput = { dataset: 'synthetic-small', preset: 'quick', methods: ['alm', 'gdc', 'sgd'], inits: ['he', 'glorot'] };
    const { spec } = prepareExperiment(input);

    const whole = tempDir();
    await runExperiment(spec, { outDir: whole });
    const reference = readResults(join(whole, EXPERIMENT_FILES.results));

    const broken = tempDir();
    const controller = new AbortController();
    const first = await runExperiment(spec, {
      outDir: broken,
      command: 'first',
      signal: controller.signal,
      onRunDone: (_r, done) => {
        if (done === 5) controller.abort();
      },
    });
    expect(first.stopped).toBe(true);
    const partial = readResults(join(broken, EXPERIMENT_FILES.results));
    expect(partial.status).toBe('stopped');
    // The stop comes while the other thread's training is in flight: it finishes or is dropped.
    const kept = partial.runs.length;
    expect(kept === 5 || kept === 6, `${kept} runs kept`).toBe(true);
    expect(partial.selections).toHaveLength(3 * 2);
    // The partial report is written too, and says it is partial.
    expect(readFileSync(join(broken, EXPERIMENT_FILES.report), 'utf8')).toContain(`**Status: stopped** — ${kept} of 12 runs finished`);

    const seen: string[] = [];
    const second = await runExperiment(spec, { outDir: broken, resume: true, command: 'second', onRunDone: (r) => seen.push(r.key) });
    expect(second.stopped).toBe(false);
    expect(seen).toHaveLength(12 - kept);
    for (const k of partial.runs.map((r) => r.key)) expect(seen).not.toContain(k);
    const resumed = readResults(join(broken, EXPERIMENT_FILES.results));
    expect(resumed.status).toBe('complete');
    expect(resumed.commands).toEqual(['first', 'second']);
    expect(timeless(resumed)).toEqual(timeless(reference));
  });

  it('stopped during the selection, resumes the selection', async () => {
    // One thread runs the jobs in queue order (GD's grid, then GDC's), and the pool starts the next
    // job only after the caller has seen a result: the stop at GD's selection always lands before
    // GDC's grid is done. (On two threads GDC's grid could finish first on a fast machine.)
    const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick', methods: ['gd', 'gdc'], inits: ['lecun'], repeats: 1, epochs: 3000 });
    const out = tempDir();
    const controller = new AbortController();
    const first = await runExperiment(spec, { outDir: out, threads: 1, signal: controller.signal, onSelectionDone: () => controller.abort() });
    expect(first.stopped).toBe(true);
    const partial = readResults(join(out, EXPERIMENT_FILES.results));
    expect(partial.selections.map((s) => s.key)).toEqual(['gd/lecun']);
    expect(partial.runs).toHaveLength(0);
    const second = await runExperiment(spec, { outDir: out, resume: true });
    expect(second.results.selections.map((s) => s.key)).toEqual(['gd/lecun', 'gdc/lecun']);
    expect(second.results.runs).toHaveLength(2);
    const whole = await runExperiment(spec, { outDir: tempDir() });
    expect(timeless(second.results)).toEqual(timeless(whole.results));
  });

  it('ALM + GD is GD on the ALM\'s objective from the ALM run\'s end point, and the threads change no number', async () => {
    const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick', methods: ['alm', 'gd', 'alm+gd'], inits: ['he', 'lecun'], repeats: 2, epochs: 50 });
    const one = await runExperiment(spec, { outDir: tempDir(), threads: 1 });
    const two = await runExperiment(spec, { outDir: tempDir(), threads: 2 });
    expect(timeless(two.results)).toEqual(timeless(one.results));

    const { loaded } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick' });
    for (const key of ['alm+gd/he/1', 'alm+gd/lecun/0']) {
      const rec = two.results.runs.find((r) => r.key === key)!;
      const { problem, initial } = prepareRun({
        dataset: 'synthetic-small', activation: 'relu', init: rec.init, seed: rec.seed, standardize: 'whole', testHidden: 'carry', params: spec.alm,
      }, loaded);
      const params = { ...spec.alm, tau: rec.tau! };
      const alm = await runAlm(createCpuBackend(), problem, params, initial);
      const l = lambdasFor(params, problem.r, problem.series.n, problem.series.m);
      const gd = await trainBaseline({
        problem, method: 'gd', lr: rec.lr!, epochs: spec.baseline.epochs, initialWeights: alm.weights,
        lambdas: { A: l.l1, W: l.l2, V: l.l3, b: l.l4, c: l.l5 },
      });
      expect(rec.trainErr).toBe(gd.history.at(-1)!.trainErr);
      expect(rec.testErr).toBe(gd.history.at(-1)!.testErr);
      expect(two.results.runs.find((r) => r.key === key.replace('alm+gd', 'alm'))!.testErr).toBe(alm.testErr);
    }
  });

  it('a stop during the ALM batch keeps its checkpoint, and --resume goes on from it to the numbers of an unbroken run', async () => {
    const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick', methods: ['alm'], inits: ['he', 'glorot'], repeats: 2, outer: 30, inner: 20, almGrid: 'none' });
    const whole = await runExperiment(spec, { outDir: tempDir() });
    const out = tempDir();
    const controller = new AbortController();
    const first = await runExperiment(spec, {
      outDir: out, signal: controller.signal, almCheckpointSeconds: 0,
      onProgress: (p) => {
        if (p.label.startsWith('alm: one batch') && p.fraction > 0.5) controller.abort();
      },
    });
    expect(first.stopped).toBe(true);
    expect(first.results.runs).toHaveLength(0);
    const checkpoint = join(out, ALM_BATCH_CHECKPOINT.run);
    expect(existsSync(checkpoint)).toBe(true);
    const fractions: number[] = [];
    const second = await runExperiment(spec, { outDir: out, resume: true, onProgress: (p) => fractions.push(p.fraction) });
    expect(second.stopped).toBe(false);
    // It went on from the checkpoint (past half of the batch), not from the start, and removed it when done.
    expect(fractions.filter((f) => f > 0)[0]).toBeGreaterThan(0.5);
    expect(existsSync(checkpoint)).toBe(false);
    expect(timeless(second.results)).toEqual(timeless(whole.results));
    // The runs' own clocks went on from the checkpoint too (they never run backwards at the resume).
    for (const r of second.results.runs) {
      expect(r.curve.every((p, i) => i === 0 || p.seconds >= r.curve[i - 1].seconds), r.key).toBe(true);
    }
  });

  it('goes on, warning once, when the ALM batch\'s checkpoint cannot be written', async () => {
    const { spec } = prepareExperiment({ dataset: 'synthetic-small', preset: 'quick', methods: ['alm'], inits: ['he'], repeats: 2, almGrid: 'none' });
    const out = tempDir();
    mkdirSync(join(out, ALM_BATCH_CHECKPOINT.run)); // a folder where the file would go
    const warnings: string[] = [];
    const outcome = await runExperiment(spec, { outDir: out, almCheckpointSeconds: 0, onWarning: (w) => warnings.push(w) });
    expect(outcome.stopped).toBe(false);
    expect(outcome.results.runs).toHaveLength(2);
    expect(warnings[0]).toMatch(/could not checkpoint the ALM batch to .*alm-runs\.checkpoint\.json .*a stop now loses its progress/);
    expect(warnings.filter((w) => w.includes('could not checkpoint'))).toHaveLength(1);
  });

  it('refuses to resume a different experiment, and lets repeats grow', async () => {
    const base: ExperimentInput = { dataset: 'synthetic-small', preset: 'quick', methods: ['alm'], inits: ['he'], repeats: 1 };
    const out = tempDir();
    await runExperiment(prepareExperiment(base).spec, { outDir: out });
    await expect(runExperiment(prepareExperiment({ ...base, outer: 3 }).spec, { outDir: out, resume: true }))
      .rejects.toThrow(/holds a different experiment \(alm\.outer: stored 8, asked 3\)/);
    await expect(runExperiment(prepareExperiment({ ...base, outer: 3 }).spec, { outDir: out, resume: true }))
      .rejects.toBeInstanceOf(UserInputError);
    const more = await runExperiment(prepareExperiment({ ...base, repeats: 3 }).spec, { outDir: out, resume: true });
    expect(more.results.runs.map((r) => r.repeat)).toEqual([0, 1, 2]);
    expect(more.results.spec.repeats).toBe(3);
  });

  it('rejects a results file of another format', () => {
    expect(() => checkResults({ format: 'something-else' }, 'x.json')).toThrow(/field "format" must be "alm-rnn\/experiment@1"/);
    expect(() => checkResults({ format: 'alm-rnn/experiment@1', spec: {}, commands: [], selections: [], runs: [{}] }, 'x.json'))
      .toThrow(/runs\[0\] is not a run record/);
  });
});

describe('validationProblem', () => {
  it('is the training part alone, with its last V steps held out', () => {
    const { spec, loaded } = prepareExperiment({ dataset: 'sp500', preset: 'quick' });
    const { problem } = prepareRun({
      dataset: 'sp500', activation: 'relu', init: 'he', seed: 1, standardize: 'whole', testHidden: 'carry', params: spec.alm,
    }, loaded);
    expect(problem.T1).toBe(393);
    expect(spec.selection.validationSteps).toBe(39);
    const v = validationProblem(problem, spec.selection.validationSteps);
    expect(v.series.T).toBe(393);
    expect(v.T1).toBe(393 - 39);
    expect(v.series.x.length).toBe(393 * problem.series.n);
    expect(v.series.y.length).toBe(393 * problem.series.m);
    expect(Array.from(v.series.y)).toEqual(Array.from(problem.series.y.subarray(0, 393)));
  });
});
