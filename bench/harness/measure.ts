// Times BCD sweeps of one backend at one size: load, warm-up, repetitions (each one sweep()
// call of several sweeps, submit to completion), GPU timestamps and counters, and a
// per-kernel profile where the backend and the adapter allow it.
import { initialWeights, sweepProblem, type BcdBackend, type RnnWeights, type SweepProblem, type SweepSession, type SweepStepTime } from 'alm-rnn';
import { sweepBytes } from '../flops.ts';
import type { PassTimer, PassTime } from './gpu-timer.ts';
import { flopsOf, paperData, randomDataTau, type BenchSize, type Profile } from './sizes.ts';
import type { BackendKind, FamilyTime, KernelProfile, PointResult, Spread } from './types.ts';

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
}

/** Median, range and median absolute deviation of timings. */
export function spread(samples: number[]): Spread {
  const med = median(samples);
  return {
    median: med,
    min: Math.min(...samples),
    max: Math.max(...samples),
    mad: median(samples.map((x) => Math.abs(x - med))),
    samples,
  };
}

/**
 * The problem a size is measured on, with one trial per seed (default one, seed 1): the paper
 * data set as train() prepares it (standardised, its training part) with its τ and seeded
 * N(0, 0.1²) weights; or seeded random data with W scaled to std 0.5/√r (at most 0.1), so its
 * spectral radius stays near 0.5 and the hidden states stay finite at every r (N(0, 0.1²)
 * overflows the ReLU recursion from r ≈ 200 on at T = 450).
 */
