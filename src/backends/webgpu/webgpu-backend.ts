// The WebGPU backend: the BCD sweep of docs/method.md §4 for a batch of B trials as a fixed
// sequence of compute dispatches over state that lives on the device (f32). Every kernel covers
// all trials of a device batch in one dispatch (the trial is on the workgroup grid's z), so the
// dispatches of a sweep do not grow with B; every buffer holds the trials trial-major, and the
// per-trial scalars (γ, μ, λ's, the active flag) sit in the Params uniform's trial records.
// A trial computes exactly what it computes alone (the per-trial layout and every reduction's
// partition do not depend on B), so it is bit-identical to its solo run. A batch larger than the
// device's limits allow is split into several device batches (`notes` says so). Pipelines, bind
// groups and buffers are built once per load; a batch of sweeps is one command encoder and one
// submit per device batch; the orchestrator sees only the few scalars it asks for, one per trial.
import { checkBatch, type BackendInfo, type BcdBackend, type BcdProblem, type BcdState, type ConstraintNorms, type MultiplierNorms, type TrialMask } from '../backend.ts';
import type { RnnWeights } from '../../problem/types.ts';
import { acquireGpu, isSoftwareAdapter, type AcquireOptions, type GpuAdapterSummary } from './device.ts';
import { checkLimits, DEFAULT_MEMORY_BUDGET, GRAM_TARGET_WORKGROUPS, GpuLimitError, maxTrials, NSLOT, planLayout, type GpuLayout, type TrialCapacity } from './layout.ts';
import { createCenter } from './kernels/center.ts';
import { createCertificate } from './kernels/certificate.ts';
import { createCholesky } from './kernels/cholesky.ts';
import { activationCode, OUT_LEN, packHeader, packTrial, PARAMS_BYTES, PARAMS_HEADER_BYTES, redLen, TRIAL_RECORD_BYTES } from './kernels/common.ts';
import { createGram } from './kernels/gram.ts';
import { createHSystem } from './kernels/h_system.ts';
import { createHUpdate } from './kernels/h_update.ts';
import { createInitialState } from './kernels/initial_state.ts';
import { MAP_READ_MODE, sequence, Usage, type Recorder } from './kernels/kernel.ts';
import { createMultipliers, type Multipliers } from './kernels/multipliers.ts';
import { exactDotMode } from './kernels/probe.ts';
import { createReduce } from './kernels/reduce.ts';
import { createRefine } from './kernels/refine.ts';
import { createUUpdate, createWResidual } from './kernels/u_update.ts';

/** The device limits the backend plans with (a test may lower some). */
export type PlanningLimits = Pick<
  GPUSupportedLimits,
  | 'maxStorageBufferBindingSize' | 'maxBufferSize' | 'maxUniformBufferBindingSize' | 'maxComputeWorkgroupsPerDimension'
  | 'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX' | 'maxStorageBuffersPerShaderStage'
>;

/** Options of the WebGPU backend. */
export interface WebGpuBackendOptions {
  /** The adapter the device came from (for `info`). */
  adapterInfo?: GpuAdapterSummary;
  /**
   * Iterative-refinement steps after each z-block solve (default 1): the P-system (W, V, b)
   * from its data residual, the Q-system (A, c) from its stored normal equations.
   */
  refineSteps?: number;
  /** Destroy the device in dispose() (default false: the caller owns it). */
  ownsDevice?: boolean;
  /** Device memory one device batch may take, all its buffers together (default 2 GiB). */
  memoryBudget?: number;
  /** Lower limits to plan device batches with than the device's own (tests: force a split). */
  limits?: Partial<PlanningLimits>;
}

/** Counters for benchmarks: what the backend has asked of the device. */
export interface WebGpuStats {
  /** Sweeps run since load (a sweep of the batch counts once, whatever B). */
  sweeps: number;
  /** Compute dispatches recorded since load (sweeps and queries). */
  dispatches: number;
  /** Dispatches recorded by one sweep of all trials (independent of B within one device batch; times the device batches when split). */
  dispatchesPerSweep: number;
  /** Buffer read-backs (mapAsync) since load. */
  readbacks: number;
  /** Read-backs made inside sweep() since load (by design 0). */
  sweepReadbacks: number;
  /** Queue submissions since load. */
  submits: number;
  /** Wall time of the last sweep() call, submit to completion, in ms (all device batches). */
  lastBatchMs: number;
  /** Sweeps in the last sweep() call. */
  lastBatchSweeps: number;
}

/** The device was lost; the state on it is gone (the orchestrator keeps its last iterate). */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
}

/** The device reported an error (validation, out of memory, internal) for this backend's work. */
export class GpuDeviceError extends Error {
  override name = 'GpuDeviceError';
}

interface Buffers {
  params: GPUBuffer;
  x: GPUBuffer;
  y: GPUBuffer;
  h: GPUBuffer;
  u: GPUBuffer;
  xi: GPUBuffer;
  zeta: GPUBuffer;
  uprev: GPUBuffer;
  wres: GPUBuffer;
  h0: GPUBuffer;
  u0: GPUBuffer;
  z: GPUBuffer;
  z0: GPUBuffer;
  shift: GPUBuffer;
  xz: GPUBuffer;
  partP: GPUBuffer;
  partQ: GPUBuffer;
  sysZ: GPUBuffer;
  origZ: GPUBuffer;
  sysH: GPUBuffer;
  red: GPUBuffer;
  out: GPUBuffer;
}

