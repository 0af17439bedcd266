// Times BCD sweeps of the WebGPU backend at several shapes and batch sizes: ms per sweep of the
// whole batch of B trials in one submit, the per-step wall times of one sweep (each step
// submitted alone), GFLOP/s counted as in docs/method.md §7 (all B trials), dispatches and
// read-backs per sweep; optionally trial 0's weights after a few sweeps against the float64 CPU
// backend. Prints a table and writes JSON.
// Usage: node bin/run-ts.mjs bench/research/gpu-sweep.ts [--shapes "r,n,m,T;…"] [--trials "1,4,16"]
//        [--sweeps N] [--check-cpu] [--out FILE.json]   (--check-cpu skips shapes above 2e10 flops per sweep)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { DEFAULT_PARAMS, lambdasFor } from '../../src/alm/params.ts';
import { CpuTrial } from '../../src/backends/cpu/cpu-trial.ts';
import { acquireGpu } from '../../src/backends/webgpu/node-gpu.ts';
import { GpuLimitError } from '../../src/backends/webgpu/layout.ts';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { RnnWeights } from '../../src/problem/types.ts';
import { sweepFlops } from '../flops.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const shapes = (option('--shapes') ?? '20,11,1,393;100,80,30,450')
  .split(';')
  .map((s) => s.split(',').map(Number) as [number, number, number, number]);
const trialCounts = (option('--trials') ?? '1').split(',').map(Number);
const sweepsOpt = option('--sweeps');
const checkCpu = args.includes('--check-cpu');
const out = option('--out') ?? 'bench/results/gpu-sweep.json';

const gpu = await acquireGpu();
const rows: Array<Record<string, unknown>> = [];
console.log(`adapter: ${JSON.stringify(gpu.adapterInfo)}; maxStorageBufferBindingSize ${gpu.device.limits.maxStorageBufferBindingSize}`);
console.log('| r | n | m | T | B | ms/sweep (batch) | GFLOP/s | dispatches/sweep | read-backs/sweep | slowest steps (ms, alone) | ‖Δw‖/‖w‖ vs CPU after 3 sweeps |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');

/** ||Δw||₂/||w||₂ over every weight (per-matrix maxima mislead for near-zero biases). */
function relDiff(a: RnnWeights, e: RnnWeights): number {
  let num = 0;
  let den = 0;
  for (const k of ['W', 'V', 'b', 'A', 'c'] as const) {
    for (let i = 0; i < e[k].length; i++) {
      num += (a[k][i] - e[k][i]) ** 2;
      den += e[k][i] ** 2;
    }
  }
  return Math.sqrt(num / den);
}

for (const [r, n, m, T] of shapes) for (const B of trialCounts) {
  const rng = new Rng(r * 7 + T);
  const problems = Array.from({ length: B }, () => ({
    T, n, m, r, x: rng.fillUniform(new Float64Array(T * n), -1, 1), y: rng.fillNormal(new Float64Array(T * m), 1), activation: { kind: 'relu' as const },
    lambdas: lambdasFor({ tau: 1, lambda6: DEFAULT_PARAMS.lambda6 }, r, n, m), mu: DEFAULT_PARAMS.mu,
  }));
  const inits = problems.map(() => initializeWeights('lecun', r, n, m, rng));
  const be = new WebGpuBackend(gpu.device, { adapterInfo: gpu.adapterInfo });
  const row: Record<string, unknown> = { r, n, m, T, trials: B };
  const gammas = (g: number) => new Float64Array(B).fill(g);
  try {
    await be.load(problems, inits);
    if (be.notes) console.log(be.notes);
    await be.sweep(1, gammas(1));
    const profile = await be.profileSweep(1);
    const readbacks = be.stats.readbacks;
    const count = Number(sweepsOpt ?? Math.max(2, Math.min(50, Math.round(2000 / profile.reduce((s, p) => s + p.ms, 0)))));
    await be.sweep(count, gammas(1.2));
    const ms = be.stats.lastBatchMs / count;
    const flops = B * sweepFlops(r, n, m, T);
    Object.assign(row, {
      msPerSweep: ms, sweepsTimed: count, gflops: flops / (ms * 1e6),
      dispatchesPerSweep: be.stats.dispatchesPerSweep, readbacksPerSweep: (be.stats.readbacks - readbacks) / count,
      deviceBatches: be.deviceBatches, profile,
    });
    if (checkCpu && flops < 2e10) {
      const cpu = new CpuTrial();
      await cpu.load(problems[0], inits[0]);
      await be.resetToInitial(new Array(B).fill(true));
      await cpu.sweep(3, 1);
      await be.sweep(3, gammas(1));
      row.weightDiffAfter3 = relDiff((await be.readWeights())[0], await cpu.readWeights());
    }
    const slow = [...profile].sort((a, b) => b.ms - a.ms).slice(0, 3).map((p) => `${p.label} ${p.ms.toFixed(1)}`).join(', ');
    console.log(`| ${r} | ${n} | ${m} | ${T} | ${B} | ${ms.toFixed(2)} | ${(flops / (ms * 1e6)).toFixed(1)} | ${row.dispatchesPerSweep} | ${row.readbacksPerSweep} | ${slow} | ${row.weightDiffAfter3 === undefined ? '' : (row.weightDiffAfter3 as number).toExponential(2)} |`);
  } catch (e) {
    row.error = `${(e as Error).name}: ${(e as Error).message}`;
    console.log(`| ${r} | ${n} | ${m} | ${T} | ${B} | ${e instanceof GpuLimitError ? 'exceeds limits' : 'error'}: ${(e as Error).message} |`);
  } finally {
    be.dispose();
  }
  rows.push(row);
}
gpu.device.destroy();
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ adapter: gpu.adapterInfo, machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, rows }, null, 2) + '\n');
console.log(`wrote ${out}`);
