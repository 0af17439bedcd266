// The problem sizes the harness measures: the paper's three set-ups (with their own data), then
// scaling series in T and in r at fixed other sizes (random data: a sweep's cost does not
// depend on the values). Profiles fix the series, the repetitions and the time budgets.
import { sweepProblem, UserInputError } from 'alm-rnn';
import { loadDataset, type DatasetOptions } from 'alm-rnn/datasets';
import { sweepFlops } from '../flops.ts';

/** Which part of the plan a size belongs to. */
export type SizeGroup = 'paper' | 'T' | 'r';

/** One problem size: hidden r, inputs n, targets m, training length T. */
export interface BenchSize {
  /** Stable id, e.g. "sp500", "T=1000", "r=256". */
  id: string;
  group: SizeGroup;
  r: number;
  n: number;
  m: number;
  T: number;
  /** The registered data set whose training part is used (paper sizes); random data otherwise. */
  dataset?: PaperDataset;
}

/** The paper's three data sets. */
export const PAPER_DATASETS = ['synthetic-small', 'sp500', 'synthetic-large'] as const;
export type PaperDataset = (typeof PAPER_DATASETS)[number];

/** Name of a profile. */
export type ProfileName = 'quick' | 'full' | 'device';

/** What a profile measures and how long it may take. */
export interface Profile {
  name: ProfileName;
  /** One line for reports. */
  description: string;
  /** Fixed r, n, m of the T series. */
  tBase: { r: number; n: number; m: number };
  tValues: number[];
  /** Fixed n, m, T of the r series. */
  rBase: { n: number; m: number; T: number };
  rValues: number[];
  /** Paper sizes included. */
  paper: PaperDataset[];
  /** Timed repetitions per point (fewer when a point's budget does not allow them). */
  reps: number;
  /** Untimed warm-up batches (of a repetition's size) after the one-sweep probe (JIT, caches). */
  warmup: number;
  /** A repetition runs enough sweeps to last at least this long (timer resolution, submit overhead). */
  targetRepMs: number;
  /** Most sweeps in one repetition. */
  maxSweepsPerRep: number;
  /** Budget of one (backend, size) point, seconds; points estimated above it are skipped. */
  pointSeconds: number;
  /** Budget of the whole run, seconds (the end-to-end runs' caps are set aside from it first). */
  maxSeconds: number;
  /** Seconds the first WebGPU load may take (it compiles every pipeline: slow on a software adapter). */
  gpuSetupSeconds: number;
  /** The CPU backend measures only sizes up to this many flops per sweep (Infinity: no limit but time). */
  cpuMaxFlops: number;
  /** Per-kernel profiling repetitions on the GPU (0: none). */
  kernelReps: number;
  /** End-to-end comparison: data set, ALM caps, baseline epoch cap, seconds per method at most. */
  endToEnd: { dataset: PaperDataset; outer: number; inner: number; maxEpochs: number; seconds: number };
}

const T_SERIES = [100, 300, 1000, 3000, 10_000, 30_000, 100_000];
const R_SERIES = [10, 20, 50, 100, 200, 300, 512];

/** The profiles: quick (CI, well under a minute), full (a workstation, ~15 min), device (a big GPU, ~5 min). */
export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  quick: {
    name: 'quick',
    description: 'quick: tiny sizes, checks that the harness runs and its outputs are well-formed (CI)',
    tBase: { r: 8, n: 4, m: 2 },
    tValues: [32, 64, 128],
    rBase: { n: 4, m: 2, T: 64 },
    rValues: [4, 8, 16],
    paper: ['synthetic-small'],
    reps: 3,
    warmup: 1,
    targetRepMs: 5,
    maxSweepsPerRep: 10,
    pointSeconds: 3,
    maxSeconds: 20,
    gpuSetupSeconds: 40,
    cpuMaxFlops: Infinity,
    kernelReps: 1,
    endToEnd: { dataset: 'synthetic-small', outer: 5, inner: 5, maxEpochs: 50, seconds: 3 },
  },
  full: {
    name: 'full',
    description: 'full: the paper sizes, T 100…100 000 at r=100, n=80, m=30, r 10…512 at T=450, n=80, m=30',
    tBase: { r: 100, n: 80, m: 30 },
    tValues: T_SERIES,
    rBase: { n: 80, m: 30, T: 450 },
    rValues: R_SERIES,
    paper: [...PAPER_DATASETS],
    reps: 5,
    warmup: 1,
    targetRepMs: 200,
    maxSweepsPerRep: 50,
    pointSeconds: 45,
    maxSeconds: 780,
    gpuSetupSeconds: 300,
    cpuMaxFlops: Infinity,
    kernelReps: 3,
    endToEnd: { dataset: 'sp500', outer: 50, inner: 100, maxEpochs: 5000, seconds: 60 },
  },
  device: {
    name: 'device',
    description: 'device: a big GPU; the full series (T up to 100 000, r up to 512) on the GPU, the CPU only up to 1 GFLOP per sweep',
    tBase: { r: 100, n: 80, m: 30 },
    tValues: T_SERIES,
    rBase: { n: 80, m: 30, T: 450 },
    rValues: [10, 20, 50, 100, 200, 300, 400, 512],
    paper: [...PAPER_DATASETS],
    reps: 7,
    warmup: 2,
    targetRepMs: 100,
    maxSweepsPerRep: 100,
    pointSeconds: 8,
    maxSeconds: 180,
    gpuSetupSeconds: 120,
    cpuMaxFlops: 1e9,
    kernelReps: 3,
    endToEnd: { dataset: 'sp500', outer: 50, inner: 100, maxEpochs: 5000, seconds: 15 },
  },
});