/** One device batch: trials first … first + layout.trials − 1 of the backend's batch. */
interface Part {
  first: number;
  layout: GpuLayout;
  problems: BcdProblem[];
  buf: Buffers;
  all: GPUBuffer[];
  sweep: Recorder;
  /** The sweep's parts in order (for profiling). */
  sweepSteps: Recorder[];
  certZ: Recorder;
  mult: Multipliers;
  hcert: Recorder;
  reduce: Recorder;
  /** The trial records of Params (B × 48 bytes), rewritten before each operation. */
  records: ArrayBuffer;
  recF: Float32Array;
  recU: Uint32Array;
  /** Each trial's γ of its last operation (queries without γ reuse it). */
  gamma: Float64Array;
  /** Whether a sweep ran since load / reset / writeState, per trial (the certificate needs one). */
  haveLastSweep: boolean[];
}

/** Gram workgroup target on software adapters (SwiftShader runs workgroups on a few CPU threads). */
const SOFTWARE_GRAM_TARGET = 16;

/** Packs weights into the device layout: Mᵀ = [W V b]ᵀ (K×r) then Nᵀ = [A c]ᵀ ((r+1)×m). */
export function weightsToDevice(w: RnnWeights, l: GpuLayout): Float32Array<ArrayBuffer> {
  const { r, n, m, K, offN } = l;
  const z = new Float32Array(l.weightsLen);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) z[j * r + i] = w.W[i * r + j];
    for (let j = 0; j < n; j++) z[(r + j) * r + i] = w.V[i * n + j];
    z[(K - 1) * r + i] = w.b[i];
  }
  for (let k = 0; k < m; k++) {
    for (let j = 0; j < r; j++) z[offN + j * m + k] = w.A[k * r + j];
    z[offN + r * m + k] = w.c[k];
  }
  return z;
}

/** Unpacks weights from the device layout. */
export function weightsFromDevice(z: Float32Array, l: GpuLayout): RnnWeights {
  const { r, n, m, K, offN } = l;
  const w: RnnWeights = {
    r, n, m,
    W: new Float64Array(r * r), V: new Float64Array(r * n), b: new Float64Array(r),
    A: new Float64Array(m * r), c: new Float64Array(m),
  };
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) w.W[i * r + j] = z[j * r + i];
    for (let j = 0; j < n; j++) w.V[i * n + j] = z[(r + j) * r + i];
    w.b[i] = z[(K - 1) * r + i];
  }
  for (let k = 0; k < m; k++) {
    for (let j = 0; j < r; j++) w.A[k * r + j] = z[offN + j * m + k];
    w.c[k] = z[offN + r * m + k];
  }
  return w;
}

function checkProblem(p: BcdProblem, w: RnnWeights, trial: number): void {
  const bad = (what: string) => {
    throw new RangeError(`WebGpuBackend.load: trial ${trial}: ${what}`);
  };
  for (const [k, v] of Object.entries({ T: p.T, r: p.r, m: p.m })) if (!(Number.isInteger(v) && v >= 1)) bad(`${k} must be an integer ≥ 1, got ${v}`);
  if (!(Number.isInteger(p.n) && p.n >= 0)) bad(`n must be an integer ≥ 0, got ${p.n}`);
  if (p.x.length !== p.T * p.n) bad(`x has ${p.x.length} values, expected T·n = ${p.T * p.n}`);
  if (p.y.length !== p.T * p.m) bad(`y has ${p.y.length} values, expected T·m = ${p.T * p.m}`);
  if (w.r !== p.r || w.n !== p.n || w.m !== p.m) bad(`initial weights are ${w.r}/${w.n}/${w.m} (r/n/m), the problem is ${p.r}/${p.n}/${p.m}`);
  if (!(p.mu > 0)) bad(`μ must be > 0, got ${p.mu}`);
}

/** Runs of consecutive trials in `mask` (local indices), as [first, count]. */
function runs(mask: ArrayLike<boolean>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const s = i;
    while (i + 1 < mask.length && mask[i + 1]) i++;
    out.push([s, i - s + 1]);
  }
  return out;
}

function checkGamma(gamma: number, trial: number): void {
  if (!(gamma > 0 && Number.isFinite(gamma))) throw new RangeError(`γ of trial ${trial} must be a positive finite number, got ${gamma}`);
}

/** The BCD engine over a batch of trials on a WebGPU device (float32), every kernel batched over the trials. */
export class WebGpuBackend implements BcdBackend {
  readonly info: BackendInfo;
  readonly stats: WebGpuStats = {
    sweeps: 0, dispatches: 0, dispatchesPerSweep: 0, readbacks: 0, sweepReadbacks: 0, submits: 0, lastBatchMs: 0, lastBatchSweeps: 0,
  };
  /** Resolves with the error when the device is lost (never when it is destroyed on purpose). */
  readonly lost: Promise<GpuDeviceLostError>;
  /** One line when the last load split the batch into several device batches (why, and into how many); '' otherwise. */
  notes = '';
  /** The largest device batch for the loaded shape within the device's limits, and the limit that sets it. */
  capacity: TrialCapacity | null = null;

