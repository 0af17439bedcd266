// The harness: for every size and backend, time BCD sweeps within a budget, then the
// end-to-end comparison. Runtime-neutral: Node (bench/main.ts) and the demo's benchmark page
// (demo/bench/) give it a GPU opener, a machine description and a log.
import { createBackend, type BcdBackend } from 'alm-rnn';
import { runEndToEnd, type BaselineChoice } from './end-to-end.ts';
import type { BenchGpu } from './gpu.ts';
import { basePoint, benchProblem, LoadTimeoutError, measurePoint, withTimeout } from './measure.ts';
import { withHeartbeat } from './progress.ts';
import { filterSizes, flopsOf, paperSize, planSizes, shapeOf, type PaperDataset, type Profile } from './sizes.ts';
import { BENCH_FORMAT, type BackendKind, type BenchReport, type MachineReport, type PointResult } from './types.ts';

/** What a harness run measures (a profile, narrowed or stretched by flags). */
export interface HarnessOptions {
  profile: Profile;
  backends: BackendKind[];
  /** Size filter (see filterSizes); empty: all of the profile's sizes. */
  sizes: string[];
  kernels: boolean;
  endToEnd: boolean;
  /** A fixed target TestErr for the end-to-end runs. */
  target?: number;
  /** The command line or page settings, for the report. */
  command: string;
}

/** What the runtime provides. */
export interface HarnessEnv {
  machine: MachineReport;
  /** Opens a WebGPU device (throws when there is none). */
  openGpu: () => Promise<BenchGpu>;
  /** The gradient baseline to compare with on a data set. */
  baselineFor: (dataset: PaperDataset) => BaselineChoice;
  log: (line: string) => void;
  /** The machine's 1-minute load average now (Node), for the report. */
  loadAverage?: () => number;
  /**
   * Node: when the WebGPU set-up ran out of time, leave the device alone rather than destroy it:
   * Dawn's destroy() blocks the thread until the pipeline compilation in flight ends (a minute
   * or more on a software adapter, with nothing said meanwhile); the caller exits instead.
   */
  leaveDeadDevice?: boolean;
  /** The code measured (git commit and changed engine files), when known. */
  source?: { commit: string; dirty: string[] };
}

/** Fewest timed repetitions a point is started for. */
const MIN_REPS = 2;

/**
 * Estimated ms per sweep at `flops` from the backend's measured points: extrapolated along the
 * line through the two largest smaller points (cost = overhead + slope × flops, never below the
 * larger point), or proportionally from the one smaller point (an upper bound: part of that
 * point's time may be fixed overhead); undefined before any point.
 */
export function estimateMs(measured: PointResult[], flops: number): { ms: number; from: string; upperBound?: boolean } | undefined {
  const ok = measured.filter((p) => p.status === 'ok' && p.msPerSweep).sort((a, b) => a.flopsPerSweep - b.flopsPerSweep);
  if (ok.length === 0) return undefined;
  const below = ok.filter((p) => p.flopsPerSweep <= flops);
  const t = (p: PointResult) => p.msPerSweep!.median;
  if (below.length === 0) return { ms: t(ok[0]), from: ok[0].id };
  const p2 = below[below.length - 1];
  if (below.length === 1) return { ms: t(p2) * (flops / p2.flopsPerSweep), from: p2.id, upperBound: true };
  const p1 = below[below.length - 2];
  const df = p2.flopsPerSweep - p1.flopsPerSweep;
  const slope = df > 0 ? Math.max(0, (t(p2) - t(p1)) / df) : t(p2) / p2.flopsPerSweep;
  return { ms: t(p2) + slope * (flops - p2.flopsPerSweep), from: `${p1.id} and ${p2.id}` };
}

