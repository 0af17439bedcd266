// The command line's backend choice (--backend, --threads, --cpu-kernels), made by the public
// API's own resolution (src/api/backend.ts) on Node's platform, so the CLI chooses exactly as a
// library user's `backend: 'auto'` does; only the wording of a refusal is the CLI's (flags).
import { MAX_WORKERS, resolveBackend } from '../api/backend.ts';
import { OptionError } from '../api/errors.ts';
import { excerpt, UserInputError } from '../errors.ts';
import { nodePlatform } from '../platform/node.ts';
import type { BcdBackend } from './backend.ts';
import type { CpuKernelsChoice } from './cpu/kernels.ts';
import { defaultThreads } from './cpu/pool.ts';

export { describeAdapter } from '../api/backend.ts';

/** What the user may ask for. */
export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** A created backend with one line saying what was chosen and why. */
export interface SelectedBackend {
  backend: BcdBackend;
  /** E.g. "backend: webgpu on nvidia hopper (hardware adapter)". */
  line: string;
}

/** Options of createBackend. */
export interface BackendOptions {
  /** CPU worker threads (default: one per core); a batch of B trials uses at most B. */
  threads?: number;
  /** The CPU backend's kernels (default: the module default, wasm). */
  cpuKernels?: CpuKernelsChoice;
}

/** Creates the backend for a choice; "webgpu" fails with a clear message when no adapter is found. */
export async function createBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<SelectedBackend> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(choice)) {
    throw new UserInputError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${excerpt(String(choice))}"`);
  }
  try {
    // A batch's pool uses at most one thread per trial itself: the cap here is the thread count.
    const { backend, line } = await resolveBackend(nodePlatform, { backend: choice, workers: options.threads ?? defaultThreads(), cpuKernels: options.cpuKernels }, Number.POSITIVE_INFINITY);
    return { backend, line };
  } catch (err) {
    if (err instanceof OptionError && err.option.startsWith('backend')) throw new UserInputError(`--backend webgpu: ${err.problem.replace(/^is not available here: /, '')}`);
    if (err instanceof OptionError && err.option === 'workers') throw new UserInputError(`--threads must be an integer from 1 to ${MAX_WORKERS}, got ${String(err.value)}`);
    throw err;
  }
}