  private readonly device: GPUDevice;
  private readonly refineSteps: number;
  private readonly ownsDevice: boolean;
  private readonly memoryBudget: number;
  private readonly limitOverrides: Partial<PlanningLimits>;
  /** Workgroups the Gram reductions aim for per trial: many on a GPU, few on a CPU-emulated adapter. */
  private readonly gramTarget: number;
  /** How the triangular solves split their columns into workgroups (see cholesky.ts). */
  private readonly solveSpread: 'wide' | 'narrow';
  private parts: Part[] = [];
  private lostError: GpuDeviceLostError | null = null;
  private deviceError: GpuDeviceError | null = null;
  private listeners = new Set<(e: Error) => void>();
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private staging: GPUBuffer | null = null;
  /** Removes this backend's uncaptured-error listener from the device (dispose: the device may outlive it). */
  private readonly unlisten: () => void;

  constructor(device: GPUDevice, options: WebGpuBackendOptions = {}) {
    this.device = device;
    this.refineSteps = options.refineSteps ?? 1;
    this.ownsDevice = options.ownsDevice ?? false;
    this.memoryBudget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    this.limitOverrides = options.limits ?? {};
    const a = options.adapterInfo;
    const software = isSoftwareAdapter(a);
    const name = a ? [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') : 'unknown adapter';
    this.gramTarget = software ? SOFTWARE_GRAM_TARGET : GRAM_TARGET_WORKGROUPS;
    this.solveSpread = software ? 'narrow' : 'wide';
    this.info = { kind: 'webgpu', description: `webgpu (float32): ${name}${software ? ' [software]' : ''}`, software, unitRoundoff: 2 ** -24 };
    this.lost = device.lost.then((info) => {
      const err = new GpuDeviceLostError(`WebGPU device lost (${info.reason}): ${info.message}`);
      if (info.reason !== 'destroyed' && !this.disposed) {
        this.lostError = err;
        this.emit(err);
      }
      return err;
    });
    const onError = (ev: Event) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      const err = new GpuDeviceError(`WebGPU error: ${e?.message ?? String(e)}`);
      if (!this.deviceError) this.deviceError = err;
      this.emit(err);
    };
    if (typeof device.addEventListener === 'function') {
      device.addEventListener('uncapturederror', onError);
      this.unlisten = () => device.removeEventListener('uncapturederror', onError);
    } else {
      (device as { onuncapturederror: unknown }).onuncapturederror = onError;
      this.unlisten = () => {
        if ((device as { onuncapturederror: unknown }).onuncapturederror === onError) (device as { onuncapturederror: unknown }).onuncapturederror = null;
      };
    }
  }

