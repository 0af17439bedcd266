// The WebGPU backend over batches of trials (Node + Dawn; SwiftShader without a GPU): every
// kernel covers all B trials in one dispatch, so
//   (1) a trial of a heterogeneous batch (its own data, initial weights, λ's, μ and γ's), driven
//       through sweeps, multiplier updates, certificates and resets with masks that freeze some
//       trials part of the way, gives the same f32 bits (every state array, via readState) and
//       the same float64 scalars as the same trial run alone (B = 1): bit identity, no tolerance;
//   (2) a frozen trial's state is bit-untouched by sweep, updateMultipliers and resetToInitial;
//   (3) the batch matches the float64 CPU backend run through the same operations within the
//       f32 tolerance of test/gpu/webgpu-backend.test.ts's ALM runs (2e-3 of each array's max),
//       and a whole runAlmBatch within 1e-3 relative on TrainErr/TestErr;
//   (4) dispatches per sweep do not depend on B;
//   (5) a batch larger than a device batch (an artificially small memory budget) is split into
//       device batches, says so in `notes`, and still gives every trial its solo bits.
// Batch sizes 1, 2, 3 at T=37, r=5, n=3, m=2 (no size a multiple of a tile or workgroup), and 64
// at a tiny shape (T=11, r=2, n=1, m=1) so that SwiftShader copes.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runAlmBatch, type AlmTrial } from '../../src/alm/alm.ts';
import { DEFAULT_PARAMS, type AlmParams } from '../../src/alm/params.ts';
import type { BcdBackend, BcdProblem, BcdState, TrialMask } from '../../src/backends/backend.ts';
import { createCpuBackend } from '../../src/backends/cpu/cpu-backend.ts';
import type { AcquiredGpu } from '../../src/backends/webgpu/node-gpu.ts';
import { maxTrials, planLayout, trialBytes } from '../../src/backends/webgpu/layout.ts';
import { WebGpuBackend, type WebGpuBackendOptions } from '../../src/backends/webgpu/webgpu-backend.ts';
import { initializeWeights, INITIALIZERS } from '../../src/problem/init.ts';
import { Rng } from '../../src/problem/rng.ts';
import type { Activation, Problem, RnnWeights } from '../../src/problem/types.ts';
import { expectAllClose } from '../helpers/allclose.ts';
import { maxAbs } from '../helpers/gpu-fixture.ts';
import { sharedGpu } from '../helpers/gpu.ts';

let gpu: AcquiredGpu;
const made: WebGpuBackend[] = [];
beforeAll(async () => {
  gpu = await sharedGpu();
});
afterEach(() => {
  for (const b of made.splice(0)) b.dispose();
});

function gpuBackend(options: WebGpuBackendOptions = {}): WebGpuBackend {
  const b = new WebGpuBackend(gpu.device, { adapterInfo: gpu.adapterInfo, ...options });
  made.push(b);
  return b;
}

interface Shape {
  T: number;
  r: number;
  n: number;
  m: number;
}

/** Trial i of a heterogeneous batch: its own seed, data, initialiser, τ (λ's), μ. */
function trialProblem(shape: Shape, i: number, activation: Activation = { kind: 'relu' }): { problem: BcdProblem; initial: RnnWeights } {
  const { T, r, n, m } = shape;
  const rng = new Rng(1000 + 17 * i);
  const x = rng.fillUniform(new Float64Array(T * n), -1, 1);
  const y = new Float64Array(T * m);
  let h = 0;
  for (let t = 0; t < T; t++) {
    h = Math.tanh((0.5 + 0.1 * (i % 5)) * h + x[t * n] - 0.3 * x[t * n + n - 1]);
    for (let k = 0; k < m; k++) y[t * m + k] = (k + 1) * h + 0.05 * rng.normal();
  }
  const tau = [1, 0.3, 5, 0.01][i % 4];
  const lambdas = { l1: tau / (r * m), l2: tau / (r * r), l3: tau / (r * n), l4: tau / r, l5: tau / m, l6: 1e-8 };
  const initial = initializeWeights(INITIALIZERS[i % INITIALIZERS.length], r, n, m, rng);
  // A contracting W (‖W‖_F = 0.6): He's std at r = 5 makes s^0 grow like 10^10 over 37 steps,
  // and then P Pᵀ is singular in float64 too.
  const norm = Math.sqrt(initial.W.reduce((q, v) => q + v * v, 0));
  if (norm > 0.6) initial.W = initial.W.map((v) => (0.6 * v) / norm);
  return { problem: { T, n, m, r, x, y, activation, lambdas, mu: [1e-7, 1e-5, 1e-3][i % 3] }, initial };
}

/** Trial i's γ in step s of the script. */
const gammaOf = (i: number, s: number) => 0.8 + 0.37 * i + 0.5 * s;

