// The backend that --backend, --threads and --cpu-kernels ask for, created by the public API
// (createBackend: the same choice a library user's `backend: 'auto'` makes), with the API's
// refusals worded as the flags that caused them; `train` and `experiment` share it.
import {
  createBackend, MAX_WORKERS, OptionError, UserInputError, type BackendName, type BcdBackend, type CpuKernelsChoice,
} from '../index.node.ts';

/** The backend --backend, --threads and --cpu-kernels ask for, and the line saying what it is. */
export async function createCliBackend(choice: BackendName, threads: number | undefined, cpuKernels?: CpuKernelsChoice): Promise<{ backend: BcdBackend; line: string }> {
  let line = '';
  try {
    const backend = await createBackend({ backend: choice, workers: threads, ...(cpuKernels ? { cpuKernels } : {}), log: (l) => { line = l; } });
    return { backend, line };
  } catch (err) {
    if (err instanceof OptionError && err.option.startsWith('backend')) throw new UserInputError(`--backend webgpu: ${err.problem.replace(/^is not available here: /, '')}`);
    if (err instanceof OptionError && err.option === 'workers') throw new UserInputError(`--threads must be an integer from 1 to ${MAX_WORKERS}, got ${String(err.value)}`);
    throw err;
  }
}
