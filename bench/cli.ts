// `npm run bench`: runs the harness in Node (CPU backend and WebGPU through Dawn) and writes
// README.md (tables), bench.json (everything, with the machine and the adapter) and the SVG
// plots of ms per sweep against T and r into --out.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { UserInputError } from '../src/errors.ts';
import { bestBaselineFrom, fallbackBaseline, type BaselineChoice } from './harness/end-to-end.ts';
import { parseBenchArgs, USAGE } from './harness/options.ts';
import { renderScalingPlots } from './harness/plots.ts';
import { renderMarkdown } from './harness/report.ts';
import { runHarness } from './harness/run.ts';
import type { PaperDataset } from './harness/sizes.ts';
import type { BenchReport } from './harness/types.ts';
import { openBenchGpu } from './harness/gpu.ts';

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

/** Runs the bench with command-line arguments; returns the exit code. */
export async function benchMain(argv: string[], log: (line: string) => void = (s) => console.log(s)): Promise<number> {
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
    }, { dawnFlags: args.dawnFlags }),
    baselineFor: (d) => baselineFor(d, args.experiment, log),
    log,
    loadAverage: () => os.loadavg()[0],
    source: sourceState(),
  });
  const files = await writeBenchOutputs(rep, args.out);
  log('');
  log(renderMarkdown(rep).split('\n## Notes')[0]);
  log(`wrote ${files.join(', ')}`);
  return 0;
}
