// Precision of the WebGPU (f32) backend against the float64 CPU reference, from the same
// initial point, on the paper's data: sp500 (r=20, an ALM run, by default 50 outer × 100
// inner) and synthetic-large (r=100, n=80, m=30, T1=450: weights after 20 sweeps at γ0, and a
// 4×5 ALM run). Prints a table and writes JSON.
// Usage: node bin/run-ts.mjs bench/research/gpu-precision.ts [--only sp500|synthetic-large]
//        [--outer N] [--inner N] [--refine N] [--init NAME] [--seed N] [--out FILE.json]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { runAlm, type AlmResult } from '../../src/alm/alm.ts';
import { lambdasFor, paramsFor, type AlmParams } from '../../src/alm/params.ts';
import type { BcdBackend, BcdProblem } from '../../src/backends/backend.ts';
import { CpuTrial } from '../../src/backends/cpu/cpu-trial.ts';
import { TrialsBackend } from '../../src/backends/trials.ts';
import { acquireGpu } from '../../src/backends/webgpu/node-gpu.ts';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend.ts';
import { loadDataset } from '../../src/problem/datasets.ts';
import { initializeWeights, parseInitializer } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { Problem, RnnWeights } from '../../src/problem/types.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = option('--only');
const refineSteps = Number(option('--refine') ?? 1);
const init = parseInitializer(option('--init') ?? 'lecun');
const seed = Number(option('--seed') ?? 1);
const out = option('--out') ?? `bench/results/gpu-precision${refineSteps === 1 ? '' : `-refine${refineSteps}`}.json`;

const gpu = await acquireGpu();
const device = gpu.device;
const results: Record<string, unknown> = {
  adapter: gpu.adapterInfo,
  refineSteps,
  init,
  seed,
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
};

/** max|a − e| / max|e| over one array. */
function relDiff(a: ArrayLike<number>, e: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    num = Math.max(num, Math.abs(a[i] - e[i]));
    den = Math.max(den, Math.abs(e[i]));
  }
  return den === 0 ? num : num / den;
}

/** Per matrix max|Δ|/max|w|, and `all`: ||Δw||₂/||w||₂ over every weight. */
function weightDiffs(a: RnnWeights, e: RnnWeights): Record<string, number> {
  const d: Record<string, number> = {};
  let num = 0;
  let den = 0;
  for (const k of ['W', 'V', 'b', 'A', 'c'] as const) {
    d[k] = relDiff(a[k], e[k]);
    for (let i = 0; i < e[k].length; i++) {
      num += (a[k][i] - e[k][i]) ** 2;
      den += e[k][i] ** 2;
    }
  }
  d.all = Math.sqrt(num / den);
  return d;
}

function bcdProblem(problem: Problem, params: AlmParams): BcdProblem {
  const { series, T1, r } = problem;
  const { n, m } = series;
  return {
    T: T1, n, m, r, x: series.x.subarray(0, T1 * n), y: series.y.subarray(0, T1 * m),
    activation: problem.activation, lambdas: lambdasFor(params, r, n, m), mu: params.mu,
  };
}

function newGpuBackend(): WebGpuBackend {
  return new WebGpuBackend(device, { adapterInfo: gpu.adapterInfo, refineSteps });
}

const fmt = (v: number) => (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(5) : v.toExponential(3));
const rel = (a: number, e: number) => Math.abs(a - e) / Math.abs(e);

async function almPair(problem: Problem, params: AlmParams, initial: RnnWeights) {
  const cpu = new CpuTrial();
  let t0 = performance.now();
  const c = await runAlm(TrialsBackend.of(cpu), problem, params, initial);
  const cpuSeconds = (performance.now() - t0) / 1000;
  const g64 = newGpuBackend();
  t0 = performance.now();
  let sweepMs = 0;
  let sweepCount = 0;
  const g = await runAlm(g64, problem, params, initial, {
    onSweeps: () => {
      sweepMs += g64.stats.lastBatchMs;
      sweepCount += g64.stats.lastBatchSweeps;
    },
    // Progress on stderr: a software adapter takes minutes per outer iteration at these sizes.
    onIteration: (it) => process.stderr.write(`  webgpu k=${it.k}/${params.outer}: FeasVio ${it.feasVio.toExponential(2)} (float64 ${c.history[it.k - 1]?.feasVio.toExponential(2)}), ${(sweepMs / Math.max(1, sweepCount)).toFixed(1)} ms/sweep\n`),
  });
  const gpuSeconds = (performance.now() - t0) / 1000;
  const stats = { ...g64.stats };
  g64.dispose();
  return { c, g, cpuSeconds, gpuSeconds, msPerSweep: sweepMs / Math.max(1, sweepCount), stats };
}

