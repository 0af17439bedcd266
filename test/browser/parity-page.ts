// The browser test page: runs the same small ALM problem on the WebGPU backend and on the float64
// CPU backend inside the page, and exposes the figures to the test as window.almParity().
import { runAlm } from '../../src/alm/alm.ts';
import { DEFAULT_PARAMS, type AlmParams } from '../../src/alm/params.ts';
import { CpuTrial } from '../../src/backends/cpu/cpu-trial.ts';
import { TrialsBackend } from '../../src/backends/trials.ts';
import { acquireGpu } from '../../src/backends/webgpu/device.ts';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend.ts';
import { initializeWeights } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { Problem, RnnWeights } from '../../src/problem/types.ts';

/** What the page reports back. */
export interface ParityReport {
  adapter: { vendor: string; architecture: string; description: string; isFallback: boolean };
  backendInfo: string;
  cpu: { trainErr: number; testErr: number; feasVio: number[] };
  gpu: { trainErr: number; testErr: number; feasVio: number[] };
  /** max|Δ|/max|w| per weight matrix, GPU against CPU. */
  weights: Record<string, number>;
  dispatchesPerSweep: number;
  sweepReadbacks: number;
  /** What the CPU reference ran on in this page: 'wasm' (WebAssembly SIMD, loaded by Vite) or 'js'. */
  cpuKernels: string;
}

function problem(): Problem {
  const rng = new Rng(2024);
  const T = 40;
  const n = 3;
  const m = 2;
  const x = rng.fillUniform(new Float64Array(T * n), -1, 1);
  const y = new Float64Array(T * m);
  let h = 0;
  for (let t = 0; t < T; t++) {
    h = Math.tanh(0.7 * h + x[t * n] - 0.4 * x[t * n + 2]);
    y[t * m] = h + 0.05 * rng.normal();
    y[t * m + 1] = 0.5 * h - 0.3 * x[t * n + 1] + 0.05 * rng.normal();
  }
  return { name: 'browser-parity', series: { T, n, m, x, y, inputNames: [], targetNames: [] }, T1: 36, r: 5, activation: { kind: 'relu' } };
}

function relDiff(a: Float64Array, e: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    num = Math.max(num, Math.abs(a[i] - e[i]));
    den = Math.max(den, Math.abs(e[i]));
  }
  return den === 0 ? num : num / den;
}

async function almParity(): Promise<ParityReport> {
  const p = problem();
  const params: AlmParams = { ...DEFAULT_PARAMS, outer: 3, inner: 5, checkEvery: 5 };
  const initial: RnnWeights = initializeWeights('lecun', p.r, p.series.n, p.series.m, new Rng(7));
  const cpuTrial = new CpuTrial();
  const cpuRun = await runAlm(TrialsBackend.of(cpuTrial), p, params, initial);
  const gpu = await acquireGpu();
  const backend = new WebGpuBackend(gpu.device, { adapterInfo: gpu.adapterInfo, ownsDevice: true });
  try {
    const gpuRun = await runAlm(backend, p, params, initial);
    const weights: Record<string, number> = {};
    for (const k of ['W', 'V', 'b', 'A', 'c'] as const) weights[k] = relDiff(gpuRun.weights[k], cpuRun.weights[k]);
    return {
      adapter: gpu.adapterInfo,
      backendInfo: backend.info.description,
      cpu: { trainErr: cpuRun.trainErr, testErr: cpuRun.testErr, feasVio: cpuRun.history.map((h) => h.feasVio) },
      gpu: { trainErr: gpuRun.trainErr, testErr: gpuRun.testErr, feasVio: gpuRun.history.map((h) => h.feasVio) },
      weights,
      dispatchesPerSweep: backend.stats.dispatchesPerSweep,
      sweepReadbacks: backend.stats.sweepReadbacks,
      cpuKernels: cpuTrial.kernels,
    };
  } finally {
    backend.dispose();
  }
}

(window as unknown as { almParity: typeof almParity }).almParity = almParity;
document.getElementById('status')!.textContent = 'ready';
