// The public API from the TypeScript source (the package tests in test/package/ run the same
// API from the packed tarball): results equal the engine's internal path bit for bit, every
// plausible misuse is one OptionError naming the option, and runs can be iterated, paused,
// stopped, checkpointed and resumed.
import { describe, expect, it } from 'vitest';
import { runAlm } from '../../src/alm/alm.ts';
import { paramsFor } from '../../src/alm/params.ts';
import { initSeed } from '../../src/alm/setup.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import { trainBaseline as trainBaselineInternal } from '../../src/baselines/train.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import { splitPoint, standardize } from '../../src/problem/standardize.ts';
import type { Problem } from '../../src/problem/types.ts';
import { DataError, Model, NonFinitePredictionError, NumericalError, OptionError, train, trainBaseline, trainGrid, type TrainOptions } from '../../src/index.node.ts';
import { loadDataset, readCsv, syntheticDataset } from '../../src/datasets.ts';

/** A small series: T steps of two inputs and one target, values exact in float32. */
function series(T = 40): { inputs: number[][]; targets: number[][] } {
  const inputs: number[][] = [], targets: number[][] = [];
  for (let t = 0; t < T; t++) {
    const a = Math.fround(Math.sin(t / 5)), b = Math.fround(Math.cos(t / 7));
    inputs.push([a, b]);
    targets.push([Math.fround(0.5 * a - 0.2 * b + 0.1 * Math.sin(t / 3))]);
  }
  return { inputs, targets };
}

const DATA = series();
const BASE: TrainOptions = { ...DATA, hidden: 4, params: { outer: 4, inner: 5 }, backend: 'cpu', workers: 0 };

/** The Problem and initial weights the API builds for BASE, made by hand from the engine's parts. */
function internalProblem(seed = 1): { problem: Problem; initial: ReturnType<typeof initializeWeights> } {
  const T = DATA.inputs.length;
  const x = Float64Array.from(DATA.inputs.flat()), y = Float64Array.from(DATA.targets.flat());
  const T1 = splitPoint(T, 0.9);
  const raw = { T, n: 2, m: 1, x, y, inputNames: ['x1', 'x2'], targetNames: ['y1'] };
  const { series: s, standardization } = standardize(raw, { mode: 'whole', T1, columns: 'all' });
  const problem: Problem = { name: 'arrays', series: s, T1, r: 4, activation: { kind: 'relu' }, standardization };
  return { problem, initial: initializeWeights('normal-1e-1', 4, 2, 1, new Rng(initSeed(seed))) };
}