  /** Subscribes to asynchronous device errors (loss, validation); returns the unsubscribe function. */
  onError(listener: (e: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Trials loaded (0 before load). */
  get trials(): number {
    return this.parts.reduce((s, p) => s + p.layout.trials, 0);
  }

  /** The device layout of the first device batch (per-trial sizes, offsets, grid shapes; `trials` = its B). */
  get layout(): GpuLayout {
    return this.need()[0].layout;
  }

  /** Trials in each device batch (one entry unless the batch was split). */
  get deviceBatches(): number[] {
    return this.parts.map((p) => p.layout.trials);
  }

  /** The limits device batches are planned with: the device's, lowered by the options'. */
  private planningLimits(): PlanningLimits {
    const d = this.device.limits;
    const o = this.limitOverrides;
    const pick = (k: keyof PlanningLimits) => Math.min(d[k], o[k] ?? Infinity);
    return {
      maxStorageBufferBindingSize: pick('maxStorageBufferBindingSize'),
      maxBufferSize: pick('maxBufferSize'),
      maxUniformBufferBindingSize: pick('maxUniformBufferBindingSize'),
      maxComputeWorkgroupsPerDimension: pick('maxComputeWorkgroupsPerDimension'),
      maxComputeWorkgroupStorageSize: pick('maxComputeWorkgroupStorageSize'),
      maxComputeInvocationsPerWorkgroup: pick('maxComputeInvocationsPerWorkgroup'),
      maxComputeWorkgroupSizeX: pick('maxComputeWorkgroupSizeX'),
      maxStorageBuffersPerShaderStage: pick('maxStorageBuffersPerShaderStage'),
    };
  }

  private emit(e: Error): void {
    for (const l of this.listeners) l(e);
  }

  private need(): Part[] {
    if (this.lostError) throw this.lostError;
    if (this.parts.length === 0) throw new Error('WebGpuBackend: load() a batch first');
    return this.parts;
  }

  /** The device batch of global trial `trial` and its index there. */
  private locate(trial: number): [Part, number] {
    for (const p of this.need()) if (trial >= p.first && trial < p.first + p.layout.trials) return [p, trial - p.first];
    throw new RangeError(`trial ${trial} is not loaded (${this.trials} trials)`);
  }

  /** Runs operations one at a time (a read-back must not interleave with another). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private raiseDeviceError(): void {
    if (this.lostError) throw this.lostError;
    if (this.deviceError) {
      const e = this.deviceError;
      this.deviceError = null;
      throw e;
    }
  }

  private buffer(label: string, floats: number, usage: number, all: GPUBuffer[]): GPUBuffer {
    const size = Math.max(16, Math.ceil((floats * 4) / 16) * 16);
    const b = this.device.createBuffer({ label, size, usage });
    all.push(b);
    return b;
  }

  async load(problems: readonly BcdProblem[], initial: readonly RnnWeights[]): Promise<void> {
    return this.serial(async () => {
      checkBatch(problems, initial);
      problems.forEach((p, i) => checkProblem(p, initial[i], i));
      this.freeParts();
      const limits = this.planningLimits();
      const one = planLayout(problems[0], limits.maxStorageBufferBindingSize, this.gramTarget, 1);
      checkLimits(one, limits as GPUSupportedLimits);
      const cap = maxTrials(one, limits as GPUSupportedLimits, this.memoryBudget);
      this.capacity = cap;
      if (cap.trials < 1) throw new GpuLimitError('trials per device batch', 1, 0, `a problem with T=${one.T}, r=${one.r}, n=${one.n}, m=${one.m} (${cap.limitedBy})`);
      const B = problems.length;
      const count = Math.ceil(B / cap.trials);
      // Device batches of equal size (±1), so none is left with a few trials.
      const size = Math.ceil(B / count);
      this.notes = count > 1
        ? `webgpu: ${B} trials in ${count} device batches of at most ${size} (one device batch holds at most ${cap.trials}: ${cap.limitedBy}); dispatches per sweep × ${count}`
        : '';
      try {
        for (let first = 0; first < B; first += size) {
          const n = Math.min(size, B - first);
          this.parts.push(await this.loadPart(first, problems.slice(first, first + n), initial.slice(first, first + n), limits));
        }
      } catch (e) {
        this.freeParts();
        throw e;
      }
      this.stats.sweeps = 0;
      this.stats.dispatches = 0;
      this.stats.readbacks = 0;
      this.stats.sweepReadbacks = 0;
      this.stats.submits = this.parts.length;
      this.stats.dispatchesPerSweep = this.parts.reduce((s, p) => s + p.sweep.dispatches, 0);
      await this.device.queue.onSubmittedWorkDone();
      this.raiseDeviceError();
    });
  }

  /** Builds one device batch: buffers, pipelines, bind groups, the data and every trial's s^0. */
  private async loadPart(first: number, problems: BcdProblem[], initial: RnnWeights[], limits: PlanningLimits): Promise<Part> {
    const device = this.device;
    const B = problems.length;
    const p0 = problems[0];
    const l = planLayout(p0, limits.maxStorageBufferBindingSize, this.gramTarget, B);
    checkLimits(l, limits as GPUSupportedLimits);
    const S = Usage.STORAGE | Usage.COPY_DST | Usage.COPY_SRC;
    const all: GPUBuffer[] = [];
    const { T, r, n, m } = l;
    const tr = T * r;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const buf: Buffers = {
      params: this.buffer('params (shape and trial records)', PARAMS_BYTES / 4, Usage.UNIFORM | Usage.COPY_DST, all),
      x: this.buffer('x (B×T×n)', B * T * n, S, all),
      y: this.buffer('y (B×T×m)', B * T * m, S, all),
      h: this.buffer('h (B×T×r)', B * tr, S, all),
      u: this.buffer('u (B×T×r)', B * tr, S, all),
      xi: this.buffer('ξ (B×T×r)', B * tr, S, all),
      zeta: this.buffer('ζ (B×T×r)', B * tr, S, all),
      uprev: this.buffer('u before the last sweep (B×T×r)', B * tr, S, all),
      wres: this.buffer('data residual of the w-part (B×T×r)', B * tr, S, all),
      h0: this.buffer('h of s^0 (B×T×r)', B * tr, S, all),
      u0: this.buffer('u of s^0 (B×T×r)', B * tr, S, all),
      z: this.buffer('z: weights and h-block solutions (B trials)', B * l.zLen, S, all),
      z0: this.buffer('z of s^0 (B trials)', B * l.weightsLen, S, all),
      shift: this.buffer('centring shift [h̄; x̄; 0] (B trials)', B * l.K, S, all),
      xz: this.buffer('centred z-block solutions (B trials)', B * l.weightsLen, S, all),
      partP: this.buffer('Gram partial sums P (B trials)', B * l.partPLen, S, all),
      partQ: this.buffer('Gram partial sums Q (B trials)', B * l.partQLen, S, all),
      sysZ: this.buffer('z-block systems, factorised (B trials)', B * l.sysZLen, S, all),
      origZ: this.buffer('z-block systems, original (B trials)', B * l.sysZLen, S, all),
      sysH: this.buffer('h-block systems (B trials)', B * l.sysHLen, S, all),
      red: this.buffer('partial-sum slots (B trials)', B * redLen(l), S, all),
      out: this.buffer('reduced scalars (B trials)', B * OUT_LEN, S, all),
    };
    const act = activationCode(p0.activation);
    const exact = await exactDotMode(device);
    const bytesP = l.K * l.Wp * 4;
    const bytesQ = l.Kq * l.Wq * 4;
    // The z-systems are bound from their offset in trial 0 to their end in trial B−1.
    const span = (B - 1) * l.sysZLen * 4;
    const common = { params: buf.params, h: buf.h, x: buf.x, u: buf.u, xi: buf.xi, y: buf.y, shift: buf.shift, wres: buf.wres, xz: buf.xz };
    const sysP = { buffer: buf.sysZ, offset: 0, size: span + bytesP };
    const origP = { buffer: buf.origZ, offset: 0, size: span + bytesP };
    const uBuffers = { params: buf.params, h: buf.h, x: buf.x, u: buf.u, xi: buf.xi, zeta: buf.zeta, z: buf.z, wres: buf.wres };
    const zSystems = [
      { off: 0, n: l.K, nrhs: r, outOff: 0, kind: 0 },
      { off: l.sysQOff, n: l.Kq, nrhs: m, outOff: l.offN, kind: 1 },
    ];
    const hSystems = [
      { off: 0, n: r, nrhs: l.nrhs1, outOff: l.offH1, kind: 2 },
      { off: l.sysH2Off, n: r, nrhs: l.nrhs2, outOff: l.offH2, kind: 3 },
    ];
    const spread = this.solveSpread;
    const [center, gramP, gramPResidual, gramQ, cholZ, cholH, hSystem, hUpdate, uUpdate, wResidual, mult, hcert, reduce, initialState] = await Promise.all([
      createCenter(device, l, { params: buf.params, h: buf.h, shift: buf.shift, xz: buf.xz, z: buf.z }),
      createGram(device, l, 'P', { ...common, part: buf.partP, sys: sysP, orig: origP }),
      createGram(device, l, 'P-residual', { ...common, part: buf.partP, sys: sysP, orig: origP }),
      createGram(device, l, 'Q', {
        ...common, part: buf.partQ,
        sys: { buffer: buf.sysZ, offset: l.sysQOff * 4, size: span + bytesQ }, orig: { buffer: buf.origZ, offset: l.sysQOff * 4, size: span + bytesQ },
      }),
      createCholesky(device, 'z-block', zSystems, buf.params, buf.sysZ, buf.xz, { spread, trials: B, aStride: l.sysZLen, outStride: l.weightsLen }),
      createCholesky(device, 'h-block', hSystems, buf.params, buf.sysH, buf.z, { spread, trials: B, aStride: l.sysHLen, outStride: l.zLen }),
      createHSystem(device, l, buf.params, buf.z, buf.sysH),
      createHUpdate(device, l, act, { params: buf.params, y: buf.y, x: buf.x, u: buf.u, xi: buf.xi, zeta: buf.zeta, z: buf.z, h: buf.h }),
      createUUpdate(device, l, act, exact, uBuffers),
      createWResidual(device, l, exact, uBuffers),
      createMultipliers(device, l, act, exact, {
        params: buf.params, h: buf.h, x: buf.x, u: buf.u, xi: buf.xi, zeta: buf.zeta, y: buf.y, z: buf.z, red: buf.red,
      }),
      createCertificate(device, l, act, exact, { params: buf.params, u: buf.u, uprev: buf.uprev, z: buf.z, red: buf.red }),
      createReduce(device, l, buf.params, buf.red, buf.z, buf.out),
      createInitialState(device, l, act, { params: buf.params, x: buf.x, z: buf.z, u: buf.u, h: buf.h }),
    ]);
    all.push(cholZ.descriptors, cholH.descriptors, initialState.chunks);
    const refineBuffers = {
      params: buf.params, orig: buf.origZ, sys: buf.sysZ, out: buf.xz, descriptors: cholZ.descriptors, red: buf.red, shift: buf.shift,
    };
    const [refineQ, sumP] = await Promise.all([createRefine(device, l, 1, refineBuffers, 1), createRefine(device, l, 1, refineBuffers, 0, true)]);
    // Refinement: the P-system's residual from the data (E = U + Ξ/γ − Ψ(h)w needs the
    // uncentred weights, hence the uncenter before it), the Q-system's from its normal equations.
    const zSteps: Recorder[] = [center.means, gramP, gramQ, cholZ.factor, cholZ.solve, center.uncenter];
    for (let i = 0; i < this.refineSteps; i++) zSteps.push(wResidual, gramPResidual, refineQ, cholZ.solveAdd, center.uncenter);
    const sweepSteps = [...zSteps, hSystem, cholH.factor, cholH.solve, hUpdate, uUpdate];
    const sweep = sequence('BCD sweep', sweepSteps);
    // The z-gradient at the new h, u: the P-system's from its data residual too (the stored f32
    // system would put a floor of its own rounding under the certificate), the Q-system's as in the sweep.
    const certZ = sequence('certificate z-part', [center.means, gramP, gramQ, center.center, wResidual, gramPResidual, sumP, refineQ]);

    // Params: the shape header once, the trial records (all active, γ = 1) before every operation.
    const records = new ArrayBuffer(B * TRIAL_RECORD_BYTES);
    const part: Part = {
      first, layout: l, problems, buf, all, sweep, sweepSteps, certZ, mult, hcert, reduce,
      records, recF: new Float32Array(records), recU: new Uint32Array(records),
      gamma: new Float64Array(B).fill(1), haveLastSweep: new Array<boolean>(B).fill(false),
    };
    const header = new ArrayBuffer(PARAMS_HEADER_BYTES);
    packHeader(l, p0.activation, header);
    const q = device.queue;
    q.writeBuffer(buf.params, 0, header);
    problems.forEach((p, b) => packTrial(records, b, { gamma: 1, mu: p.mu, lambdas: p.lambdas }, 0));
    q.writeBuffer(buf.params, PARAMS_HEADER_BYTES, records);

    // Data and s^0, trial-major.
    const x = new Float32Array(B * T * n);
    const y = new Float32Array(B * T * m);
    const z = new Float32Array(B * l.zLen);
    const z0 = new Float32Array(B * l.weightsLen);
    const shift = new Float32Array(B * l.K);
    problems.forEach((p, b) => {
      x.set(p.x, b * T * n);
      y.set(p.y, b * T * m);
      const w = weightsToDevice(initial[b], l);
      z.set(w, b * l.zLen);
      z0.set(w, b * l.weightsLen);
      for (let j = 0; j < n; j++) {
        let sx = 0;
        for (let t = 0; t < T; t++) sx += p.x[t * n + j];
        shift[b * l.K + r + j] = sx / T;
      }
    });
    q.writeBuffer(buf.x, 0, x);
    q.writeBuffer(buf.y, 0, y);
    q.writeBuffer(buf.z, 0, z);
    q.writeBuffer(buf.z0, 0, z0);
    // s^0 on the device (a T·r² recurrence: too slow in JavaScript for long series), kept in h0/u0 for resets.
    const s0enc = device.createCommandEncoder({ label: 's^0' });
    this.recordPass(s0enc, 's^0', [initialState.recorder]);
    const bytes = B * tr * 4;
    s0enc.copyBufferToBuffer(buf.h, 0, buf.h0, 0, bytes);
    s0enc.copyBufferToBuffer(buf.u, 0, buf.u0, 0, bytes);
    s0enc.copyBufferToBuffer(buf.u, 0, buf.uprev, 0, bytes);
    q.submit([s0enc.finish()]);
    q.writeBuffer(buf.shift, 0, shift);
    const zeros = new Float32Array(B * tr);
    q.writeBuffer(buf.xi, 0, zeros);
    q.writeBuffer(buf.zeta, 0, zeros);
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    const err = validation ?? oom;
    if (err) {
      for (const b of all) b.destroy();
      throw new GpuDeviceError(`WebGPU backend setup failed: ${err.message}`);
    }
    return part;
  }

  /**
   * Writes every trial's record of a device batch: γ from `gamma` (global indices; a trial
   * without an entry keeps its last γ), and active where `active` says (default all).
   */
  private writeRecords(P: Part, gamma: ArrayLike<number> | null, active: (b: number) => boolean): void {
    const B = P.layout.trials;
    for (let b = 0; b < B; b++) {
      if (gamma) {
        const g = gamma[P.first + b];
        checkGamma(g, P.first + b);
        P.gamma[b] = g;
      }
      const w = (b * TRIAL_RECORD_BYTES) / 4;
      P.recF[w] = P.gamma[b];
      P.recU[w + 8] = active(b) ? 1 : 0;
    }
    this.device.queue.writeBuffer(P.buf.params, PARAMS_HEADER_BYTES, P.records);
  }

  private recordPass(enc: GPUCommandEncoder, label: string, recs: Recorder[]): void {
    const pass = enc.beginComputePass({ label });
    for (const r of recs) {
      r.record(pass);
      this.stats.dispatches += r.dispatches;
    }
    pass.end();
  }

  /** Whether global trial i is in `mask` (no mask: every trial). */
  private static inMask(mask: TrialMask | undefined, i: number): boolean {
    return !mask || Boolean(mask[i]);
  }

  async sweep(count: number, gamma: ArrayLike<number>, active?: TrialMask): Promise<void> {
    return this.serial(async () => {
      const parts = this.need();
      if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`sweep count must be an integer ≥ 0, got ${count}`);
      if (count === 0) return;
      let ms = 0;
      for (const P of parts) {
        const on = (b: number) => WebGpuBackend.inMask(active, P.first + b);
        const mask = Array.from({ length: P.layout.trials }, (_, b) => on(b));
        if (!mask.some(Boolean)) continue;
        this.writeRecords(P, gamma, on);
        const enc = this.device.createCommandEncoder({ label: `${count} BCD sweeps` });
        if (count > 1) this.recordPass(enc, 'BCD sweeps', Array(count - 1).fill(P.sweep));
        const bytes = P.layout.T * P.layout.r * 4;
        for (const [b, k] of runs(mask)) enc.copyBufferToBuffer(P.buf.u, b * bytes, P.buf.uprev, b * bytes, k * bytes);
        this.recordPass(enc, 'last BCD sweep of the batch', [P.sweep]);
        const t0 = performance.now();
        this.device.queue.submit([enc.finish()]);
        this.stats.submits++;
        await this.device.queue.onSubmittedWorkDone();
        ms += performance.now() - t0;
        mask.forEach((on, b) => {
          if (on) P.haveLastSweep[b] = true;
        });
        this.raiseDeviceError();
      }
      this.stats.lastBatchMs = ms;
      this.stats.lastBatchSweeps = count;
      this.stats.sweeps += count;
    });
  }

  /**
   * Wall time of each step of one sweep of every trial, each step submitted alone and waited for
   * (so the figures include a submit's overhead; summed over the device batches). Advances every
   * trial by one sweep.
   */
  async profileSweep(gamma: ArrayLike<number> | number): Promise<Array<{ label: string; ms: number }>> {
    return this.serial(async () => {
      const parts = this.need();
      const g = typeof gamma === 'number' ? new Float64Array(this.trials).fill(gamma) : gamma;
      const out: Array<{ label: string; ms: number }> = [];
      for (const P of parts) {
        this.writeRecords(P, g, () => true);
        P.sweepSteps.forEach((step, i) => {
          out[i] ??= { label: step.label, ms: 0 };
        });
        for (let i = 0; i < P.sweepSteps.length; i++) {
          const step = P.sweepSteps[i];
          const enc = this.device.createCommandEncoder({ label: `profile ${step.label}` });
          this.recordPass(enc, step.label, [step]);
          const t0 = performance.now();
          this.device.queue.submit([enc.finish()]);
          this.stats.submits++;
          await this.device.queue.onSubmittedWorkDone();
          out[i].ms += performance.now() - t0;
        }
        P.haveLastSweep.fill(false);
      }
      this.stats.sweeps++;
      this.raiseDeviceError();
      return out;
    });
  }

  /** Runs `recs` and the reduction over a device batch and reads back every trial's NSLOT scalars (sum + compensation, in float64): one read-back. */
  private async scalars(P: Part, label: string, recs: Recorder[]): Promise<Float64Array[]> {
    const enc = this.device.createCommandEncoder({ label });
    this.recordPass(enc, label, [...recs, P.reduce]);
    const B = P.layout.trials;
    const [raw] = await this.readBack(enc, [{ buffer: P.buf.out, offset: 0, floats: B * OUT_LEN }]);
    const out: Float64Array[] = [];
    for (let b = 0; b < B; b++) {
      const s = new Float64Array(NSLOT);
      for (let i = 0; i < NSLOT; i++) s[i] = raw[b * OUT_LEN + 2 * i] + raw[b * OUT_LEN + 2 * i + 1];
      out.push(s);
    }
    return out;
  }

  /** Copies the given ranges into a staging buffer at the end of `enc`, submits and maps it. */
  private async readBack(enc: GPUCommandEncoder, parts: Array<{ buffer: GPUBuffer; offset: number; floats: number }>): Promise<Float32Array[]> {
    const total = parts.reduce((s, p) => s + p.floats * 4, 0);
    if (!this.staging || this.staging.size < total) {
      this.staging?.destroy();
      this.staging = this.device.createBuffer({ label: 'read-back staging', size: Math.max(256, Math.ceil(total / 256) * 256), usage: Usage.MAP_READ | Usage.COPY_DST });
    }
    let off = 0;
    for (const p of parts) {
      enc.copyBufferToBuffer(p.buffer, p.offset * 4, this.staging, off, p.floats * 4);
      off += p.floats * 4;
    }
    this.device.queue.submit([enc.finish()]);
    this.stats.submits++;
    const staging = this.staging;
    try {
      await staging.mapAsync(MAP_READ_MODE, 0, total);
    } catch (e) {
      this.raiseDeviceError();
      throw e;
    }
    this.stats.readbacks++;
    const all = new Float32Array(staging.getMappedRange(0, total).slice(0));
    staging.unmap();
    this.raiseDeviceError();
    const out: Float32Array[] = [];
    off = 0;
    for (const p of parts) {
      out.push(all.subarray(off, off + p.floats));
      off += p.floats;
    }
    return out;
  }

  async certificate(gamma: ArrayLike<number>, active?: TrialMask): Promise<Float64Array> {
    return this.serial(async () => {
      const out = new Float64Array(this.trials).fill(NaN);
      for (const P of this.need()) {
        const on = (b: number) => WebGpuBackend.inMask(active, P.first + b);
        const run = (b: number) => on(b) && P.haveLastSweep[b];
        for (let b = 0; b < P.layout.trials; b++) if (on(b) && !P.haveLastSweep[b]) out[P.first + b] = Infinity;
        if (!P.haveLastSweep.some((_, b) => run(b))) continue;
        this.writeRecords(P, gamma, run);
        const s = await this.scalars(P, 'certificate', [P.certZ, P.hcert]);
        for (let b = 0; b < P.layout.trials; b++) {
          if (!run(b)) continue;
          const mu = P.problems[b].mu;
          const v = s[b];
          out[P.first + b] = Math.sqrt(Math.max(0, v[10] + v[11] + v[8] + mu * mu * v[9]));
        }
      }
      return out;
    });
  }

  async constraintNorms(): Promise<ConstraintNorms[]> {
    return this.serial(async () => {
      const out: ConstraintNorms[] = [];
      for (const P of this.need()) {
        this.writeRecords(P, null, () => true);
        for (const s of await this.scalars(P, 'constraint norms', [P.mult.stats])) {
          out.push({ c1: Math.sqrt(Math.max(0, s[0])), c2: Math.sqrt(Math.max(0, s[1])), uNorm: Math.sqrt(Math.max(0, s[6])) });
        }
      }
      return out;
    });
  }

  async updateMultipliers(gamma: ArrayLike<number>, active?: TrialMask): Promise<MultiplierNorms[]> {
    return this.serial(async () => {
      const out: MultiplierNorms[] = [];
      for (const P of this.need()) {
        const on = (b: number) => WebGpuBackend.inMask(active, P.first + b);
        const B = P.layout.trials;
        if (!Array.from({ length: B }, (_, b) => on(b)).some(Boolean)) {
          for (let b = 0; b < B; b++) out.push({ xi: NaN, zeta: NaN });
          continue;
        }
        this.writeRecords(P, gamma, on);
        const s = await this.scalars(P, 'multiplier update', [P.mult.statsUpdate]);
        for (let b = 0; b < B; b++) {
          out.push(on(b) ? { xi: Math.sqrt(Math.max(0, s[b][4])), zeta: Math.sqrt(Math.max(0, s[b][5])) } : { xi: NaN, zeta: NaN });
        }
      }
      return out;
    });
  }

  async lagrangian(gamma: ArrayLike<number>): Promise<Float64Array> {
    return this.serial(async () => {
      const out = new Float64Array(this.trials);
      for (const P of this.need()) {
        this.writeRecords(P, gamma, () => true);
        const all = await this.scalars(P, 'augmented Lagrangian', [P.mult.stats]);
        all.forEach((s, b) => {
          const lam = P.problems[b].lambdas;
          const g = gamma[P.first + b];
          const R = s[7] / P.layout.T + lam.l1 * s[12] + lam.l2 * s[13] + lam.l3 * s[14] + lam.l4 * s[15] + lam.l5 * s[16] + lam.l6 * s[6];
          out[P.first + b] = R + 0.5 * g * s[0] + s[2] + 0.5 * g * s[1] + s[3];
        });
      }
      return out;
    });
  }

  async resetToInitial(mask: TrialMask): Promise<void> {
    return this.serial(async () => {
      for (const P of this.need()) {
        const m = Array.from({ length: P.layout.trials }, (_, b) => Boolean(mask[P.first + b]));
        const rs = runs(m);
        if (rs.length === 0) continue;
        const enc = this.device.createCommandEncoder({ label: 'reset to s^0' });
        const tr = P.layout.T * P.layout.r * 4;
        const wl = P.layout.weightsLen * 4;
        const zl = P.layout.zLen * 4;
        for (const [b, k] of rs) {
          enc.copyBufferToBuffer(P.buf.h0, b * tr, P.buf.h, b * tr, k * tr);
          enc.copyBufferToBuffer(P.buf.u0, b * tr, P.buf.u, b * tr, k * tr);
          enc.copyBufferToBuffer(P.buf.u0, b * tr, P.buf.uprev, b * tr, k * tr);
          for (let i = b; i < b + k; i++) enc.copyBufferToBuffer(P.buf.z0, i * wl, P.buf.z, i * zl, wl);
        }
        m.forEach((on, b) => {
          if (on) P.haveLastSweep[b] = false;
        });
        this.device.queue.submit([enc.finish()]);
        this.stats.submits++;
      }
      await this.device.queue.onSubmittedWorkDone();
      this.raiseDeviceError();
    });
  }

  async readWeights(): Promise<RnnWeights[]> {
    return this.serial(async () => {
      const out: RnnWeights[] = [];
      for (const P of this.need()) {
        const l = P.layout;
        const enc = this.device.createCommandEncoder({ label: 'read weights' });
        const ranges = Array.from({ length: l.trials }, (_, b) => ({ buffer: P.buf.z, offset: b * l.zLen, floats: l.weightsLen }));
        for (const z of await this.readBack(enc, ranges)) out.push(weightsFromDevice(z, l));
      }
      return out;
    });
  }

  async readState(trial: number): Promise<BcdState> {
    return this.serial(async () => {
      const [P, b] = this.locate(trial);
      const l = P.layout;
      const tr = l.T * l.r;
      const enc = this.device.createCommandEncoder({ label: `read state of trial ${trial}` });
      const [z, h, u, xi, zeta] = await this.readBack(enc, [
        { buffer: P.buf.z, offset: b * l.zLen, floats: l.weightsLen },
        { buffer: P.buf.h, offset: b * tr, floats: tr },
        { buffer: P.buf.u, offset: b * tr, floats: tr },
        { buffer: P.buf.xi, offset: b * tr, floats: tr },
        { buffer: P.buf.zeta, offset: b * tr, floats: tr },
      ]);
      return {
        weights: weightsFromDevice(z, l),
        h: Float64Array.from(h), u: Float64Array.from(u), xi: Float64Array.from(xi), zeta: Float64Array.from(zeta),
      };
    });
  }

  async writeState(trial: number, state: BcdState): Promise<void> {
    return this.serial(async () => {
      const [P, b] = this.locate(trial);
      const l = P.layout;
      const { T, r, n, m } = l;
      const w = state.weights;
      if (w.r !== r || w.n !== n || w.m !== m) throw new RangeError(`writeState: weights are ${w.r}/${w.n}/${w.m} (r/n/m), the problem is ${r}/${n}/${m}`);
      for (const k of ['h', 'u', 'xi', 'zeta'] as const) {
        if (state[k].length !== T * r) throw new RangeError(`writeState: ${k} has ${state[k].length} values, expected T·r = ${T * r}`);
      }
      const q = this.device.queue;
      const tr = T * r * 4;
      q.writeBuffer(P.buf.z, b * l.zLen * 4, weightsToDevice(w, l));
      q.writeBuffer(P.buf.h, b * tr, Float32Array.from(state.h));
      const u = Float32Array.from(state.u);
      q.writeBuffer(P.buf.u, b * tr, u);
      q.writeBuffer(P.buf.uprev, b * tr, u);
      q.writeBuffer(P.buf.xi, b * tr, Float32Array.from(state.xi));
      q.writeBuffer(P.buf.zeta, b * tr, Float32Array.from(state.zeta));
      P.haveLastSweep[b] = false;
      await q.onSubmittedWorkDone();
      this.raiseDeviceError();
    });
  }

  private freeParts(): void {
    for (const P of this.parts) for (const b of P.all) b.destroy();
    this.parts = [];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.freeParts();
    this.staging?.destroy();
    this.staging = null;
    this.unlisten();
    if (this.ownsDevice) this.device.destroy();
  }
}

/** A batched backend on `device` (every kernel over all trials of a device batch). */
export function createWebGpuBatch(device: GPUDevice, options: WebGpuBackendOptions = {}): WebGpuBackend {
  return new WebGpuBackend(device, options);
}

/** Acquires a device (browser or Node) and returns a batched backend that owns it. */
export async function createWebGpuBatchBackend(options: AcquireOptions & Omit<WebGpuBackendOptions, 'adapterInfo' | 'ownsDevice'> = {}): Promise<WebGpuBackend> {
  const { device, adapterInfo } = await acquireGpu(options);
  return new WebGpuBackend(device, { ...options, adapterInfo, ownsDevice: true });
}

/** The same as createWebGpuBatchBackend (the backend is batched; a single run is a batch of one). */
export const createWebGpuBackend = createWebGpuBatchBackend;