/** Runs the harness and returns its report (the caller writes or shows it). */
export async function runHarness(opts: HarnessOptions, env: HarnessEnv): Promise<BenchReport> {
  const { profile } = opts;
  const log = env.log;
  const started = new Date();
  const tStart = performance.now();
  const notes: string[] = [];
  const machine: MachineReport = { ...env.machine };
  if (env.loadAverage) machine.loadAverage = { start: env.loadAverage() };

  let gpu: BenchGpu | null = null;
  let gpuUnavailable: string | undefined;
  const backends = [...opts.backends];
  if (backends.includes('webgpu')) {
    try {
      gpu = await env.openGpu();
      log(`WebGPU adapter: ${gpu.report.line}; timestamp-query ${gpu.report.timestampQuery ? 'yes' : 'no'}`);
      if (gpu.report.software) notes.push(`The WebGPU adapter is ${gpu.report.line}: GPU columns measure a software rasteriser on this CPU, not a GPU.`);
    } catch (e) {
      gpuUnavailable = `no WebGPU device: ${(e as Error).message}`;
      log(gpuUnavailable);
      backends.splice(backends.indexOf('webgpu'), 1);
    }
  }

  // Per-size points run one trial (B = 1), each backend made as a user makes one: the CPU in
  // this thread (no worker's messages in the times), WebGPU on the bench's (timed) device.
  const create = (kind: BackendKind): Promise<BcdBackend> =>
    createBackend(kind === 'cpu' ? { backend: 'cpu', workers: 0 } : { backend: gpu!.device });
  const instances: Partial<Record<BackendKind, BcdBackend>> = {};
  for (const k of backends) instances[k] = await create(k);
  const descriptions: Partial<Record<BackendKind, string>> = {};
  for (const k of backends) descriptions[k] = instances[k]!.info.description;

  // Set-up: the first load on a device compiles every pipeline (tens of seconds on a software
  // adapter); it is timed apart so that it does not count against the first point.
  let gpuDead: string | undefined;
  let gpuSetupMs: number | undefined;
  if (instances.webgpu) {
    const problem = benchProblem(paperSize('synthetic-small'));
    const s0 = performance.now();
    try {
      await withHeartbeat(
        withTimeout(problem.load(instances.webgpu), profile.gpuSetupSeconds, 'WebGPU set-up (pipeline compilation)'),
        'compiling the WebGPU pipelines', log,
        `compiling the WebGPU pipelines (once per device; 15–50 s on a software adapter, at most ${profile.gpuSetupSeconds} s: --gpu-setup-seconds)`,
      );
      gpuSetupMs = performance.now() - s0;
      notes.push(`WebGPU set-up (compiling every pipeline once per device, on the first load) took ${(gpuSetupMs / 1000).toFixed(1)} s; it is not in any point's times.`);
      log(`WebGPU set-up ${(gpuSetupMs / 1000).toFixed(1)} s`);
    } catch (e) {
      gpuDead = e instanceof LoadTimeoutError
        ? `${e.message} (the ${profile.name} profile allows ${profile.gpuSetupSeconds} s: --gpu-setup-seconds); WebGPU points skipped`
        : `WebGPU set-up failed: ${(e as Error).message}; WebGPU points skipped`;
      notes.push(gpuDead);
      log(gpuDead);
    }
  }
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;

  const e2e = profile.endToEnd;
  const e2eReserve = opts.endToEnd ? (backends.filter((k) => !(k === 'webgpu' && gpuDead)).length + 1) * e2e.seconds : 0;
  const sweepBudget = profile.maxSeconds - e2eReserve;
  const plan = filterSizes(planSizes(profile), opts.sizes);
  // Measured from the cheapest to the dearest, so that each estimate extrapolates from the
  // nearest smaller points; the report keeps the plan's order.
  const sizes = [...plan].sort((a, b) => flopsOf(a) - flopsOf(b));
  log(`profile ${profile.name}: ${sizes.length} sizes × ${backends.join(', ')}; ${sweepBudget.toFixed(0)} s for sweep timing` +
    (opts.endToEnd ? `, ${e2eReserve} s set aside for the end-to-end runs` : ''));

  const points: PointResult[] = [];
  for (const size of sizes) {
    log(`${size.id} (${shapeOf(size)}, ${(flopsOf(size) / 1e9).toPrecision(3)} GFLOP/sweep)`);
    for (const kind of backends) {
      const base = basePoint(size, kind);
      const mine = points.filter((p) => p.backend === kind);
      const left = sweepBudget - elapsed();
      const skip = (note: string, said = false) => {
        points.push({ ...base, status: 'skipped', note });
        if (!said) log(`  ${kind.padEnd(6)} ${size.id.padEnd(16)} ${note}`);
      };
      if (kind === 'webgpu' && gpuDead) {
        // Said once, when the device gave out; not again at every size.
        skip(`skipped: ${gpuDead}`, true);
        continue;
      }
      if (kind === 'cpu' && base.flopsPerSweep > profile.cpuMaxFlops) {
        skip(`skipped: the ${profile.name} profile limits the CPU to ${(profile.cpuMaxFlops / 1e9).toPrecision(2)} GFLOP per sweep`);
        continue;
      }
      if (left <= 0) {
        skip(`skipped: the run's budget of ${profile.maxSeconds} s was spent`);
        continue;
      }
      const est = estimateMs(mine, base.flopsPerSweep);
      const pointSeconds = Math.min(profile.pointSeconds, left);
      // From one point the estimate is only an upper bound (it may be all overhead, as on a GPU):
      // the point is then measured, its one-sweep probe showing what it costs.
      if (est && !est.upperBound && (est.ms * (1 + MIN_REPS)) / 1000 > pointSeconds) {
        skip(`skipped: estimated ${(est.ms / 1000).toPrecision(2)} s per sweep (extrapolated by flops from ${est.from}), ` +
          `${1 + MIN_REPS} sweeps would exceed the ${pointSeconds.toFixed(0)} s point budget`);
        continue;
      }
      try {
        const res = await withHeartbeat(measurePoint(
          {
            backendKind: kind, backend: instances[kind]!, size, profile,
            seconds: pointSeconds,
            timer: kind === 'webgpu' ? gpu!.timer : null,
            kernels: opts.kernels,
            noTimestampsNote: gpu?.report.timestampNote ?? '',
            loadSeconds: Math.max(60, 2 * profile.pointSeconds),
            log,
          },
          base,
        ), `timing ${kind} at ${size.id}`, log);
        points.push(res);
      } catch (e) {
        if (!(e instanceof LoadTimeoutError)) throw e;
        gpuDead = `${e.message}; later WebGPU points skipped`;
        notes.push(gpuDead);
        skip(`skipped: ${gpuDead}`);
      }
    }
  }

  const order = new Map(plan.map((s, i) => [s.id, i]));
  points.sort((a, b) => order.get(a.id)! - order.get(b.id)! || (a.backend === 'cpu' ? -1 : 1));

  let endToEnd: BenchReport['endToEnd'];
  if (opts.endToEnd) {
    log(`end to end on ${e2e.dataset}`);
    const e2eBackends = backends
      .map((kind) => ({
        kind,
        ...(kind === 'webgpu' && gpuDead ? { skipped: `skipped: ${gpuDead}` } : {}),
        create: () => create(kind),
      }));
    endToEnd = await runEndToEnd({
      dataset: e2e.dataset, outer: e2e.outer, inner: e2e.inner, maxEpochs: e2e.maxEpochs, seconds: e2e.seconds,
      backends: e2eBackends, baseline: env.baselineFor(e2e.dataset), target: opts.target, log,
    });
    for (const r of endToEnd.runs.filter((x) => x.status !== 'skipped')) {
      log(`  ${r.label}: ${r.secondsToTarget !== null ? `target in ${r.secondsToTarget.toFixed(2)} s` : 'target not reached'}, best TestErr ${r.bestTestErr?.toPrecision(4) ?? '—'}`);
    }
  }

  if (gpuDead && env.leaveDeadDevice) {
    log('WebGPU set-up did not finish: the device is left to the end of the process (destroying it would wait for that compilation)');
    for (const k of backends) if (k !== 'webgpu') instances[k]!.dispose();
  } else {
    // A load still in flight holds the device; destroying it ends that work.
    if (gpuDead) log('WebGPU set-up did not finish; destroying the device');
    for (const k of backends) instances[k]!.dispose();
    gpu?.release();
  }
  if (env.loadAverage && machine.loadAverage) machine.loadAverage.end = env.loadAverage();

  return {
    format: BENCH_FORMAT,
    profile: profile.name,
    profileDescription: profile.description,
    command: opts.command,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    seconds: (performance.now() - tStart) / 1000,
    machine,
    ...(env.source ? { source: env.source } : {}),
    adapter: gpu ? gpu.report : null,
    ...(gpuSetupMs !== undefined ? { gpuSetupMs } : {}),
    ...(gpuUnavailable ? { gpuUnavailable } : {}),
    backends,
    backendDescriptions: descriptions,
    settings: {
      reps: profile.reps, warmup: profile.warmup, targetRepMs: profile.targetRepMs, maxSweepsPerRep: profile.maxSweepsPerRep,
      pointSeconds: profile.pointSeconds, maxSeconds: profile.maxSeconds, gpuSetupSeconds: profile.gpuSetupSeconds,
      cpuMaxFlops: Number.isFinite(profile.cpuMaxFlops) ? profile.cpuMaxFlops : null,
      kernelReps: opts.kernels ? profile.kernelReps : 0, sizes: opts.sizes, gamma: 1, activation: 'relu',
      endToEnd: opts.endToEnd ? profile.endToEnd : null,
    },
    points,
    ...(endToEnd ? { endToEnd } : {}),
    notes,
  };
}
