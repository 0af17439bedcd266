// The float64 CPU paths on their two kernel sets, js (plain TypeScript) against wasm
// (WebAssembly SIMD), in one run: ms per BCD sweep and per block (z, h, u) with GFLOP/s
// (docs/method.md §7's count, flops.ts) at the sp500 and synthetic-large shapes, and the time of
// one full-batch BPTT epoch (loss and gradient over the training part). Writes a table
// (README.md) and bench.json into the output folder (default bench/results/cpu-kernels).
//
//   node bin/run-ts.mjs bench/research/cpu-kernels.ts [--out DIR] [--seconds S] [--reps N] [--numpy]
//
// --numpy also runs bench/research/numpy-sweep.py (NumPy + OpenBLAS on one thread, the same sweep) in
// the same session, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only.
//
// Each point: warm-up, then `reps` repetitions of as many sweeps as fill `seconds`/reps; the
// block times come from timing each block call inside the sweeps. Medians are reported. Times
// are this process's CPU time (process.cpuUsage): on a machine shared with other jobs, wall
// time mostly measures the other jobs; one thread, so CPU time is the work. Wall time is kept too.
import { execSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CpuTrial } from '../../src/backends/cpu/cpu-trial.ts';
import { effectiveCpuKernels, type CpuKernelsChoice } from '../../src/backends/cpu/kernels.ts';
import { bpttLossAndGradient, createBpttWorkspace } from '../../src/baselines/bptt.ts';
import { DEFAULT_PARAMS } from '../../src/alm/params.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import { zeroWeights } from '../../src/problem/types.ts';
import { sweepBlockFlops } from '../flops.ts';
import { median } from '../harness/measure.ts';
import type { PaperDataset } from '../harness/sizes.ts';
import { paperProblem } from './problem.ts';

const SHAPES: PaperDataset[] = ['sp500', 'synthetic-large'];
const KERNELS: CpuKernelsChoice[] = ['js', 'wasm'];
type Block = 'z' | 'h' | 'u';
const BLOCKS: Block[] = ['z', 'h', 'u'];

