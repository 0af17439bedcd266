// The CPU backend of a batch: B float64 trials, each computed by its own CpuTrial exactly as it
// would be alone (so a trial in a batch is bit-identical to its solo run).
import type { BcdBackend } from '../backend.ts';
import { TrialsBackend } from '../trials.ts';
import { CPU_INFO, CpuTrial } from './cpu-trial.ts';
import type { CpuKernelsChoice } from './kernels.ts';

/** The float64 CPU backend over a batch of trials, in this thread (kernels: default setDefaultCpuKernels's). */
export function createCpuBackend(kernels?: CpuKernelsChoice): BcdBackend {
  return new TrialsBackend(() => new CpuTrial({ kernels }), CPU_INFO);
}
