// Chooses and creates the backend a run computes on: cpu, webgpu, or auto (webgpu on a
// hardware adapter, cpu otherwise, since a software adapter is far slower than the CPU backend).
import { UserInputError } from '../errors.ts';
import type { BcdBackend } from './backend.ts';
import { CpuBackend } from './cpu/cpu-backend.ts';

/** What the user may ask for. */
export const BACKEND_CHOICES = ['auto', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** A created backend with one line saying what was chosen and why. */
export interface SelectedBackend {
  backend: BcdBackend;
  /** E.g. "backend: webgpu (nvidia hopper, hardware)". */
  line: string;
}

/** Creates the backend for a choice; "webgpu" fails with a clear message when no adapter is found. */
export async function createBackend(choice: BackendChoice): Promise<SelectedBackend> {
  if (choice === 'cpu') return { backend: new CpuBackend(), line: 'backend: cpu (float64 reference)' };
  if (choice === 'auto') return { backend: new CpuBackend(), line: 'backend: cpu (float64 reference; auto: no WebGPU backend in this build)' };
  if (choice === 'webgpu') throw new UserInputError('the WebGPU backend is not available in this build yet; use --backend cpu');
  throw new UserInputError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${String(choice)}"`);
}