/** This process's CPU time in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface SweepPoint {
  shape: string; size: string; kernels: CpuKernelsChoice;
  msPerSweep: number; wallMsPerSweep: number; gflops: number;
  blocks: Record<Block, { ms: number; gflops: number }>;
  samples: number[]; sweepsPerRep: number;
}
interface BpttPoint { shape: string; size: string; kernels: CpuKernelsChoice; msPerEpoch: number; wallMsPerEpoch: number; samples: number[] }

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const OUT = arg('--out', 'bench/results/cpu-kernels');
const SECONDS = Number(arg('--seconds', '3'));
const REPS = Number(arg('--reps', '7'));

async function sweepPoint(shape: PaperDataset, kernels: CpuKernelsChoice): Promise<SweepPoint> {
  const { problem, initial, shape: size } = paperProblem(shape);
  const trial = new CpuTrial({ kernels });
  await trial.load(problem, initial);
  if (trial.kernels !== kernels) throw new Error(`asked for ${kernels} kernels, got ${trial.kernels}`);
  const gamma = DEFAULT_PARAMS.gamma0;
  const acc: Record<Block, number> = { z: 0, h: 0, u: 0 };
  const sweepOnce = (): void => {
    const t0 = cpuMs();
    trial.updateZ(gamma);
    const t1 = cpuMs();
    trial.updateH(gamma);
    const t2 = cpuMs();
    trial.updateU(gamma);
    const t3 = cpuMs();
    acc.z += t1 - t0; acc.h += t2 - t1; acc.u += t3 - t2;
  };
  // Warm-up (JIT tiers, caches) and the probe that sizes a repetition.
  const probeStart = performance.now();
  let probe = 0;
  while (performance.now() - probeStart < 400 || probe < 5) { sweepOnce(); probe++; }
  const perSweep = (performance.now() - probeStart) / probe;
  const sweepsPerRep = Math.max(3, Math.round((SECONDS * 1000) / REPS / perSweep));
  const samples: number[] = [], wall: number[] = [];
  const blockSamples: Record<Block, number[]> = { z: [], h: [], u: [] };
  for (let rep = 0; rep < REPS; rep++) {
    acc.z = acc.h = acc.u = 0;
    const t0 = cpuMs(), w0 = performance.now();
    for (let s = 0; s < sweepsPerRep; s++) sweepOnce();
    samples.push((cpuMs() - t0) / sweepsPerRep);
    wall.push((performance.now() - w0) / sweepsPerRep);
    for (const b of BLOCKS) blockSamples[b].push(acc[b] / sweepsPerRep);
  }
  trial.dispose();
  const f = sweepBlockFlops(problem.r, problem.n, problem.m, problem.T);
  const ms = median(samples);
  const blocks = {} as SweepPoint['blocks'];
  for (const b of BLOCKS) {
    const bm = median(blockSamples[b]);
    blocks[b] = { ms: bm, gflops: f[b] / bm / 1e6 };
  }
  return { shape, size, kernels, msPerSweep: ms, wallMsPerSweep: median(wall), gflops: (f.z + f.h + f.u) / ms / 1e6, blocks, samples, sweepsPerRep };
}

function bpttPoint(shape: PaperDataset, kernels: CpuKernelsChoice): BpttPoint {
  const d = paperProblem(shape).data;
  const { r } = d.defaults;
  const { n, m, x, y } = d.series;
  const w = initializeWeights('normal-1e-1', r, n, m, new Rng(7));
  const ws = createBpttWorkspace(r, n, m, d.T1, kernels);
  if (ws.kernels !== kernels) throw new Error(`asked for ${kernels} BPTT kernels, got ${ws.kernels}`);
  const grad = zeroWeights(r, n, m);
  const epoch = (): void => { bpttLossAndGradient(w, { kind: 'relu' }, x, y, d.T1, undefined, grad, ws); };
  const t0 = performance.now();
  let probe = 0;
  while (performance.now() - t0 < 300 || probe < 5) { epoch(); probe++; }
  const per = (performance.now() - t0) / probe;
  const count = Math.max(3, Math.round((SECONDS * 500) / REPS / per));
  const samples: number[] = [], wall: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const s0 = cpuMs(), w0 = performance.now();
    for (let i = 0; i < count; i++) epoch();
    samples.push((cpuMs() - s0) / count);
    wall.push((performance.now() - w0) / count);
  }
  return { shape, size: `r=${r} n=${n} m=${m} T1=${d.T1}`, kernels, msPerEpoch: median(samples), wallMsPerEpoch: median(wall), samples };
}

function git(cmd: string): string {
  try { return execSync(`git ${cmd}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return ''; }
}

if (effectiveCpuKernels('wasm') !== 'wasm') throw new Error('WebAssembly SIMD is not available in this runtime');
const sweeps: SweepPoint[] = [];
const bptt: BpttPoint[] = [];
for (const shape of SHAPES) {
  for (const k of KERNELS) {
    const p = await sweepPoint(shape, k);
    sweeps.push(p);
    console.log(`${shape} ${k}: ${p.msPerSweep.toFixed(2)} ms/sweep (${p.gflops.toFixed(2)} GFLOP/s); z ${p.blocks.z.ms.toFixed(2)}, h ${p.blocks.h.ms.toFixed(2)}, u ${p.blocks.u.ms.toFixed(2)} ms`);
  }
}
for (const shape of SHAPES) {
  for (const k of KERNELS) {
    const p = bpttPoint(shape, k);
    bptt.push(p);
    console.log(`BPTT epoch ${shape} ${k}: ${p.msPerEpoch.toFixed(2)} ms`);
  }
}

interface NumpyPoint { shape: string; size: string; msPerSweep: number; blocks: Record<Block, number> }
let numpy: NumpyPoint[] | null = null;
if (process.argv.includes('--numpy')) {
  mkdirSync(OUT, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const res = spawnSync('python3', ['bench/research/numpy-sweep.py', '--out', join(OUT, 'numpy.json')], { env, encoding: 'utf8' });
  process.stdout.write(res.stdout ?? '');
  if (res.status === 0) numpy = JSON.parse(readFileSync(join(OUT, 'numpy.json'), 'utf8')).results as NumpyPoint[];
  else console.log(`numpy reference not run: ${res.error?.message ?? res.stderr}`);
}

const machine = { runtime: `node ${process.version}`, cpu: cpus()[0]?.model, cores: cpus().length, loadavg: loadavg() };
const L: string[] = ['# CPU kernels: js against wasm (WebAssembly SIMD)', ''];
L.push(`- Machine: ${machine.runtime}, ${machine.cpu}, ${machine.cores} cores; load average ${machine.loadavg.map((x) => x.toFixed(2)).join(' ')}`);
L.push(`- Code: commit ${git('rev-parse --short HEAD')}${git('status --porcelain -- src bench') ? ' (with uncommitted changes)' : ''}`);
L.push(`- Medians of ${REPS} repetitions of this process's CPU time (wall time in its own column); GFLOP/s by docs/method.md §7's count (bench/flops.ts sweepBlockFlops); one thread.`, '');
L.push('| shape | size | kernels | ms / sweep | wall ms | GFLOP/s | z ms (GFLOP/s) | h ms (GFLOP/s) | u ms (GFLOP/s) | js / wasm |');
L.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const p of sweeps) {
  const js = sweeps.find((q) => q.shape === p.shape && q.kernels === 'js')!;
  const b = (x: Block): string => `${p.blocks[x].ms.toFixed(3)} (${p.blocks[x].gflops.toFixed(2)})`;
  L.push(`| ${p.shape} | ${p.size} | ${p.kernels} | ${p.msPerSweep.toFixed(3)} | ${p.wallMsPerSweep.toFixed(3)} | ${p.gflops.toFixed(2)} | ${b('z')} | ${b('h')} | ${b('u')} | ${p.kernels === 'wasm' ? (js.msPerSweep / p.msPerSweep).toFixed(2) + '×' : ''} |`);
}
if (numpy) {
  for (const q of numpy) {
    const f = sweepBlockFlops(...(q.size.match(/\d+/g)!.map(Number) as [number, number, number, number]));
    const w = sweeps.find((p) => p.shape === q.shape && p.kernels === 'wasm');
    const b = (x: Block): string => `${q.blocks[x].toFixed(3)} (${(f[x] / q.blocks[x] / 1e6).toFixed(2)})`;
    L.push(`| ${q.shape} | ${q.size} | NumPy + OpenBLAS, 1 thread | ${q.msPerSweep.toFixed(3)} | | ${((f.z + f.h + f.u) / q.msPerSweep / 1e6).toFixed(2)} | ${b('z')} | ${b('h')} | ${b('u')} | wasm / NumPy ${w ? (w.msPerSweep / q.msPerSweep).toFixed(2) + '×' : '?'} |`);
  }
}
L.push('', '| BPTT, one full-batch epoch (loss + gradient) | size | kernels | ms / epoch | wall ms | js / wasm |', '|---|---|---|---:|---:|---:|');
for (const p of bptt) {
  const js = bptt.find((q) => q.shape === p.shape && q.kernels === 'js')!;
  L.push(`| ${p.shape} | ${p.size} | ${p.kernels} | ${p.msPerEpoch.toFixed(3)} | ${p.wallMsPerEpoch.toFixed(3)} | ${p.kernels === 'wasm' ? (js.msPerEpoch / p.msPerEpoch).toFixed(2) + '×' : ''} |`);
}
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'README.md'), L.join('\n') + '\n');
writeFileSync(join(OUT, 'bench.json'), JSON.stringify({ format: 'alm-rnn/cpu-kernels@1', machine, commit: git('rev-parse HEAD'), reps: REPS, sweeps, bptt, numpy }, null, 2) + '\n');
console.log(`\n${L.join('\n')}\n\nwrote ${OUT}/README.md and bench.json`);
