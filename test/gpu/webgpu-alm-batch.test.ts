// The ALM loop over a heterogeneous batch on WebGPU (Node + Dawn; SwiftShader without a GPU):
// different data, initialisations and τ, one trial restarting from s^0 under the Γ rule, one
// whose certificate stops its inner loops early, one held at the violation floor. Every trial
// ends bit-identical to its own solo WebGPU run, and within f32 tolerance of the float64 run.
import { beforeAll, describe, expect, it } from 'vitest';
import { runAlm, runAlmBatch, type AlmResult } from '../../src/alm/alm.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import type { AcquiredGpu } from '../../src/backends/webgpu/node-gpu.ts';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpu-backend.ts';
import { expectSameRun, expectSpecialBehaviour, heterogeneousTrials } from '../helpers/batch.ts';
import { sharedGpu } from '../helpers/gpu.ts';

let gpu: AcquiredGpu;
beforeAll(async () => {
  gpu = await sharedGpu();
});

async function onGpu<T>(run: (b: WebGpuBackend) => Promise<T>): Promise<T> {
  const backend = new WebGpuBackend(gpu.device, { adapterInfo: gpu.adapterInfo });
  try {
    return await run(backend);
  } finally {
    backend.dispose();
  }
}

describe('runAlmBatch on WebGPU over a heterogeneous batch', () => {
  it('every trial ends as its solo WebGPU run, bit for bit, and near the float64 run', async () => {
    const trials = heterogeneousTrials(4);
    const batch = await onGpu((b) => runAlmBatch(b, trials));
    expectSpecialBehaviour(batch, 6);
    for (let i = 0; i < trials.length; i++) {
      const t = trials[i];
      const alone: AlmResult = await onGpu((b) => runAlm(b, t.problem, t.params, t.initial));
      expectSameRun(batch[i], alone, `trial ${i}`);
      const cpu = await runAlm(createCpuBackend(), t.problem, t.params, t.initial);
      expect(batch[i].history.map((it) => it.sweeps), `trial ${i} sweeps`).toEqual(cpu.history.map((it) => it.sweeps));
      expect(Math.abs(batch[i].trainErr - cpu.trainErr) / cpu.trainErr, `trial ${i} TrainErr`).toBeLessThan(1e-3);
    }
  }, 600_000);
});