export function benchProblem(size: BenchSize, seeds: number[] = [1]): SweepProblem {
  if (size.dataset) return sweepProblem({ ...paperData(size.dataset), seeds });
  const { r, n, m, T } = size;
  const random = seededUniform(1000 * T + r);
  const inputs = Float64Array.from({ length: T * n }, () => 2 * random() - 1);
  // Box–Muller: standard normal targets.
  const targets = Float64Array.from({ length: T * m }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  return sweepProblem({
    inputs, targets, inputNames: columnNames('x', n), targetNames: columnNames('y', m), hidden: r,
    trainFraction: 1, standardize: 'none', params: { tau: randomDataTau() },
    initialWeights: seeds.map((seed) => scaledW(initialWeights({ hidden: r, inputs: n, targets: m, seed }))),
  });
}

function columnNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

/** A seeded uniform generator on [0, 1) (mulberry32): random data whose values do not matter, only that every run has the same. */
function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scaledW(w: RnnWeights): RnnWeights {
  const f = Math.min(1, 0.5 / Math.sqrt(w.r) / 0.1);
  for (let i = 0; i < w.W.length; i++) w.W[i] *= f;
  return w;
}

/** The step label's kernel family: "gram P" → "gram", "cholesky factor_solve (z-block)" → "cholesky". */
export function familyOf(label: string): string {
  return label.split(/[\s(]/)[0] || label;
}

/** Adds step times into family times with shares of the total. */
export function families(steps: Array<{ label: string; ms: number }>): FamilyTime[] {
  const total = steps.reduce((s, x) => s + x.ms, 0);
  const byFamily = new Map<string, number>();
  for (const s of steps) byFamily.set(familyOf(s.label), (byFamily.get(familyOf(s.label)) ?? 0) + s.ms);
  return [...byFamily].map(([family, ms]) => ({ family, ms, share: total > 0 ? ms / total : 0 }));
}

/** What a point may spend, and what it knows from earlier points. */
export interface PointContext {
  backendKind: BackendKind;
  /** The backend (from createBackend), measured with one trial (B = 1) per point. */
  backend: BcdBackend;
  size: BenchSize;
  profile: Profile;
  /** Seconds this point may take. */
  seconds: number;
  /** The pass timer, when the backend's device is instrumented. */
  timer: PassTimer | null;
  /** Whether to profile kernels (WebGPU). */
  kernels: boolean;
  /** Timestamps unavailable: the sentence to report. */
  noTimestampsNote: string;
  /** Seconds a load may take before the point fails (GPU pipeline compilation on first use). */
  loadSeconds: number;
  log: (line: string) => void;
}

const yieldNow = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Rejects after `seconds` with a message; the raced work goes on (it cannot be cancelled). */
export function withTimeout<T>(p: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LoadTimeoutError(`${what} did not finish within ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A load outran its budget; the backend is still busy with it and cannot be used again. */
export class LoadTimeoutError extends Error {
  override name = 'LoadTimeoutError';
}

/** Measures one (backend, size) point. Never throws except LoadTimeoutError; failures become status 'failed'. */
export async function measurePoint(ctx: PointContext, base: PointResult): Promise<PointResult> {
  const { backend, size, profile, timer, log } = ctx;
  const started = performance.now();
  // The point's budget counts from the end of the load (uploads are reported apart, as loadMs).
  let loaded = started;
  const spent = () => (performance.now() - loaded) / 1000;
  const res: PointResult = { ...base };
  const gamma = 1;
  try {
    const problem = benchProblem(size);
    const t0 = performance.now();
    const session: SweepSession = await withTimeout(problem.load(backend), ctx.loadSeconds, `${ctx.backendKind} load at ${size.id}`);
    res.loadMs = performance.now() - t0;
    loaded = performance.now();

    // Probe: one sweep, which sets how many sweeps a repetition needs to last targetRepMs; then
    // the warm-up batches (JIT, caches), while they fit in a third of the point's budget.
    const p0 = performance.now();
    await session.sweep(1, gamma);
    const probe = performance.now() - p0;
    const perRep = Math.max(1, Math.min(profile.maxSweepsPerRep, Math.ceil(profile.targetRepMs / Math.max(probe, 1e-3))));
    let warm = 1;
    for (let i = 0; i < profile.warmup && spent() + (perRep * probe) / 1000 < ctx.seconds / 3; i++) {
      await session.sweep(perRep, gamma);
      warm += perRep;
    }
    res.warmupSweeps = warm;
    res.sweepsPerRep = perRep;

    const left = ctx.seconds - spent();
    let reps = Math.min(profile.reps, Math.floor(left / ((perRep * probe) / 1000)));
    const samples: number[] = [];
    const gpuSamples: number[] = [];
    const c0 = session.counters();
    if (reps < 1) {
      // The probe alone used the budget: report it as the only sample.
      samples.push(probe);
      res.note = `1 sample only (the probe sweep took ${(probe / 1000).toFixed(1)} s, over the point budget)`;
      reps = 0;
    }
    for (let i = 0; i < reps; i++) {
      if (timer) timer.armed = true;
      const s0 = performance.now();
      await session.sweep(perRep, gamma);
      const ms = performance.now() - s0;
      if (timer) {
        timer.armed = false;
        const passes = await timer.collect();
        if (passes.length > 0) gpuSamples.push(passes.reduce((s, p) => s + p.ms, 0) / perRep);
      }
      samples.push(ms / perRep);
      await yieldNow();
    }
    if (reps > 0 && reps < profile.reps) res.note = `${reps} repetition${reps > 1 ? 's' : ''} (point budget ${ctx.seconds} s)`;
    res.reps = Math.max(reps, 1);
    res.msPerSweep = spread(samples);
    if (gpuSamples.length > 0) res.gpuMsPerSweep = median(gpuSamples);
    const med = res.msPerSweep.median;
    res.gflops = res.flopsPerSweep / (med * 1e6);
    res.gbPerS = res.bytesPerSweep / (med * 1e6);
    const c1 = session.counters();
    if (c0 && c1 && reps > 0) {
      const sweeps = c1.sweeps - c0.sweeps;
      if (sweeps > 0) {
        res.dispatchesPerSweep = (c1.dispatches - c0.dispatches) / sweeps;
        res.readbacksPerSweep = (c1.readbacks - c0.readbacks) / sweeps;
        res.submitsPerSweep = (c1.submits - c0.submits) / sweeps;
      }
    }

    if (ctx.backendKind === 'webgpu' && ctx.kernels && profile.kernelReps > 0) {
      // A profiled sweep submits each step alone: allow 1.5 sweeps' time for one.
      const kernelReps = Math.min(profile.kernelReps, Math.floor(((ctx.seconds - spent()) * 1000) / (1.5 * med)));
      if (kernelReps < 1) res.kernelsUnavailable = 'per-kernel profile skipped: over the point budget';
      else {
        const kernels = await profileKernels(session, kernelReps, timer, ctx.noTimestampsNote);
        if (kernels) res.kernels = kernels;
        else res.kernelsUnavailable = 'per-kernel times unavailable: the backend has no per-step profiling (profileSweep)';
      }
    }
    log(`  ${ctx.backendKind.padEnd(6)} ${size.id.padEnd(16)} ${med.toPrecision(4)} ms/sweep (${res.reps}×${perRep} sweeps)` +
      (res.gpuMsPerSweep !== undefined ? `, GPU ${res.gpuMsPerSweep.toPrecision(4)} ms` : '') +
      `, ${res.gflops.toPrecision(3)} GFLOP/s`);
    res.status = 'ok';
  } catch (e) {
    if (e instanceof LoadTimeoutError) throw e;
    res.status = 'failed';
    res.note = `failed: ${(e as Error).message}`;
    log(`  ${ctx.backendKind.padEnd(6)} ${size.id.padEnd(16)} ${res.note}`);
  }
  res.seconds = (performance.now() - started) / 1000;
  return res;
}

/** Per-step times of `reps` profiled sweeps (medians), from timestamps when there is a timer, else wall time; null when the backend cannot profile steps. */
async function profileKernels(session: SweepSession, reps: number, timer: PassTimer | null, noTimestampsNote: string): Promise<KernelProfile | null> {
  const perStep = new Map<string, number[]>();
  const order: string[] = [];
  const add = (list: Array<{ label: string; ms: number }>) => {
    // Steps may repeat within a sweep (refinement re-solves): number the repeats.
    const seen = new Map<string, number>();
    for (const s of list) {
      const k = (seen.get(s.label) ?? 0) + 1;
      seen.set(s.label, k);
      const key = k > 1 ? `${s.label} #${k}` : s.label;
      if (!perStep.has(key)) {
        perStep.set(key, []);
        order.push(key);
      }
      perStep.get(key)!.push(s.ms);
    }
  };
  for (let i = 0; i < reps; i++) {
    if (timer) timer.armed = true;
    const wall: SweepStepTime[] | null = await session.profileSweep(1);
    if (!wall) {
      if (timer) timer.armed = false;
      return null;
    }
    if (timer) {
      timer.armed = false;
      const passes: PassTime[] = await timer.collect();
      add(passes);
    } else {
      add(wall);
    }
    await yieldNow();
  }
  const steps = order.map((label) => ({ label, ms: median(perStep.get(label)!) }));
  return {
    source: timer ? 'timestamp-query' : 'wall-per-step',
    note: timer
      ? 'GPU time of each step\'s compute pass (timestamp queries), median over the profiled sweeps'
      : `${noTimestampsNote}; wall time of each step submitted alone and waited for (includes a submit's overhead)`,
    sweeps: reps,
    totalMs: steps.reduce((s, x) => s + x.ms, 0),
    steps,
    families: families(steps),
  };
}

/** The fields of a point that do not depend on the measurement. */
export function basePoint(size: BenchSize, backend: BackendKind): PointResult {
  return {
    id: size.id, group: size.group, backend,
    r: size.r, n: size.n, m: size.m, T: size.T,
    flopsPerSweep: flopsOf(size),
    bytesPerSweep: sweepBytes(size.r, size.n, size.m, size.T, backend === 'cpu' ? 8 : 4),
    status: 'skipped',
    seconds: 0,
  };
}