function trajectory(c: AlmResult, g: AlmResult) {
  return c.history.map((h, i) => ({
    k: h.k,
    feasVioCpu: h.feasVio,
    feasVioGpu: g.history[i]?.feasVio,
    gammaCpu: h.gammaNext,
    gammaGpu: g.history[i]?.gammaNext,
    atFloorGpu: g.history[i]?.atFloor,
    trainErrCpu: h.trainErr,
    trainErrGpu: g.history[i]?.trainErr,
    testErrCpu: h.testErr,
    testErrGpu: g.history[i]?.testErr,
  }));
}

function printTrajectory(rows: ReturnType<typeof trajectory>, every: number): void {
  console.log('| k | FeasVio cpu | FeasVio gpu | γ cpu | γ gpu | TrainErr cpu | TrainErr gpu | TestErr cpu | TestErr gpu |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.k % every !== 0 && r.k !== 1 && r.k !== rows.length) continue;
    console.log(`| ${r.k} | ${fmt(r.feasVioCpu)} | ${fmt(r.feasVioGpu ?? NaN)} | ${fmt(r.gammaCpu)} | ${fmt(r.gammaGpu ?? NaN)} | ${fmt(r.trainErrCpu)} | ${fmt(r.trainErrGpu ?? NaN)} | ${fmt(r.testErrCpu)} | ${fmt(r.testErrGpu ?? NaN)} |`);
  }
}

if (!only || only === 'sp500') {
  const loaded = loadDataset('sp500', { standardize: 'whole' });
  const params = paramsFor('sp500', {
    tau: loaded.defaults.tau,
    overrides: { outer: Number(option('--outer') ?? 50), inner: Number(option('--inner') ?? 100) },
  });
  const r = loaded.defaults.r;
  const problem: Problem = { name: 'sp500', series: loaded.series, T1: loaded.T1, r, activation: { kind: 'relu' } };
  const initial = initializeWeights(init, r, loaded.series.n, loaded.series.m, new Rng(seed));
  console.log(`\n## sp500: T1=${loaded.T1}, n=${loaded.series.n}, m=${loaded.series.m}, r=${r}, ${params.outer} outer × ${params.inner} inner, init ${init}, seed ${seed}`);
  const p = await almPair(problem, params, initial);
  const rows = trajectory(p.c, p.g);
  printTrajectory(rows, 5);
  const summary = {
    trainErr: { cpu: p.c.trainErr, gpu: p.g.trainErr, rel: rel(p.g.trainErr, p.c.trainErr) },
    testErr: { cpu: p.c.testErr, gpu: p.g.testErr, rel: rel(p.g.testErr, p.c.testErr) },
    feasVio: { cpu: p.c.feasVio, gpu: p.g.feasVio },
    weights: weightDiffs(p.g.weights, p.c.weights),
    seconds: { cpu: p.cpuSeconds, gpu: p.gpuSeconds },
    gpuMsPerSweep: p.msPerSweep,
    dispatchesPerSweep: p.stats.dispatchesPerSweep,
    readbacksTotal: p.stats.readbacks,
    readbacksPerSweep: p.stats.readbacks / Math.max(1, p.stats.sweeps),
    sweeps: p.stats.sweeps,
  };
  console.log('\n| sp500 | cpu (float64) | webgpu (f32) | relative difference |');
  console.log('|---|---|---|---|');
  console.log(`| TrainErr | ${fmt(p.c.trainErr)} | ${fmt(p.g.trainErr)} | ${fmt(summary.trainErr.rel)} |`);
  console.log(`| TestErr | ${fmt(p.c.testErr)} | ${fmt(p.g.testErr)} | ${fmt(summary.testErr.rel)} |`);
  console.log(`| FeasVio | ${fmt(p.c.feasVio)} | ${fmt(p.g.feasVio)} | |`);
  console.log(`| weights max|Δ|/max|w| | | | ${Object.entries(summary.weights).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} |`);
  console.log(`| time | ${p.cpuSeconds.toFixed(1)} s | ${p.gpuSeconds.toFixed(1)} s (${p.msPerSweep.toFixed(1)} ms/sweep, ${summary.dispatchesPerSweep} dispatches/sweep, ${summary.readbacksPerSweep.toFixed(3)} read-backs/sweep) | |`);
  results.sp500 = { params: { outer: params.outer, inner: params.inner, checkEvery: params.checkEvery }, summary, trajectory: rows };
}