describe('train()', () => {
  it('computes what the engine computes: runAlm on the same problem, bit for bit', async () => {
    const result = await train(BASE);
    const { problem, initial } = internalProblem();
    const backend = createCpuBackend();
    const internal = await runAlm(backend, problem, paramsFor(undefined, { overrides: { outer: 4, inner: 5 } }), initial);
    backend.dispose();
    expect(result.trainErr).toBe(internal.trainErr);
    expect(result.testErr).toBe(internal.testErr);
    expect(Array.from(result.model.weights.W)).toEqual(Array.from(internal.weights.W));
    expect(result.history.length).toBe(4);
    expect(result.stopReason).toBe('outer-cap');
    expect(result.backend).toMatch(/^backend: cpu .*in the calling thread/);
  });

  it('takes rows, Float64Array and Float32Array alike, and a worker pool gives the same bits', async () => {
    const rows = await train(BASE);
    const f64 = await train({ ...BASE, inputs: Float64Array.from(DATA.inputs.flat()), targets: Float64Array.from(DATA.targets.flat()) });
    const f32 = await train({ ...BASE, inputs: Float32Array.from(DATA.inputs.flat()), targets: Float32Array.from(DATA.targets.flat()) });
    const pool = await train({ ...BASE, workers: 1 });
    for (const r of [f64, f32, pool]) expect(r.trainErr).toBe(rows.trainErr);
    expect(pool.backend).toMatch(/up to 1 thread\b/);
  });

  it('reports every outer iteration through the iterator and the callback, and after-sweep progress', async () => {
    const seen: number[] = [];
    let sweeps = 0;
    const run = train({ ...BASE, onIteration: (it) => seen.push(it.k), onSweeps: () => sweeps++ });
    const iterated: number[] = [];
    for await (const it of run) iterated.push(it.k);
    expect(iterated).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(sweeps).toBeGreaterThan(0);
  });

  it('stops on stop() and on an AbortSignal, keeping the model reached', async () => {
    const run = train({ ...BASE, params: { outer: 50, inner: 5 }, onIteration: (it) => { if (it.k === 2) run.stop(); } });
    const stopped = await run;
    expect(stopped.stopReason).toBe('stopped');
    expect(stopped.outerIterations).toBeLessThan(50);
    expect(stopped.model.predict(DATA.inputs)).toHaveLength(40);
    const controller = new AbortController();
    controller.abort();
    expect((await train({ ...BASE, signal: controller.signal })).stopReason).toBe('stopped');
  });

  it('pauses and resumes', async () => {
    const run = train({ ...BASE, onIteration: (it) => { if (it.k === 1) run.pause(); } });
    await new Promise((r) => setTimeout(r, 300));
    expect(run.paused).toBe(true);
    const before = (await Promise.race([run.then(() => 'done'), new Promise((r) => setTimeout(() => r('waiting'), 100))]));
    expect(before).toBe('waiting');
    run.resume();
    expect((await run).outerIterations).toBe(4);
  });

  it('pause() resolves once the training is held: no sweep runs after it until resume()', async () => {
    let sweeps = 0;
    const run = train({ ...BASE, params: { outer: 4, inner: 50 }, onSweeps: () => sweeps++ });
    await new Promise<void>((r) => { const t = setInterval(() => { if (sweeps > 0) { clearInterval(t); r(); } }, 1); });
    await run.pause();
    const held = sweeps;
    await new Promise((r) => setTimeout(r, 200));
    expect(sweeps).toBe(held);
    run.resume();
    expect((await run).outerIterations).toBe(4);
    await run.pause(); // after the end: resolves at once
  });

  it('checkpoints and resumes to the bits of an unbroken run; refuses a checkpoint of other data', async () => {
    const unbroken = await train({ ...BASE, params: { outer: 6, inner: 5 } });
    const saved: string[] = [];
    const run = train({ ...BASE, params: { outer: 6, inner: 5 }, checkpoint: { save: (json) => { saved.push(json); } }, onIteration: (it) => { if (it.k === 3) run.stop(); } });
    expect((await run).stopReason).toBe('stopped');
    expect(saved.length).toBeGreaterThanOrEqual(3);
    const resumed = await train({ ...BASE, params: { outer: 6, inner: 5 }, resume: saved[2] });
    expect(resumed.outerIterations).toBe(6);
    expect(resumed.trainErr).toBe(unbroken.trainErr);
    expect(Array.from(resumed.model.weights.A)).toEqual(Array.from(unbroken.model.weights.A));
    const other = series(41);
    expect(() => train({ ...BASE, ...other, params: { outer: 6, inner: 5 }, resume: saved[2] })).toThrow(/resume was made from other data/);
    expect(() => train({ ...BASE, params: { outer: 6, inner: 5, tau: 2 }, resume: saved[2] })).toThrow(/resume was made with other options/);
  });

  it('hands onIteration each iterate as a Model: the last one is the result\'s model', async () => {
    const models: Model[] = [];
    const result = await train({ ...BASE, onIteration: (_it, model) => models.push(model) });
    expect(models).toHaveLength(4);
    expect(Array.from(models[3].weights.W)).toEqual(Array.from(result.model.weights.W));
    expect(models[3].predict(DATA.inputs)).toEqual(result.model.predict(DATA.inputs));
    expect(Array.from(models[0].weights.W)).not.toEqual(Array.from(models[3].weights.W));
    expect(models[0].standardization).toEqual(result.model.standardization);
  });

  it('resumes a finished run with a larger outer cap, to the bits of an unbroken longer run', async () => {
    const saved: string[] = [];
    await train({ ...BASE, params: { outer: 3, inner: 5 }, checkpoint: { save: (json) => { saved.push(json); } } });
    const longer = await train({ ...BASE, params: { outer: 5, inner: 5 }, resume: saved[saved.length - 1] });
    const unbroken = await train({ ...BASE, params: { outer: 5, inner: 5 } });
    expect(longer.outerIterations).toBe(5);
    expect(longer.history.map((h) => h.k)).toEqual([1, 2, 3, 4, 5]);
    expect(longer.trainErr).toBe(unbroken.trainErr);
    expect(() => train({ ...BASE, params: { outer: 5, inner: 6 }, resume: saved[0] })).toThrow(/resume was made with other options/);
  });

  it('resumes a checkpoint that names its data set (the CLI\'s, the page\'s) when the shapes and options agree', async () => {
    const unbroken = await train({ ...BASE, params: { outer: 4, inner: 5 } });
    const saved: string[] = [];
    await train({ ...BASE, params: { outer: 2, inner: 5 }, checkpoint: { save: (json) => { saved.push(json); } } });
    const named = JSON.parse(saved[1]) as { trials: { config: Record<string, unknown> }[] };
    named.trials[0].config = { ...named.trials[0].config, dataset: 'mine.csv', hidden: undefined, targets: ['y1'] };
    const text = JSON.stringify(named);
    const resumed = await train({ ...BASE, params: { outer: 4, inner: 5 }, resume: text });
    expect(resumed.trainErr).toBe(unbroken.trainErr);
    expect(() => train({ ...BASE, ...series(41), params: { outer: 4, inner: 5 }, resume: text })).toThrow(/resume does not fit this data and hidden size .*a checkpoint of mine\.csv/);
    expect(() => train({ ...BASE, seed: 2, params: { outer: 4, inner: 5 }, resume: text })).toThrow(/resume was made with other options/);
  });

  it('trains on every step with trainFraction 1 and says there is no TestErr (null, not NaN)', async () => {
    const all = await train({ ...BASE, trainFraction: 1 });
    expect(all.testErr).toBeNull();
    expect(all.testSteps).toBe(0);
  });
});

