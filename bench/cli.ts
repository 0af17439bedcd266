// `npm run bench`: runs the harness in Node (CPU backend and WebGPU through Dawn) and writes
// README.md (tables), bench.json (everything, with the machine and the adapter) and the SVG
// plots of ms per sweep against T and r into --out.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { acquireGpu, createBackend, isSoftwareAdapter, UserInputError } from 'alm-rnn';
import { bestBaselineFrom, fallbackBaseline, type BaselineChoice } from './harness/end-to-end.ts';
import { parseBenchArgs, USAGE } from './harness/options.ts';
import { renderScalingPlots } from './harness/plots.ts';
import { renderMarkdown } from './harness/report.ts';
import { runHarness } from './harness/run.ts';
import type { PaperDataset } from './harness/sizes.ts';
import type { BenchReport } from './harness/types.ts';
import { openBenchGpu } from './harness/gpu.ts';
import { parseTrialSizes, renderTrialsMarkdown, renderTrialsPlot, runTrialsBench, type TrialsBackendSpec, type TrialsReport } from './harness/trials.ts';
import { PAPER_DATASETS } from './harness/sizes.ts';

/** File names inside --out. */
export const BENCH_FILES = {
  report: 'README.md',
  json: 'bench.json',
  plotT: 'ms-per-sweep-vs-T.svg',
  plotR: 'ms-per-sweep-vs-r.svg',
} as const;

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** The baseline of the experiment runner's results for `dataset`, or the built-in fallback. */
function baselineFor(dataset: PaperDataset, file: string | undefined, log: (s: string) => void): BaselineChoice {
  const path = file ?? `bench/results/experiments/${dataset}/results.json`;
  if (existsSync(path)) {
    try {
      const choice = bestBaselineFrom(JSON.parse(readFileSync(path, 'utf8')), dataset, path);
      if (choice) return choice;
      log(`${path} has no baseline selection for ${dataset}; using the built-in settings`);
    } catch (e) {
      log(`${path} could not be read (${(e as Error).message}); using the built-in settings`);
    }
  } else if (file) {
    throw new UserInputError(`--experiment ${file}: no such file`);
  }
  return fallbackBaseline(dataset);
}

/** The git commit of the checkout and the engine files (src/, shaders/) changed from it; undefined outside a checkout. */
function sourceState(): { commit: string; dirty: string[] } | undefined {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const commit = git('rev-parse', 'HEAD').trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'shaders').split('\n').filter(Boolean).map((l) => l.slice(3));
    return { commit, dirty };
  } catch {
    return undefined;
  }
}

/** Writes the report's files into `dir`; returns their paths. */
export async function writeBenchOutputs(rep: BenchReport, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const plots = await renderScalingPlots(rep);
  let md = renderMarkdown(rep);
  const links: string[] = [];
  const written: string[] = [];
  for (const [axis, name] of [['T', BENCH_FILES.plotT], ['r', BENCH_FILES.plotR]] as const) {
    const svg = plots[axis];
    if (!svg) continue;
    writeAtomic(join(dir, name), svg);
    written.push(join(dir, name));
    links.push(`![ms per sweep against ${axis}](${name})`);
  }
  if (links.length > 0) md += `\n## Scaling\n\n${links.join('\n\n')}\n`;
  writeAtomic(join(dir, BENCH_FILES.report), md);
  writeAtomic(join(dir, BENCH_FILES.json), JSON.stringify(rep, null, 1) + '\n');
  return [join(dir, BENCH_FILES.report), join(dir, BENCH_FILES.json), ...written];
}

/** The usage text of the batched-trials benchmark. */
export const TRIALS_USAGE = `usage: npm run bench -- --trials 1,2,4,8,… [options]

Throughput of batched trials: trial-sweeps per second against the batch size B, per backend
and shape, with the dispatches one batched sweep records (WebGPU).
  --trials LIST           batch sizes, e.g. 1,2,4,8,16,32,64,128,256
  --shapes LIST           ${PAPER_DATASETS.join(', ')} (default sp500,synthetic-large)
  --backends cpu,webgpu   (default both; webgpu is left out, saying why, without an adapter)
  --threads LIST          CPU pool sizes (default 1 and the number of cores)
  --seconds N             timed seconds per point (default 3)
  --max-point-seconds N   skip B (and larger) when one batched sweep takes longer (default 30)
  --out DIR               README.md, trials.json and trials.svg (default bench/results/latest-trials)`;

