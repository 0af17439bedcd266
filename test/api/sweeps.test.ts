// The API for timing and driving the engine sweep by sweep (sweepProblem, initialWeights,
// acquireGpu, createBackend on a given device): the problem is the one train() solves, bit for
// bit against the engine's internal path; every misuse is one OptionError naming the option.
import { describe, expect, it } from 'vitest';
import { lambdasFor, paramsFor } from '../../src/alm/params.ts';
import { initSeed } from '../../src/alm/setup.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import { splitPoint, standardize } from '../../src/problem/standardize.ts';
import { acquireGpu, createBackend, GpuUnavailableError, initialWeights, OptionError, sweepProblem } from '../../src/index.node.ts';
import { loadDataset } from '../../src/datasets.ts';

describe('sweepProblem', () => {
  const data = loadDataset('synthetic-small');

  it('loads the problem train() solves, and its sweeps equal the engine\'s own on that problem', async () => {
    const problem = sweepProblem({ ...data, seeds: [3, 4] });
    const T1 = splitPoint(data.targets.length / data.targetNames.length, data.trainFraction);
    expect(problem.shape).toEqual({ T: T1, n: 5, m: 3, r: data.hidden });
    expect(problem.trials).toBe(2);

    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    const session = await problem.load(backend);
    // Before any sweep the trials hold their initial weights: train()'s for those seeds.
    const w0 = await session.readWeights();
    expect(w0[1].W).toEqual(initialWeights({ hidden: data.hidden, inputs: 5, targets: 3, seed: 4 }).W);
    expect(w0[1].W).toEqual(initializeWeights('normal-1e-1', data.hidden, 5, 3, new Rng(initSeed(4))).W);
    await session.sweep(3, [2, 2]);
    const swept = await session.readWeights();
    expect(session.counters()).toBeNull();
    expect(await session.profileSweep()).toBeNull();
    backend.dispose();

    // The same by hand: standardised as train() does, the training part, τ of the data set.
    const { series } = standardize(
      { T: data.targets.length / 3, n: 5, m: 3, x: data.inputs, y: data.targets, inputNames: data.inputNames, targetNames: data.targetNames },
      { mode: 'whole', T1, columns: data.standardizeColumns },
    );
    const params = paramsFor(undefined, { overrides: data.params });
    const own = createCpuBackend();
    const bcd = { T: T1, n: 5, m: 3, r: data.hidden, x: series.x.subarray(0, T1 * 5), y: series.y.subarray(0, T1 * 3), activation: { kind: 'relu' as const }, lambdas: lambdasFor(params, data.hidden, 5, 3), mu: params.mu };
    await own.load([bcd, bcd], [3, 4].map((s) => initializeWeights('normal-1e-1', data.hidden, 5, 3, new Rng(initSeed(s)))));
    await own.sweep(3, [2, 2]);
    const expected = await own.readWeights();
    own.dispose();
    for (const i of [0, 1]) for (const k of ['W', 'V', 'b', 'A', 'c'] as const) expect(swept[i][k]).toEqual(expected[i][k]);
  });

  it('names every bad option', async () => {
    expect(() => sweepProblem({ ...data, seeds: [] })).toThrow(OptionError);
    expect(() => sweepProblem({ ...data, seeds: [-1] })).toThrow(/seeds\[0\]/);
    expect(() => sweepProblem({ ...data, init: 'zeros' as never })).toThrow(/^init must be one of/);
    expect(() => sweepProblem({ ...data, gamma: 1 } as never)).toThrow(/gamma is not a known option/);
    const w = initialWeights({ hidden: 2, inputs: 5, targets: 3 });
    expect(() => sweepProblem({ ...data, initialWeights: [w] })).toThrow(/initialWeights\[0\] must fit the problem \(r=4, n=5, m=3\)/);
    expect(() => sweepProblem({ ...data, initialWeights: [w], seeds: [1] })).toThrow(/replaces init and seeds/);
    expect(() => initialWeights({ hidden: 0, inputs: 1, targets: 1 })).toThrow(/^hidden must be an integer ≥ 1/);
    const backend = await createBackend({ backend: 'cpu', workers: 0 });
    const session = await sweepProblem(data).load(backend);
    await expect(session.sweep(0)).rejects.toThrow(/^count must be an integer ≥ 1/);
    await expect(session.sweep(1, -1)).rejects.toThrow(/^gamma must be finite and > 0/);
    await expect(session.sweep(1, [1, 1])).rejects.toThrow(/^gamma must be a number or 1 numbers/);
    await expect(sweepProblem(data).load({} as never)).rejects.toThrow(/^backend must be a backend object from createBackend/);
    backend.dispose();
  });
});

describe('acquireGpu', () => {
  it('refuses options it does not know before starting anything', async () => {
    await expect(acquireGpu({ dawnFlags: 'backend=vulkan' as never })).rejects.toThrow(/^dawnFlags must be an array of non-empty strings/);
    await expect(acquireGpu({ powerPreference: 'fast' as never })).rejects.toThrow(/^powerPreference must be one of high-performance, low-power/);
    await expect(acquireGpu({ features: [] } as never)).rejects.toThrow(/features is not a known option/);
  });

  it('gives a device and its adapter; createBackend on it knows that adapter', async () => {
    let gpu;
    try {
      gpu = await acquireGpu({ optionalFeatures: ['timestamp-query'] });
    } catch (e) {
      // No adapter on this machine: the error is the documented one, with what to do.
      expect(e).toBeInstanceOf(GpuUnavailableError);
      return;
    }
    try {
      expect(gpu.description).toMatch(/\((software|hardware) adapter\)$/);
      expect(gpu.adapterFeatures).toEqual([...gpu.adapterFeatures].sort());
      const lines: string[] = [];
      const backend = await createBackend({ backend: gpu.device, log: (l) => lines.push(l) });
      expect(backend.info.software).toBe(/software/.test(gpu.description));
      expect(lines[0]).toBe(`backend: webgpu on ${gpu.description} (given device)`);
      backend.dispose();
    } finally {
      gpu.device.destroy();
    }
  });
});