describe('train() refuses bad input at the edge with one OptionError naming the option', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a misspelt option', { hiden: 3 }, /^hiden is not a known option \(did you mean "hidden"\?\)/],
    ['a misspelt parameter', { params: { gama0: 2 } }, /^params\.gama0 is not a known option \(did you mean "params\.gamma0"\?\)/],
    ['a parameter out of range', { params: { tau: 0 } }, /^params\.tau is out of range: must be a finite number > 0.*got 0$/],
    ['a parameter of the wrong type', { params: { outer: '5' } }, /^params\.outer must be a number, got "5"$/],
    ['NaN in the targets', { targets: DATA.targets.map((r, t) => (t === 12 ? [NaN] : r)) }, /^targets\[12\]\[0\] must be a finite number, got NaN$/],
    ['inputs shorter than targets', { inputs: DATA.inputs.slice(1) }, /^inputs has 39 rows \(steps\) but targets has 40/],
    ['a ragged row', { inputs: DATA.inputs.map((r, t) => (t === 5 ? [1] : r)) }, /^inputs\[5\] has 1 values where row 0 has 2/],
    ['more training steps than the series', { trainSteps: 41 }, /^trainSteps must be an integer in \[2, 40\], got 41$/],
    ['an unknown activation', { activation: 'tanh' }, /^activation must be "relu", "elu", "leaky:ω"/],
    ['a hidden size given as text', { hidden: '4' }, /^hidden must be an integer ≥ 1, got "4"$/],
    ['an unknown backend', { backend: 'gpu' }, /^backend must be one of auto, cpu, webgpu, a GPUDevice, or a backend object/],
    ['an unknown initialiser', { init: 'xavier' }, /^init must be one of he, normal-1e-3, normal-1e-1, glorot, lecun, got "xavier"$/],
    ['a negative worker count', { workers: -1 }, /^workers must be an integer from 0 to 256/],
    ['a seed beyond the generator (it would repeat seed 0)', { seed: 2147483647 }, /^seed must be an integer in \[0, 2147483646\], got 2147483647$/],
    ['an outer cap beyond the maximum', { params: { outer: 1e12 } }, /^params\.outer is out of range: must be an integer from 1 to 100000/],
    ['no targets', { targets: undefined }, /^targets is required/],
    ['names that do not match the columns', { inputNames: ['a'] }, /^inputs has 2 columns, but 1 were stated/],
    ['a repeated name', { inputNames: ['a', 'a'] }, /^inputNames names the column "a" twice/],
  ];
  it.each(cases)('%s', (_what, change, message) => {
    let error: unknown;
    try {
      train({ ...BASE, ...change } as TrainOptions);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect((error as Error).message).toMatch(message);
  });

  it('takes activation names as text and a subset of parameters over the defaults', async () => {
    const r = await train({ ...BASE, activation: 'leaky:0.1', params: { outer: 2 } });
    expect(r.history[0].gamma).toBe(1); // gamma0 from the defaults, not undefined
    expect(r.model.activation).toEqual({ kind: 'leaky', omega: 0.1 });
  });
});

