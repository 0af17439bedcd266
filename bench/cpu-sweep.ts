// Times one BCD sweep of the float64 CPU backend at the synthetic-large shapes
// (r=100, n=80, m=30, T=450) and prints ms per sweep and GFLOP/s (ALGORITHM.md §7).
// Usage: node bin/run-ts.mjs bench/cpu-sweep.ts [--sweeps N] [--out FILE.json]
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { CpuBackend } from '../src/backends/cpu/cpu-backend.ts';
import { lambdasFor, PAPER_PRESETS, DEFAULT_PARAMS } from '../src/alm/params.ts';
import { Rng } from '../src/problem/rng.ts';
import { initializeWeights } from '../src/problem/init.ts';
import { sweepFlops } from './flops.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const sweeps = Number(option('--sweeps') ?? 20);
const out = option('--out') ?? 'bench/results/cpu-sweep.json';

const r = 100, n = 80, m = 30, T = 450;
const rng = new Rng(1);
const backend = new CpuBackend();
await backend.load(
  {
    T, n, m, r,
    x: rng.fillUniform(new Float64Array(T * n), -1, 1),
    y: rng.fillNormal(new Float64Array(T * m), 1),
    activation: { kind: 'relu' },
    lambdas: lambdasFor({ tau: PAPER_PRESETS['synthetic-large'].tau!, lambda6: DEFAULT_PARAMS.lambda6 }, r, n, m),
    mu: DEFAULT_PARAMS.mu,
  },
  initializeWeights('he', r, n, m, rng),
);
await backend.sweep(3, 1); // warm-up: let the JIT compile the hot loops
const times: number[] = [];
for (let i = 0; i < sweeps; i++) {
  const t0 = performance.now();
  await backend.sweep(1, 1 + i * 0.1);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const flops = sweepFlops(r, n, m, T);
const result = {
  backend: backend.info.description,
  shapes: { r, n, m, T },
  sweeps,
  msPerSweepMedian: median,
  msPerSweepMin: times[0],
  msPerSweepMax: times[times.length - 1],
  flopsPerSweep: flops,
  gflops: flops / (median * 1e6),
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
};
console.log('| backend | r | n | m | T | ms/sweep (median) | min | max | GFLOP/s |');
console.log('|---|---|---|---|---|---|---|---|---|');
console.log(`| ${result.backend} | ${r} | ${n} | ${m} | ${T} | ${median.toFixed(1)} | ${times[0].toFixed(1)} | ${times[times.length - 1].toFixed(1)} | ${result.gflops.toFixed(2)} |`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${out}`);
