// The shapes of what the harness measures and writes (bench JSON format alm-rnn/bench@1).
import type { AdapterReport } from './gpu.ts';
import type { SizeGroup } from './sizes.ts';

/** Format tag of the JSON the harness writes. */
export const BENCH_FORMAT = 'alm-rnn/bench@1';

export type BackendKind = 'cpu' | 'webgpu';

/** Summary of repeated timings (ms). */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Median absolute deviation from the median. */
  mad: number;
  samples: number[];
}

/** GPU time of one kernel family (its steps' times added) in one sweep. */
export interface FamilyTime {
  family: string;
  ms: number;
  /** Share of the profiled sweep's total. */
  share: number;
}

/** Where each step of a sweep spends its time on the GPU. */
export interface KernelProfile {
  /** timestamp-query: GPU time of each step's compute pass; wall-per-step: each step submitted alone and waited for. */
  source: 'timestamp-query' | 'wall-per-step';
  note: string;
  /** Profiled sweeps the medians are taken over. */
  sweeps: number;
  /** Sum of the steps' medians, ms. */
  totalMs: number;
  steps: Array<{ label: string; ms: number }>;
  families: FamilyTime[];
}

/** One (backend, size) measurement. */
export interface PointResult {
  id: string;
  group: SizeGroup;
  backend: BackendKind;
  r: number;
  n: number;
  m: number;
  T: number;
  flopsPerSweep: number;
  /** Bytes one sweep must move (model: bench/flops.ts sweepBytes), at the backend's precision. */
  bytesPerSweep: number;
  status: 'ok' | 'skipped' | 'failed';
  /** Why skipped or failed, or what is unusual about the measurement. */
  note?: string;
  /** Upload and set-up (pipelines on the first GPU load), ms. */
  loadMs?: number;
  /** Untimed sweeps before the repetitions. */
  warmupSweeps?: number;
  reps?: number;
  sweepsPerRep?: number;
  /** Wall-clock ms per sweep over the repetitions (a repetition is one sweep() call, submit to completion). */
  msPerSweep?: Spread;
  /** GPU time per sweep from timestamps on the sweep passes (median over repetitions). */
  gpuMsPerSweep?: number;
  /** Achieved GFLOP/s at the median (docs/method.md §7 flops). */
  gflops?: number;
  /** Achieved GB/s of the byte model at the median. */
  gbPerS?: number;
  /** WebGPU: compute dispatches, buffer read-backs and queue submits per sweep during the repetitions. */
  dispatchesPerSweep?: number;
  readbacksPerSweep?: number;
  submitsPerSweep?: number;
  kernels?: KernelProfile;
  /** Why there is no kernel profile for this point. */
  kernelsUnavailable?: string;
  /** Wall time spent on the point, s. */
  seconds: number;
}

/** One method's run in the end-to-end comparison. */
export interface EndToEndRun {
  /** "ALM (cpu)", "ALM (webgpu)", "GDC lr=0.1 clip=1.5 (he)". */
  label: string;
  method: string;
  backend: BackendKind;
  status: 'ok' | 'skipped' | 'failed';
  note?: string;
  /** Seconds to the first evaluation with TestErr ≤ target, or null if never reached. */
  secondsToTarget: number | null;
  /** Iterations (ALM sweeps, or baseline epochs) to the target. */
  iterationsToTarget: number | null;
  bestTestErr: number | null;
  finalTestErr: number | null;
  finalTrainErr: number | null;
  /** Sweeps or epochs run, and wall seconds. */
  iterations: number;
  seconds: number;
  /** Whether the run stopped on the time cap before its iteration cap. */
  timeCapped: boolean;
  /** (seconds, TestErr) after every outer iteration or epoch, thinned. */
  curve: Array<[number, number]>;
}

/** The end-to-end comparison: time to a target TestErr. */
export interface EndToEndResult {
  dataset: string;
  shape: { r: number; n: number; m: number; T1: number; T: number };
  target: number;
  /** How the target was chosen. */
  targetRule: string;
  /** Where the baseline's settings came from. */
  baselineSource: string;
  almCaps: { outer: number; inner: number };
  secondsCap: number;
  runs: EndToEndRun[];
}

/** Everything about the machine that ran the harness. */
export interface MachineReport {
  runtime: string;
  cpu?: string;
  cores?: number;
  memoryGiB?: number;
  platform?: string;
  node?: string;
  userAgent?: string;
  /** 1-minute load average at the start and end (Node): other work on the machine skews times. */
  loadAverage?: { start: number; end?: number };
}

/** The whole output of one harness run. */
export interface BenchReport {
  format: typeof BENCH_FORMAT;
  profile: string;
  profileDescription: string;
  command: string;
  started: string;
  finished: string;
  seconds: number;
  machine: MachineReport;
  /** The code measured: git commit and the engine files changed from it (Node, in a checkout). */
  source?: { commit: string; dirty: string[] };
  /** Null when no WebGPU adapter was used; `gpuUnavailable` then says why. */
  adapter: AdapterReport | null;
  gpuUnavailable?: string;
  /** The first WebGPU load (every pipeline compiled), ms; not part of any point. */
  gpuSetupMs?: number;
  backends: BackendKind[];
  /** Descriptions of the backends measured. */
  backendDescriptions: Partial<Record<BackendKind, string>>;
  settings: Record<string, unknown>;
  points: PointResult[];
  endToEnd?: EndToEndResult;
  notes: string[];
}