describe('trainGrid()', () => {
  it('gives every trial of the batch what it gives alone, in grid order', async () => {
    const grid = await trainGrid({ ...BASE, workers: 2, inits: ['he', 'normal-1e-1'], seeds: [1, 2] });
    expect(grid.trials.map((t) => `${t.init}/${t.seed}`)).toEqual(['he/1', 'he/2', 'normal-1e-1/1', 'normal-1e-1/2']);
    const alone = await train({ ...BASE, init: 'normal-1e-1', seed: 2 });
    expect(grid.trials[3].trainErr).toBe(alone.trainErr);
  });

  it('selects on validation: the lowest validation error, retrained on the whole training part', async () => {
    const grid = await trainGrid({ ...BASE, taus: [0.3, 3], seeds: [1, 2], select: 'validation' });
    const scores = grid.trials.map((t) => t.valErr!);
    expect(grid.selected!.index).toBe(scores.indexOf(Math.min(...scores)));
    const chosen = grid.trials[grid.selected!.index];
    const retrained = await train({ ...BASE, seed: chosen.seed, params: { ...BASE.params, tau: chosen.tau } });
    expect(grid.selected!.trainErr).toBe(retrained.trainErr);
    expect(grid.validationSteps).toBe(4);
  });

  it('a trial whose linear algebra breaks down ends alone, saying why; train() alone throws the same as a NumericalError', async () => {
    // τ this small leaves γPPᵀ + 2Λ_w numerically singular once γ has grown (K = r+n+1 = 10 > T1 = 9).
    const small = { ...syntheticDataset('small', 1), hidden: 4, params: { outer: 16, inner: 5, eta2: 0.5 }, backend: 'cpu' as const, workers: 0 };
    const grid = await trainGrid({ ...small, taus: [1, 1e-15] });
    expect(grid.trials[0].stopReason).toBe('outer-cap');
    expect(grid.trials[1].stopReason).toBe('failed');
    expect(grid.trials[1].failure).toMatch(/is not positive definite .* raise τ/);
    expect(grid.trials[1].model.predict(small.inputs)).toHaveLength(10 * 3);
    await expect(train({ ...small, params: { ...small.params, tau: 1e-15 } }).promise).rejects.toThrow(NumericalError);
  });

  it('refuses an empty or repeated list', () => {
    expect(() => trainGrid({ ...BASE, seeds: [] })).toThrow(/^seeds must be a non-empty array/);
    expect(() => trainGrid({ ...BASE, seeds: [1, 1] })).toThrow(/^seeds lists a value twice/);
    expect(() => trainGrid({ ...BASE, seeds: [2 ** 53 + 1] })).toThrow(/^seeds\[0\] must be an integer in \[0, 2147483646\]/);
    const seeds = Array.from({ length: 5001 }, (_, i) => i);
    expect(() => trainGrid({ ...BASE, inits: ['he', 'lecun'], seeds })).toThrow(/^inits × taus × seeds must make at most 10000 trials: run the grid in parts, got "10002 trials"$/);
  });
});

describe('trainBaseline()', () => {
  it('equals the engine\'s BPTT training from the same weights', async () => {
    const api = await trainBaseline({ ...DATA, hidden: 4, method: 'adam', learningRate: 0.01, epochs: 30 });
    const { problem, initial } = internalProblem();
    const internal = await trainBaselineInternal({ problem, method: 'adam', lr: 0.01, epochs: 30, initialWeights: initial, seed: 1 });
    expect(Array.from(api.model.weights.W)).toEqual(Array.from(internal.weights.W));
    expect(api.epochs).toBe(30);
    expect(api.stopReason).toBe('epochs');
  });

  it('refuses an unknown method and a missing learning rate', () => {
    expect(() => trainBaseline({ ...DATA, method: 'rmsprop' as 'adam', learningRate: 0.1 })).toThrow(/^method must be one of gd, gdc, gdnm, sgd, adam/);
    expect(() => trainBaseline({ ...DATA, method: 'gd' } as never)).toThrow(/^learningRate must be a finite number > 0/);
  });
});