/** One step of the script every backend runs; `mask(i)` says which trials it applies to. */
interface Step {
  op: 'sweep' | 'update' | 'certificate' | 'norms' | 'lagrangian' | 'reset';
  count?: number;
  mask: (i: number, B: number) => boolean;
}

const all = () => true;
/** Trial 1 frozen (and every fourth trial from 5 on), as a done trial is by runAlmBatch. */
const someFrozen = (i: number) => i !== 1 && !(i >= 5 && i % 4 === 1);
/** Trial 0 (and every third trial) restarted from s^0. */
const someReset = (i: number) => i % 3 === 0;

const SCRIPT: Step[] = [
  { op: 'certificate', mask: all },
  { op: 'sweep', count: 2, mask: all },
  { op: 'certificate', mask: all },
  { op: 'update', mask: all },
  { op: 'sweep', count: 2, mask: someFrozen },
  { op: 'update', mask: someFrozen },
  { op: 'certificate', mask: someFrozen },
  { op: 'norms', mask: all },
  { op: 'lagrangian', mask: all },
  { op: 'reset', mask: someReset },
  { op: 'sweep', count: 1, mask: all },
  { op: 'certificate', mask: all },
  { op: 'lagrangian', mask: all },
];

/** What one trial saw: every scalar the script read, in order. */
type Scalars = number[][];

/**
 * Runs the script on `backend` over `trials` (global indices `ids` of the batch the script is
 * written for, so a solo run of trial i applies trial i's masks); returns each trial's scalars
 * and, with `checkFrozen`, checks after each masked step that the frozen trials' state did not
 * change (bit for bit).
 */
async function runScript(backend: BcdBackend, ids: number[], shape: Shape, B: number, checkFrozen = false): Promise<Scalars> {
  const trials = ids.map((i) => trialProblem(shape, i));
  await backend.load(trials.map((t) => t.problem), trials.map((t) => t.initial));
  const seen: Scalars = ids.map(() => []);
  for (let s = 0; s < SCRIPT.length; s++) {
    const step = SCRIPT[s];
    const gamma = ids.map((i) => gammaOf(i, s));
    const mask: TrialMask = ids.map((i) => step.mask(i, B));
    const frozen = mask.map((on, k) => (on ? -1 : k)).filter((k) => k >= 0);
    const before = checkFrozen ? await Promise.all(frozen.map((k) => backend.readState(k))) : [];
    const record = (k: number, ...v: number[]) => seen[k].push(...v);
    switch (step.op) {
      case 'sweep':
        await backend.sweep(step.count!, gamma, mask);
        break;
      case 'update':
        (await backend.updateMultipliers(gamma, mask)).forEach((v, k) => mask[k] && record(k, v.xi, v.zeta));
        break;
      case 'certificate':
        (await backend.certificate(gamma, mask)).forEach((v, k) => mask[k] && record(k, v));
        break;
      case 'norms':
        (await backend.constraintNorms()).forEach((v, k) => record(k, v.c1, v.c2, v.uNorm ?? NaN));
        break;
      case 'lagrangian':
        (await backend.lagrangian(gamma)).forEach((v, k) => record(k, v));
        break;
      case 'reset':
        await backend.resetToInitial(mask);
        break;
    }
    for (let q = 0; q < before.length; q++) expectSameBits(await backend.readState(frozen[q]), before[q], `frozen trial ${ids[frozen[q]]} after ${step.op}`);
  }
  return seen;
}

/** The f32 bits of every state array are equal (readState widens f32 exactly). */
function expectSameBits(a: BcdState, e: BcdState, label: string): void {
  const arrays = (s: BcdState) => ({ W: s.weights.W, V: s.weights.V, b: s.weights.b, A: s.weights.A, c: s.weights.c, h: s.h, u: s.u, xi: s.xi, zeta: s.zeta });
  const ea = arrays(e);
  for (const [k, v] of Object.entries(arrays(a))) {
    const x = new Uint32Array(Float32Array.from(v).buffer);
    const y = new Uint32Array(Float32Array.from(ea[k as keyof typeof ea]).buffer);
    expect(x.length, `${label} ${k}: length`).toBe(y.length);
    const bad = x.findIndex((bits, j) => bits !== y[j]);
    if (bad >= 0) throw new Error(`${label}: ${k}[${bad}] is ${v[bad]} (bits ${x[bad].toString(16)}), expected ${ea[k as keyof typeof ea][bad]} (bits ${y[bad].toString(16)})`);
  }
}

