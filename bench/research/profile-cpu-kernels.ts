// Research script (not the harness): time of each kernel call inside one CpuTrial sweep, by kernel
// and call site (CPU time of this process), for js and wasm kernels at one shape. Usage:
//   node bin/run-ts.mjs bench/research/profile-cpu-kernels.ts [sp500|synthetic-large] [sweeps]
import { CpuTrial } from '../../src/backends/cpu/cpu-trial.ts';
import type { CpuKernels } from '../../src/backends/cpu/kernels.ts';
import { DEFAULT_PARAMS } from '../../src/alm/params.ts';
import type { PaperDataset } from '../harness/sizes.ts';
import { paperProblem } from './problem.ts';

/** This process's CPU time in ms (robust to other jobs on a shared machine, unlike wall time). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const shape = (process.argv[2] ?? 'synthetic-large') as PaperDataset;
const sweeps = Number(process.argv[3] ?? 40);
for (const kind of ['js', 'wasm'] as const) {
  const { problem, initial } = paperProblem(shape);
  const trial = new CpuTrial({ kernels: kind });
  await trial.load(problem, initial);
  const k = (trial as unknown as { k: CpuKernels }).k;
  const times = new Map<string, number>();
  let seq = 0; // call number within the sweep
  for (const name of ['rowProducts', 'combineRows', 'choleskyInPlace', 'choleskySolveColumns', 'choleskySolveVector', 'updateU'] as const) {
    const f = (k[name] as (...a: unknown[]) => void).bind(k);
    (k as unknown as Record<string, unknown>)[name] = (...a: unknown[]): void => {
      const t0 = cpuMs();
      f(...a);
      const key = `${String(seq++).padStart(2, '0')} ${name}`;
      times.set(key, (times.get(key) ?? 0) + cpuMs() - t0);
    };
  }
  const gamma = DEFAULT_PARAMS.gamma0;
  for (let s = 0; s < 40; s++) await trial.sweep(1, gamma);
  times.clear();
  const t0 = cpuMs();
  for (let s = 0; s < sweeps; s++) { seq = 0; await trial.sweep(1, gamma); }
  const total = (cpuMs() - t0) / sweeps;
  const byName = new Map<string, number>();
  for (const [key, ms] of times) { const n = key.split(' ')[1]; byName.set(n, (byName.get(n) ?? 0) + ms / sweeps); }
  if (process.env.PROFILE_CALLS) for (const [key, ms] of [...times].sort()) console.log(`  ${key} ${(ms / sweeps).toFixed(3)} ms`);
  console.log(`${shape} ${kind}: ${total.toFixed(2)} ms/sweep; kernels: ${[...byName].map(([n, ms]) => `${n} ${ms.toFixed(2)}`).join(', ')}; rest ${(total - [...byName.values()].reduce((a, b) => a + b, 0)).toFixed(2)}`);
}
