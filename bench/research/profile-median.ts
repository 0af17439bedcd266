// Median wall time of each step of a WebGPU sweep (profileSweep: each step submitted alone and
// waited for, so a figure includes a submit's overhead) over a few sweeps at one shape, with the
// range; for before/after comparisons of one kernel family on a busy machine or a software
// adapter (where bench/main.ts's full profile takes too long).
// Usage: node bin/run-ts.mjs bench/research/profile-median.ts [r,n,m,T (default 100,80,30,450)] [sweeps (default 5)]
import { DEFAULT_PARAMS, lambdasFor } from '../../src/alm/params.ts';
import { acquireGpu } from '../../src/backends/webgpu/node-gpu.ts';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
const [r, n, m, T] = (process.argv[2] ?? '100,80,30,450').split(',').map(Number);
const reps = Number(process.argv[3] ?? 5);
const gpu = await acquireGpu();
const rng = new Rng(r * 7 + T);
const problem = { T, n, m, r, x: rng.fillUniform(new Float64Array(T * n), -1, 1), y: rng.fillNormal(new Float64Array(T * m), 1), activation: { kind: 'relu' as const }, lambdas: lambdasFor({ tau: 1, lambda6: DEFAULT_PARAMS.lambda6 }, r, n, m), mu: DEFAULT_PARAMS.mu };
const be = new WebGpuBackend(gpu.device, { adapterInfo: gpu.adapterInfo });
await be.load([problem], [initializeWeights('lecun', r, n, m, rng)]);
await be.sweep(1, [1]);
const samples = new Map<string, number[]>();
for (let i = 0; i < reps; i++) for (const s of await be.profileSweep(1)) samples.set(s.label, [...(samples.get(s.label) ?? []), s.ms]);
const med = (v: number[]) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
let tot = 0;
for (const [label, v] of samples) { tot += med(v); console.log(`${label.padEnd(40)} ${med(v).toFixed(1).padStart(8)}  [${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)}]`); }
console.log(`${'sum of medians'.padEnd(40)} ${tot.toFixed(1).padStart(8)}; dispatches/sweep ${be.stats.dispatchesPerSweep}`);
be.dispose(); gpu.device.destroy();
