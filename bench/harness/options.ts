// Command-line flags of `npm run bench` (and of the benchmark page's query string), parsed into
// harness options: a profile, narrowed or stretched by flags.
import { UserInputError } from 'alm-rnn';
import { checkSizeFilter, PAPER_DATASETS, planSizes, PROFILES, type PaperDataset, type Profile, type ProfileName } from './sizes.ts';
import type { BackendKind } from './types.ts';
import type { HarnessOptions } from './run.ts';

/** Parsed flags. */
export interface BenchArgs {
  harness: HarnessOptions;
  /** Output folder (Node). */
  out: string;
  /** The experiment runner's results.json to take the baseline from (Node). */
  experiment?: string;
  /** Dawn create() flags (Node). */
  dawnFlags: string[];
  help: boolean;
}

/** The usage text. */
export const USAGE = `usage: npm run bench -- [options]

  --quick                 tiny sizes, under a minute: checks that the harness runs (CI)
  --device-profile        a big GPU: T up to 100 000 and r up to 512 on the GPU, the CPU limited to ≤ 1 GFLOP/sweep
  --profile quick|full|device   (default full: this kind of machine, about 15 minutes)
  --out DIR               where README.md (tables), bench.json and the SVG plots go (default bench/results/latest)
  --backends cpu,webgpu   backends to measure (default both; webgpu is left out, with the reason, when there is no adapter)
  --sizes LIST            only these sizes: groups paper,T,r; ids sp500, T=1000, r=256; bounds T<=10000, r<=256
  --max-seconds N         budget of the whole run (points that would exceed it are skipped, saying so)
  --point-seconds N       budget of one backend at one size
  --gpu-setup-seconds N   how long the first WebGPU load (pipeline compilation) may take
  --reps N, --warmup N    timed repetitions and warm-up batches per point
  --no-kernels            no per-kernel GPU profile
  --no-e2e                no end-to-end comparison
  --e2e-dataset NAME      synthetic-small, sp500 or synthetic-large
  --e2e-seconds N         time cap of each end-to-end run
  --target X              target TestErr of the end-to-end runs (default: a level both methods reach)
  --experiment FILE       the experiment runner's results.json for the baseline (default
                          bench/results/experiments/<data set>/results.json when it exists)
  --dawn-flags A,B        flags for Dawn's create() in Node, e.g. backend=vulkan`;

function number(flag: string, v: string | undefined, min: number, integer = false): number {
  const x = Number(v);
  if (v === undefined || !Number.isFinite(x) || x < min || (integer && !Number.isInteger(x))) {
    throw new UserInputError(`${flag} needs ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${v === undefined ? 'nothing' : `"${v}"`}`);
  }
  return x;
}

function list(v: string | undefined, flag: string): string[] {
  if (v === undefined || v.startsWith('--')) throw new UserInputError(`${flag} needs a value`);
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Parses the bench's flags; throws UserInputError naming the bad flag. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  let profileName: ProfileName = 'full';
  const over: Partial<Profile> = {};
  const e2eOver: Partial<Profile['endToEnd']> = {};
  let backends: BackendKind[] = ['cpu', 'webgpu'];
  let sizes: string[] = [];
  let kernels = true;
  let endToEnd = true;
  let target: number | undefined;
  let out = 'bench/results/latest';
  let experiment: string | undefined;
  let dawnFlags: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=') && a.startsWith('--') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--quick': profileName = 'quick'; break;
      case '--device-profile': profileName = 'device'; break;
      case '--profile': {
        const v = value();
        if (v !== 'quick' && v !== 'full' && v !== 'device') throw new UserInputError(`--profile must be quick, full or device, got "${v}"`);
        profileName = v;
        break;
      }
      case '--out': {
        const v = value();
        if (!v) throw new UserInputError('--out needs a folder');
        out = v;
        break;
      }
      case '--backends': {
        const v = list(value(), flag);
        for (const b of v) if (b !== 'cpu' && b !== 'webgpu') throw new UserInputError(`--backends takes cpu and/or webgpu, got "${b}"`);
        backends = [...new Set(v)] as BackendKind[];
        if (backends.length === 0) throw new UserInputError('--backends needs at least one of cpu, webgpu');
        break;
      }
      case '--sizes': sizes = list(value(), flag); break;
      case '--max-seconds': over.maxSeconds = number(flag, value(), 1); break;
      case '--point-seconds': over.pointSeconds = number(flag, value(), 0.1); break;
      case '--gpu-setup-seconds': over.gpuSetupSeconds = number(flag, value(), 1); break;
      case '--reps': over.reps = number(flag, value(), 1, true); break;
      case '--warmup': over.warmup = number(flag, value(), 1, true); break;
      case '--no-kernels': kernels = false; break;
      case '--no-e2e': endToEnd = false; break;
      case '--e2e-dataset': {
        const v = value();
        if (!(PAPER_DATASETS as readonly string[]).includes(v ?? '')) throw new UserInputError(`--e2e-dataset must be one of ${PAPER_DATASETS.join(', ')}, got "${v}"`);
        e2eOver.dataset = v as PaperDataset;
        break;
      }
      case '--e2e-seconds': e2eOver.seconds = number(flag, value(), 1); break;
      case '--target': target = number(flag, value(), 0); break;
      case '--experiment': experiment = value(); break;
      case '--dawn-flags': dawnFlags = list(value(), flag); break;
      case '--help': case '-h': help = true; break;
      default: throw new UserInputError(`unknown option "${a}"\n${USAGE}`);
    }
  }
  const base = PROFILES[profileName];
  const profile: Profile = { ...base, ...over, endToEnd: { ...base.endToEnd, ...e2eOver } };
  if (sizes.length > 0) checkSizeFilter(planSizes(profile), sizes);
  const command = ['npm run bench --', ...argv].join(' ').replace(/ --$/, '');
  return {
    harness: { profile, backends, sizes, kernels, endToEnd, ...(target !== undefined ? { target } : {}), command },
    out, experiment, dawnFlags, help,
  };
}
