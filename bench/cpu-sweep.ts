// The CPU backend alone at the synthetic-large shapes (r=100, n=80, m=30, T=450): a thin
// wrapper over the harness. Usage: node bin/run-ts.mjs bench/cpu-sweep.ts [harness options]
import { benchMain } from './cli.ts';

process.exitCode = await benchMain([
  '--backends', 'cpu', '--sizes', 'synthetic-large', '--no-e2e', '--no-kernels', '--out', 'bench/results/cpu-sweep',
  ...process.argv.slice(2),
]);