if (!only || only === 'synthetic-large') {
  const loaded = loadDataset('synthetic-large', { standardize: 'whole', seed });
  const params = paramsFor('synthetic-large', { tau: loaded.defaults.tau, overrides: { outer: 4, inner: 5, checkEvery: 5 } });
  const r = loaded.defaults.r;
  const { n, m } = loaded.series;
  const problem: Problem = { name: 'synthetic-large', series: loaded.series, T1: loaded.T1, r, activation: { kind: 'relu' } };
  const initial = initializeWeights(init, r, n, m, new Rng(seed));
  console.log(`\n## synthetic-large: T1=${loaded.T1}, n=${n}, m=${m}, r=${r}, init ${init}, seed ${seed}`);
  // (a) 20 BCD sweeps at γ0 from s^0, ξ = ζ = 0.
  const bp = bcdProblem(problem, params);
  const cpu = new CpuTrial();
  await cpu.load(bp, initial);
  const g = newGpuBackend();
  await g.load([bp], [initial]);
  const perSweep: Array<Record<string, number>> = [];
  let gpuMs = 0;
  for (let s = 1; s <= 20; s++) {
    await cpu.sweep(1, params.gamma0);
    await g.sweep(1, [params.gamma0]);
    gpuMs += g.stats.lastBatchMs;
    if (s === 1 || s % 5 === 0) {
      const d = weightDiffs((await g.readWeights())[0], await cpu.readWeights());
      perSweep.push({ sweep: s, ...d });
    }
  }
  // Timing of one batch of 10 sweeps (one submit).
  await g.sweep(10, [params.gamma0]);
  const batchMsPerSweep = g.stats.lastBatchMs / 10;
  const stats = { ...g.stats };
  g.dispose();
  console.log('| sweeps | W | V | b | A | c | all (‖Δw‖/‖w‖) |   (per matrix max|Δ|/max|w|, GPU vs float64, γ = γ0)');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of perSweep) console.log(`| ${row.sweep} | ${fmt(row.W)} | ${fmt(row.V)} | ${fmt(row.b)} | ${fmt(row.A)} | ${fmt(row.c)} | ${fmt(row.all)} |`);
  console.log(`GPU: ${(gpuMs / 20).toFixed(0)} ms/sweep one at a time, ${batchMsPerSweep.toFixed(0)} ms/sweep in a batch of 10; ${stats.dispatchesPerSweep} dispatches/sweep`);
  // (b) a short ALM run: 4 outer × 5 inner (20 sweeps, γ and multipliers move).
  const p = await almPair(problem, params, initial);
  const rows = trajectory(p.c, p.g);
  printTrajectory(rows, 1);
  const almWeights = weightDiffs(p.g.weights, p.c.weights);
  console.log(`ALM 4×5: weights ${Object.entries(almWeights).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}; TrainErr rel ${fmt(rel(p.g.trainErr, p.c.trainErr))}, TestErr rel ${fmt(rel(p.g.testErr, p.c.testErr))}`);
  results.syntheticLarge = {
    sweepsAtGamma0: perSweep,
    msPerSweepSingle: gpuMs / 20,
    msPerSweepBatch10: batchMsPerSweep,
    dispatchesPerSweep: stats.dispatchesPerSweep,
    alm4x5: {
      weights: almWeights,
      trainErr: { cpu: p.c.trainErr, gpu: p.g.trainErr }, testErr: { cpu: p.c.testErr, gpu: p.g.testErr },
      trajectory: rows, msPerSweep: p.msPerSweep,
    },
  };
}

device.destroy();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(`\nwrote ${out}`);