const loadedCache = new Map<PaperDataset, DatasetOptions>();

/** A paper data set as train() options (seed 1): the harness measures the problem train({ ...loadDataset(name) }) solves. */
export function paperData(name: PaperDataset): DatasetOptions {
  let d = loadedCache.get(name);
  if (!d) {
    d = loadDataset(name, { seed: 1 });
    loadedCache.set(name, d);
  }
  return d;
}

const sizeCache = new Map<PaperDataset, BenchSize>();

/** The size of a paper set-up: its training length T1 and default hidden size. */
export function paperSize(name: PaperDataset): BenchSize {
  let size = sizeCache.get(name);
  if (!size) {
    const { T, n, m, r } = sweepProblem(paperData(name)).shape;
    size = { id: name, group: 'paper', r, n, m, T, dataset: name };
    sizeCache.set(name, size);
  }
  return size;
}

/** τ of the random-data sizes: synthetic-large's, the paper set-up whose n and m they share. */
export function randomDataTau(): number {
  return paperData('synthetic-large').params.tau!;
}

/** Every size of a profile, in the order they are measured: paper, then T ascending, then r ascending. */
export function planSizes(p: Profile): BenchSize[] {
  const sizes: BenchSize[] = p.paper.map(paperSize);
  for (const T of [...p.tValues].sort((a, b) => a - b)) sizes.push({ id: `T=${T}`, group: 'T', ...p.tBase, T });
  for (const r of [...p.rValues].sort((a, b) => a - b)) sizes.push({ id: `r=${r}`, group: 'r', ...p.rBase, r });
  return sizes;
}

/**
 * Keeps the sizes a filter names: groups ("paper", "T", "r"), ids ("sp500", "T=1000", "r=256"),
 * or bounds ("T<=10000", "r<=256"); an empty filter keeps all.
 */
export function filterSizes(sizes: BenchSize[], filter: string[]): BenchSize[] {
  if (filter.length === 0) return sizes;
  checkSizeFilter(sizes, filter);
  const bounds = filter.map((f) => /^(T|r)<=(\d+)$/.exec(f)).filter((x): x is RegExpExecArray => x !== null);
  const names = filter.filter((f) => !/^(T|r)<=\d+$/.test(f));
  return sizes.filter((s) => {
    if (names.length > 0 && !names.includes(s.group) && !names.includes(s.id)) return false;
    for (const b of bounds) if (s[b[1] as 'T' | 'r'] > Number(b[2])) return false;
    return true;
  });
}

/**
 * Refuses a filter entry that is none of a group, a size id, or a bound such as
 * "T<=10000" (so "T<=abc" is an error, not a filter that silently keeps nothing), and a
 * filter that keeps none of the sizes.
 */
export function checkSizeFilter(sizes: BenchSize[], filter: string[]): void {
  const groups: string[] = [...new Set(sizes.map((s) => s.group))];
  for (const f of filter) {
    // An id of another profile (r=256 on the quick one) is well-formed: only "keeps none" refuses it.
    if (/^(T|r)(<=|=)\d+$/.test(f) || groups.includes(f) || sizes.some((s) => s.id === f) || (PAPER_DATASETS as readonly string[]).includes(f)) continue;
    throw new UserInputError(
      `--sizes: "${f}" is not a size group (${groups.join(', ')}), a size id (${sizes.slice(0, 4).map((s) => s.id).join(', ')}, …) ` +
        'or a bound (T<=10000, r<=256)',
    );
  }
  const names = filter.filter((f) => !/^(T|r)<=\d+$/.test(f));
  const bounds = filter.map((f) => /^(T|r)<=(\d+)$/.exec(f)).filter((x): x is RegExpExecArray => x !== null);
  const kept = sizes.filter((s) => (names.length === 0 || names.includes(s.group) || names.includes(s.id))
    && bounds.every((b) => s[b[1] as 'T' | 'r'] <= Number(b[2])));
  if (kept.length === 0) throw new UserInputError(`--sizes ${filter.join(',')} keeps none of the profile's ${sizes.length} sizes`);
}

/** Flops of one sweep at a size (docs/method.md §7). */
export function flopsOf(s: BenchSize): number {
  return sweepFlops(s.r, s.n, s.m, s.T);
}

/** A short description such as "r=100 n=80 m=30 T=450". */
export function shapeOf(s: BenchSize): string {
  return `r=${s.r} n=${s.n} m=${s.m} T=${s.T}`;
}