/** `npm run bench -- --trials …`: the batched-trials benchmark. */
export async function benchTrialsMain(argv: string[], log: (line: string) => void = (s) => console.log(s)): Promise<number> {
  let trials: number[] = [];
  let shapes: string[] = ['sp500', 'synthetic-large'];
  let kinds = ['cpu', 'webgpu'];
  let threads = [...new Set([1, os.availableParallelism()])];
  let seconds = 3;
  let maxPointSeconds = 30;
  let out = 'bench/results/latest-trials';
  try {
    for (let i = 0; i < argv.length; i++) {
      const value = (): string => {
        const v = argv[++i];
        if (v === undefined || v.startsWith('--')) throw new UserInputError(`${argv[i - 1]} needs a value`);
        return v;
      };
      const positive = (flag: string, v: string): number => {
        const x = Number(v);
        if (!(x > 0 && Number.isFinite(x))) throw new UserInputError(`${flag} needs a number > 0, got "${v}"`);
        return x;
      };
      switch (argv[i]) {
        case '--trials': trials = parseTrialSizes(value()); break;
        case '--shapes': shapes = value().split(','); break;
        case '--backends': kinds = value().split(','); break;
        case '--threads': threads = parseTrialSizes(value()); break;
        case '--seconds': seconds = positive('--seconds', value()); break;
        case '--max-point-seconds': maxPointSeconds = positive('--max-point-seconds', value()); break;
        case '--out': out = value(); break;
        case '--help': case '-h': console.log(TRIALS_USAGE); return 0;
        default: throw new UserInputError(`unknown option "${argv[i]}" for --trials\n${TRIALS_USAGE}`);
      }
    }
    for (const s of shapes) if (!(PAPER_DATASETS as readonly string[]).includes(s)) throw new UserInputError(`--shapes: "${s}" is not one of ${PAPER_DATASETS.join(', ')}`);
    for (const k of kinds) if (k !== 'cpu' && k !== 'webgpu') throw new UserInputError(`--backends takes cpu and/or webgpu, got "${k}"`);
  } catch (e) {
    if (e instanceof UserInputError) {
      console.error(`bench: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const notes: string[] = [];
  const backends: TrialsBackendSpec[] = [];
  if (kinds.includes('cpu')) {
    for (const t of threads) backends.push({ label: `cpu ×${t} thread${t === 1 ? '' : 's'}`, kind: 'cpu', threads: t, create: () => createBackend({ backend: 'cpu', workers: t }) });
  }
  let adapter: string | undefined;
  let release = (): void => {};
  if (kinds.includes('webgpu')) {
    try {
      const gpu = await acquireGpu();
      adapter = gpu.description;
      release = () => gpu.device.destroy();
      backends.push({ label: 'webgpu', kind: 'webgpu', create: () => createBackend({ backend: gpu.device }) });
      if (isSoftwareAdapter(gpu.adapterInfo)) notes.push(`WebGPU runs on a software adapter (${adapter}): its figures show correctness and dispatch counts, not GPU speed.`);
    } catch (e) {
      notes.push(`webgpu left out: ${(e as Error).message}`);
    }
  }
  const cpus = os.cpus();
  const command = ['npm run bench --', ...argv].join(' ');
  let points;
  try {
    points = await runTrialsBench({ trials, shapes: shapes as never, backends, seconds, maxPointSeconds, log });
  } finally {
    release();
  }
  const rep: TrialsReport = {
    format: 'alm-rnn/bench-trials@1', command, date: new Date().toISOString(), seconds, points, notes,
    machine: { runtime: `node ${process.version}`, cpu: cpus[0]?.model?.trim(), cores: cpus.length, platform: `${process.platform}-${process.arch}`, adapter, source: sourceState() },
  };
  mkdirSync(out, { recursive: true });
  let md = renderTrialsMarkdown(rep);
  const svg = await renderTrialsPlot(rep);
  if (svg) {
    writeAtomic(join(out, 'trials.svg'), svg);
    md += '\n![trial-sweeps per second against B](trials.svg)\n';
  }
  writeAtomic(join(out, 'README.md'), md);
  writeAtomic(join(out, 'trials.json'), JSON.stringify(rep, null, 1) + '\n');
  log('');
  log(md);
  log(`wrote ${join(out, 'README.md')}, ${join(out, 'trials.json')}${svg ? `, ${join(out, 'trials.svg')}` : ''}`);
  return 0;
}

/** Runs the bench with command-line arguments; returns the exit code. */
export async function benchMain(argv: string[], log: (line: string) => void = (s) => console.log(s)): Promise<number> {
  if (argv.includes('--trials')) return benchTrialsMain(argv, log);
  let args;
  try {
    args = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof UserInputError) {
      console.error(`bench: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const cpus = os.cpus();
  const rep = await runHarness(args.harness, {
    machine: {
      runtime: `node ${process.version}`,
      cpu: cpus[0]?.model?.trim(),
      cores: cpus.length,
      memoryGiB: os.totalmem() / 2 ** 30,
      platform: `${process.platform}-${process.arch}`,
      node: process.version,
    },
    openGpu: () => openBenchGpu(() => {
      const icd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
      const flags = args.dawnFlags.length ? `, flags ${args.dawnFlags.join(' ')}` : '';
      return `node ${process.version}: Dawn (webgpu package)${flags}${icd ? `, Vulkan driver ${icd}` : ''}`;
    }, args.dawnFlags.length > 0 ? { dawnFlags: args.dawnFlags } : {}),
    baselineFor: (d) => baselineFor(d, args.experiment, log),
    log,
    loadAverage: () => os.loadavg()[0],
    // bench/main.ts exits when the report is written, so a device left compiling costs nothing.
    leaveDeadDevice: true,
    source: sourceState(),
  });
  const files = await writeBenchOutputs(rep, args.out);
  log('');
  log(renderMarkdown(rep).split('\n## Notes')[0]);
  log(`wrote ${files.join(', ')}`);
  return 0;
}