/** |a − e| ≤ rel · max|e| element-wise, per array. */
function expectStateClose(a: BcdState, e: BcdState, rel: number, label: string): void {
  for (const k of ['W', 'V', 'b', 'A', 'c'] as const) {
    expectAllClose(a.weights[k], e.weights[k], { rtol: 0, atol: rel * Math.max(maxAbs(e.weights[k]), 1e-12) }, `${label} ${k}`);
  }
  for (const k of ['h', 'u', 'xi', 'zeta'] as const) expectAllClose(a[k], e[k], { rtol: 0, atol: rel * Math.max(maxAbs(e[k]), 1e-12) }, `${label} ${k}`);
}

const SHAPE: Shape = { T: 37, r: 5, n: 3, m: 2 };
const TINY: Shape = { T: 11, r: 2, n: 1, m: 1 };

/** Each trial's state and scalars after the script, run alone (B = 1). */
async function soloRuns(shape: Shape, ids: number[], B: number): Promise<Array<{ state: BcdState; scalars: number[] }>> {
  const solo = gpuBackend();
  const out = [];
  for (const i of ids) {
    const [scalars] = await runScript(solo, [i], shape, B);
    out.push({ state: await solo.readState(0), scalars });
  }
  return out;
}

describe.each([
  { B: 1, shape: SHAPE },
  { B: 2, shape: SHAPE },
  { B: 3, shape: SHAPE },
  { B: 64, shape: TINY },
])('a batch of $B trials', ({ B, shape }) => {
  it('gives every trial its solo bits, leaves frozen trials untouched, and matches float64', async () => {
    const ids = Array.from({ length: B }, (_, i) => i);
    const batch = gpuBackend();
    const seen = await runScript(batch, ids, shape, B, B <= 3);
    expect(batch.deviceBatches).toEqual([B]);
    expect(batch.notes).toBe('');
    const one = gpuBackend();
    const t0 = trialProblem(shape, 0);
    await one.load([t0.problem], [t0.initial]);
    expect(batch.stats.dispatchesPerSweep, 'dispatches per sweep, B trials vs one').toBe(one.stats.dispatchesPerSweep);
    // Every trial alone up to B = 3; at B = 64 a spread of trials that covers every mask pattern
    // (running, frozen, reset; the first, the last).
    const check = B <= 3 ? ids : [0, 1, 2, 3, 5, 9, 40, 63];
    const solo = await soloRuns(shape, check, B);
    for (let q = 0; q < check.length; q++) {
      const i = check[q];
      expectSameBits(await batch.readState(i), solo[q].state, `trial ${i} of ${B} vs alone`);
      expect(seen[i], `trial ${i} of ${B}: scalars vs alone`).toEqual(solo[q].scalars);
    }
    // One read-back for every trial's weights, the same as each trial's state.
    const weights = await batch.readWeights();
    for (let i = 0; i < B; i++) expect(weights[i].W).toEqual((await batch.readState(i)).weights.W);
    // The float64 CPU backend through the same script (trials 0…2 only at B = 64: the shape is tiny but the CPU is exact either way).
    const cpu = createCpuBackend();
    const cpuIds = ids.slice(0, 3);
    const cpuSeen = await runScript(cpu, cpuIds, shape, B);
    for (const i of cpuIds) {
      expectStateClose(await batch.readState(i), await cpu.readState(i), 2e-3, `trial ${i} of ${B} vs float64`);
      // The scalars that are not certificates (those are differences of nearby f32 states).
      const cert = new Set<number>();
      let q = 0;
      for (const step of SCRIPT) {
        if (step.op === 'update') q += step.mask(i, B) ? 2 : 0;
        else if (step.op === 'certificate') { if (step.mask(i, B)) cert.add(q++); }
        else if (step.op === 'norms') q += 3;
        else if (step.op === 'lagrangian') q += 1;
      }
      const keep = (v: number[]) => v.filter((_, j) => !cert.has(j) && Number.isFinite(v[j]));
      expectAllClose(keep(seen[i]), keep(cpuSeen[i]), { rtol: 2e-3, atol: 1e-6 }, `trial ${i} of ${B}: scalars vs float64`);
    }
    cpu.dispose();
  }, 600_000);
});