describe('Model', () => {
  it('predicts in raw units, round-trips through the model file, and evaluates', async () => {
    const { model } = await train(BASE);
    const copy = Model.fromJSON(JSON.stringify(model));
    expect(copy.predict(DATA.inputs)).toEqual(model.predict(DATA.inputs));
    const flat = copy.predict(Float64Array.from(DATA.inputs.flat()));
    expect(Array.from(flat)).toEqual(model.predict(DATA.inputs).flat());
    // Raw units: the standardised forward pass mapped back by the target's mean and deviation.
    const s = model.standardization!;
    expect(s.targetStd[0]).not.toBe(1);
    const e = model.evaluate(DATA.inputs, DATA.targets, { warmup: 36 });
    expect(e.steps).toBe(4);
    expect(e.mseStandardized).toBeCloseTo(e.mse / s.targetStd[0] ** 2, 12);
    expect(model.toTfjs().modelJson.format).toBe('layers-model');
    expect(String(model)).toBe('Elman RNN r=4, n=2, m=1, relu, standardised');
  });

  it('refuses a file of another format and inputs of the wrong width', async () => {
    expect(() => Model.fromJSON({ format: 'keras' })).toThrow(DataError);
    expect(() => Model.fromJSON('{not json')).toThrow(/model file: not valid JSON/);
    const { model } = await train(BASE);
    expect(() => model.predict([[1, 2, 3]])).toThrow(/^inputs has 3 columns, but 2 were stated/);
    expect(() => model.predict(DATA.inputs, { warmup: 40 })).toThrow(/^warmup must be an integer in \[0, 39\]/);
  });

  it('predicts over a table of named columns (readCsv), as alm-rnn predict does with a file', async () => {
    const { model } = await train(BASE);
    const rows = DATA.inputs.map(([a, b], t) => `${t},${b},${a},${DATA.targets[t][0]}`);
    const table = readCsv(['t,x2,x1,y1', ...rows].join('\n'), { targets: ['x1'] });
    const p = model.predictTable(table, { warmup: 4, source: 'data.csv' });
    expect(Array.from(p.predictions)).toEqual(model.predict(DATA.inputs, { warmup: 4 }).flat());
    expect(p.evaluation).toEqual(model.evaluate(DATA.inputs, DATA.targets, { warmup: 4 }));
    expect(model.predictTable({ inputs: DATA.inputs, inputNames: ['x1', 'x2'] }).evaluation).toBeUndefined();
    expect(() => model.predictTable({ inputs: [[1], [2]], inputNames: ['x1'] }, { source: 'new.csv' })).toThrow(/^new\.csv has no column "x2" that the model takes as input/);
    expect(() => model.predictTable(table, { warmup: 40, source: 'data.csv' })).toThrow(/^warmup must be an integer in \[0, 39\] for the 40 steps of data\.csv, got 40$/);
    expect(() => model.predictTable(table, { warmpu: 4 } as never)).toThrow(/^warmpu is not a known option \(did you mean "warmup"\?\)/);
    expect(() => model.predictTable({ inputs: DATA.inputs } as never)).toThrow(/^inputNames must name the columns of inputs/);
    // A model file without column names takes the columns in order.
    const { columns: _, ...unnamed } = model.toJSON();
    expect(Model.fromJSON(unnamed).predictTable({ inputs: DATA.inputs, inputNames: ['p', 'q'] }).predictions).toEqual(model.predict(Float64Array.from(DATA.inputs.flat())));
  });

  it('refuses predictions that overflow with a NonFinitePredictionError naming the first step and column', () => {
    const file = { format: 'alm-rnn/elman@1', activation: 'relu', r: 1, n: 1, m: 1, W: [[1e200]], V: [[1]], b: [0], A: [[1]], c: [0], columns: { inputs: ['a'], targets: ['y'] } };
    const model = Model.fromJSON(file);
    let caught: unknown;
    try {
      model.predict([[1], [1], [1], [1]]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(NonFinitePredictionError);
    expect(caught).toMatchObject({ row: 2, column: 'y', value: Infinity, count: 2, total: 4 });
    expect((caught as Error).message).toMatch(/^inputs: the model's prediction of "y" is Infinity at step 3 \(2 of 4 predictions are not finite\): its hidden state overflows/);
    expect(model.predict([[1], [1]])).toEqual([[1], [1e200 + 1]]); // large, but finite
  });
});

describe('alm-rnn/datasets', () => {
  it('gives train() options: loadDataset spreads in, and readCsv reads a CSV text', async () => {
    const sp500 = loadDataset('sp500');
    expect(sp500.inputNames).toHaveLength(11);
    const r = await train({ ...sp500, params: { ...sp500.params, outer: 1, inner: 2 }, backend: 'cpu', workers: 0 });
    expect(r.trainSteps).toBe(393);
    const csv = readCsv('date,a,b,y\n2020-01,1,2,3\n2020-02,2,3,4\n2020-03,3,5,6\n');
    expect(csv.inputNames).toEqual(['a', 'b']);
    expect(csv.targetNames).toEqual(['y']);
    expect(() => loadDataset('nope' as 'sp500')).toThrow(/^name must be one of synthetic-small/);
    expect(Array.from(readCsv('a;y\n0,5;1\n1,5;2,25\n', { decimal: ',' }).targets)).toEqual([1, 2.25]);
    expect(() => readCsv('a;y\n0,5;1\n1,5;2\n')).toThrow(/line 2, column "a": "0,5" has a decimal comma/);
    expect(() => readCsv('a;y\n0,5;1\n1,5;2\n', { decimal: 'comma' as ',' })).toThrow(/^decimal must be "\." or ","/);
  });
});