describe('batch structure', () => {
  it('records the same dispatches per sweep for B = 1 and B = 3', async () => {
    const one = gpuBackend();
    const three = gpuBackend();
    const t = [0, 1, 2].map((i) => trialProblem(SHAPE, i));
    await one.load([t[0].problem], [t[0].initial]);
    await three.load(t.map((x) => x.problem), t.map((x) => x.initial));
    expect(three.stats.dispatchesPerSweep).toBe(one.stats.dispatchesPerSweep);
    const d0 = three.stats.dispatches;
    await three.sweep(2, [1, 2, 3]);
    expect(three.stats.dispatches - d0).toBe(2 * one.stats.dispatchesPerSweep);
    expect(three.stats.sweepReadbacks).toBe(0);
    const r0 = three.stats.readbacks;
    await three.constraintNorms();
    await three.certificate([1, 2, 3]);
    await three.readWeights();
    expect(three.stats.readbacks - r0, 'one read-back per query for all trials').toBe(3);
  }, 300_000);

  it('splits a batch over device batches when one cannot hold it, with the same bits per trial', async () => {
    const one = planLayout(SHAPE);
    // A memory budget for two trials and a half (the budget leaves the per-trial layout alone).
    const split = gpuBackend({ memoryBudget: Math.floor(2.5 * trialBytes(one)) });
    const ids = [0, 1, 2, 3, 4];
    const seen = await runScript(split, ids, SHAPE, 5);
    expect(split.deviceBatches).toEqual([2, 2, 1]);
    expect(split.notes).toMatch(/5 trials in 3 device batches of at most 2 .*memory budget/);
    const whole = gpuBackend();
    await whole.load(ids.map((i) => trialProblem(SHAPE, i).problem), ids.map((i) => trialProblem(SHAPE, i).initial));
    expect(split.stats.dispatchesPerSweep).toBe(3 * whole.stats.dispatchesPerSweep);
    const solo = await soloRuns(SHAPE, ids, 5);
    for (const i of ids) {
      expectSameBits(await split.readState(i), solo[i].state, `trial ${i} of a split batch vs alone`);
      expect(seen[i]).toEqual(solo[i].scalars);
    }
  }, 600_000);

  it('computes the largest device batch from the limits and names the limit', () => {
    const l = planLayout({ T: 393, r: 20, n: 11, m: 1 });
    const limits = { ...gpu.device.limits } as GPUSupportedLimits;
    const base = {
      maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20, maxUniformBufferBindingSize: 65536,
      maxComputeWorkgroupsPerDimension: 65535,
    };
    const cap = maxTrials(l, { ...limits, ...base }, 2 ** 40);
    // The largest per-trial buffer is the P-system's Gram partial sums.
    const largest = Math.max(l.partPLen, l.partQLen, l.sysZLen, l.sysHLen, l.zLen, l.T * l.r, 12 * l.statsRows) * 4;
    expect(cap.trials).toBe(Math.min(1024, Math.floor((128 * 2 ** 20) / largest)));
    const small = maxTrials(l, { ...limits, ...base, maxStorageBufferBindingSize: 3 * largest }, 2 ** 40);
    expect(small).toEqual({ trials: 3, limitedBy: expect.stringMatching(/^maxStorageBufferBindingSize/) });
    const grid = maxTrials(l, { ...limits, ...base, maxComputeWorkgroupsPerDimension: 10 * Math.max(l.nSegP, l.nSegQ) }, 2 ** 40);
    expect(grid.trials).toBe(10);
    expect(grid.limitedBy).toMatch(/Gram segments/);
    expect(maxTrials(l, { ...limits, ...base }, 7 * trialBytes(l)).trials).toBe(7);
  });
});

describe('runAlmBatch on a heterogeneous batch', () => {
  it('matches the float64 CPU backend trial by trial, and each trial its solo run bit for bit', async () => {
    const trials: AlmTrial[] = [0, 1, 2].map((i) => {
      const { problem, initial } = trialProblem({ T: 41, r: 6, n: 3, m: 2 }, i);
      const p: Problem = {
        name: `trial-${i}`, series: { T: 41, n: 3, m: 2, x: problem.x, y: problem.y, inputNames: [], targetNames: [] }, T1: 37, r: 6, activation: problem.activation,
      };
      const params: AlmParams = { ...DEFAULT_PARAMS, tau: [1, 0.3, 5][i], gamma0: [1, 2, 0.5][i], outer: 3, inner: 4, checkEvery: 2, innerStop: 'certificate' };
      return { problem: p, params, initial };
    });
    const batch = gpuBackend();
    const g = await runAlmBatch(batch, trials);
    const c = await runAlmBatch(createCpuBackend(), trials);
    const solo = gpuBackend();
    for (let i = 0; i < trials.length; i++) {
      const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
      expect(rel(g[i].trainErr, c[i].trainErr), `trial ${i} TrainErr`).toBeLessThan(1e-3);
      expect(rel(g[i].testErr, c[i].testErr), `trial ${i} TestErr`).toBeLessThan(1e-3);
      const state = await batch.readState(i);
      const [alone] = await runAlmBatch(solo, [trials[i]]);
      expectSameBits(state, await solo.readState(0), `ALM trial ${i} vs alone`);
      expect(g[i].history.map((h) => [h.feasVio, h.gammaNext, h.sweeps])).toEqual(alone.history.map((h) => [h.feasVio, h.gammaNext, h.sweeps]));
    }
  }, 600_000);
});
