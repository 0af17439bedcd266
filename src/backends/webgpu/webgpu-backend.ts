// The WebGPU backend: the BCD sweep of ALGORITHM.md §4 as a fixed sequence of compute
// dispatches over state that lives on the device (f32). Pipelines, bind groups and buffers
// are built once per problem; a batch of sweeps is one command encoder and one submit; the
// orchestrator sees only the few scalars it asks for.
import type { BackendInfo, BcdBackend, BcdProblem, BcdState, ConstraintNorms, TrialEngine } from '../backend.ts';
import { TrialsBackend } from '../trials.ts';
import type { RnnWeights } from '../../problem/types.ts';
import { acquireGpu, isSoftwareAdapter, type AcquireOptions, type GpuAdapterSummary } from './device.ts';
import { checkLimits, GRAM_TARGET_WORKGROUPS, NSLOT, planLayout, type GpuLayout } from './layout.ts';
import { createCenter } from './kernels/center.ts';
import { createCertificate } from './kernels/certificate.ts';
import { createCholesky } from './kernels/cholesky.ts';
import { activationCode, packParams, PARAMS_BYTES } from './kernels/common.ts';
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
}

/** Counters for benchmarks: what the backend has asked of the device. */
export interface WebGpuStats {
  /** Sweeps run since load. */
  sweeps: number;
  /** Compute dispatches recorded since load (sweeps and queries). */
  dispatches: number;
  /** Dispatches recorded by one sweep. */
  dispatchesPerSweep: number;
  /** Buffer read-backs (mapAsync) since load. */
  readbacks: number;
  /** Read-backs made inside sweep() since load (by design 0). */
  sweepReadbacks: number;
  /** Queue submissions since load. */
  submits: number;
  /** Wall time of the last sweep() call, submit to completion, in ms. */
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

interface Loaded {
  layout: GpuLayout;
  problem: BcdProblem;
  buf: Buffers;
  all: GPUBuffer[];
  sweep: Recorder;
  /** The sweep's parts in order (for profiling). */
  sweepSteps: Recorder[];
  certZ: Recorder;
  mult: Multipliers;
  hcert: Recorder;
  reduce: Recorder;
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

function checkProblem(p: BcdProblem, w: RnnWeights): void {
  const bad = (what: string) => {
    throw new RangeError(`WebGpuBackend.load: ${what}`);
  };
  for (const [k, v] of Object.entries({ T: p.T, r: p.r, m: p.m })) if (!(Number.isInteger(v) && v >= 1)) bad(`${k} must be an integer ≥ 1, got ${v}`);
  if (!(Number.isInteger(p.n) && p.n >= 0)) bad(`n must be an integer ≥ 0, got ${p.n}`);
  if (p.x.length !== p.T * p.n) bad(`x has ${p.x.length} values, expected T·n = ${p.T * p.n}`);
  if (p.y.length !== p.T * p.m) bad(`y has ${p.y.length} values, expected T·m = ${p.T * p.m}`);
  if (w.r !== p.r || w.n !== p.n || w.m !== p.m) bad(`initial weights are ${w.r}/${w.n}/${w.m} (r/n/m), the problem is ${p.r}/${p.n}/${p.m}`);
  if (!(p.mu > 0)) bad(`μ must be > 0, got ${p.mu}`);
}

/** The BCD engine on a WebGPU device (float32). */
export class WebGpuBackend implements TrialEngine {
  readonly info: BackendInfo;
  readonly stats: WebGpuStats = {
    sweeps: 0, dispatches: 0, dispatchesPerSweep: 0, readbacks: 0, sweepReadbacks: 0, submits: 0, lastBatchMs: 0, lastBatchSweeps: 0,
  };
  /** Resolves with the error when the device is lost (never when it is destroyed on purpose). */
  readonly lost: Promise<GpuDeviceLostError>;

  private readonly device: GPUDevice;
  private readonly refineSteps: number;
  private readonly ownsDevice: boolean;
  /** Workgroups the Gram reductions aim for: many on a GPU, few on a CPU-emulated adapter. */
  private readonly gramTarget: number;
  /** How the triangular solves split their columns into workgroups (see cholesky.ts). */
  private readonly solveSpread: 'wide' | 'narrow';
  private loaded: Loaded | null = null;
  private lostError: GpuDeviceLostError | null = null;
  private deviceError: GpuDeviceError | null = null;
  private listeners = new Set<(e: Error) => void>();
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private staging: GPUBuffer | null = null;
  /** Whether a sweep ran since load / reset / writeState (the certificate needs one). */
  private haveLastSweep = false;

  constructor(device: GPUDevice, options: WebGpuBackendOptions = {}) {
    this.device = device;
    this.refineSteps = options.refineSteps ?? 1;
    this.ownsDevice = options.ownsDevice ?? false;
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
    if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', onError);
    else (device as { onuncapturederror: unknown }).onuncapturederror = onError;
  }

  /** Subscribes to asynchronous device errors (loss, validation); returns the unsubscribe function. */
  onError(listener: (e: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The device layout of the loaded problem (sizes, offsets, grid shapes). */
  get layout(): GpuLayout {
    return this.need().layout;
  }

  private emit(e: Error): void {
    for (const l of this.listeners) l(e);
  }

  private need(): Loaded {
    if (this.lostError) throw this.lostError;
    if (!this.loaded) throw new Error('WebGpuBackend: load() a problem first');
    return this.loaded;
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

  async load(problem: BcdProblem, initial: RnnWeights): Promise<void> {
    return this.serial(async () => {
      checkProblem(problem, initial);
      this.freeLoaded();
      const device = this.device;
      const l = planLayout(problem, device.limits.maxStorageBufferBindingSize, this.gramTarget);
      checkLimits(l, device.limits);
      const S = Usage.STORAGE | Usage.COPY_DST | Usage.COPY_SRC;
      const all: GPUBuffer[] = [];
      const T = problem.T;
      const { r, n, m } = problem;
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      const buf: Buffers = {
        params: this.buffer('params', PARAMS_BYTES / 4, Usage.UNIFORM | Usage.COPY_DST, all),
        x: this.buffer('x (T×n)', T * n, S, all),
        y: this.buffer('y (T×m)', T * m, S, all),
        h: this.buffer('h (T×r)', T * r, S, all),
        u: this.buffer('u (T×r)', T * r, S, all),
        xi: this.buffer('ξ (T×r)', T * r, S, all),
        zeta: this.buffer('ζ (T×r)', T * r, S, all),
        uprev: this.buffer('u before the last sweep (T×r)', T * r, S, all),
        wres: this.buffer('data residual of the w-part (T×r)', T * r, S, all),
        h0: this.buffer('h of s^0', T * r, S, all),
        u0: this.buffer('u of s^0', T * r, S, all),
        z: this.buffer('z: weights and h-block solutions', l.zLen, S, all),
        z0: this.buffer('z of s^0', l.weightsLen, S, all),
        shift: this.buffer('centring shift [h̄; x̄; 0]', l.K, S, all),
        xz: this.buffer('centred z-block solutions', l.weightsLen, S, all),
        partP: this.buffer('Gram partial sums P', l.partPLen, S, all),
        partQ: this.buffer('Gram partial sums Q', l.partQLen, S, all),
        sysZ: this.buffer('z-block systems (factorised)', l.sysZLen, S, all),
        origZ: this.buffer('z-block systems (original)', l.sysZLen, S, all),
        sysH: this.buffer('h-block systems', l.sysHLen, S, all),
        red: this.buffer('partial-sum slots', 12 * l.statsRows, S, all),
        out: this.buffer('reduced scalars', 2 * NSLOT, S, all),
      };
      const act = activationCode(problem.activation);
      const exact = await exactDotMode(device);
      const bytesP = l.K * l.Wp * 4;
      const bytesQ = l.Kq * l.Wq * 4;
      const common = { params: buf.params, h: buf.h, x: buf.x, u: buf.u, xi: buf.xi, y: buf.y, shift: buf.shift, wres: buf.wres, xz: buf.xz };
      const sysP = { buffer: buf.sysZ, offset: 0, size: bytesP };
      const uBuffers = { params: buf.params, h: buf.h, x: buf.x, u: buf.u, xi: buf.xi, zeta: buf.zeta, z: buf.z, wres: buf.wres };
      const zSystems = [
        { off: 0, n: l.K, nrhs: r, outOff: 0, kind: 0 },
        { off: l.sysQOff, n: l.Kq, nrhs: m, outOff: l.offN, kind: 1 },
      ];
      const hSystems = [
        { off: 0, n: r, nrhs: l.nrhs1, outOff: l.offH1, kind: 2 },
        { off: l.sysH2Off, n: r, nrhs: l.nrhs2, outOff: l.offH2, kind: 3 },
      ];
      const [center, gramP, gramPResidual, gramQ, cholZ, cholH, hSystem, hUpdate, uUpdate, wResidual, mult, hcert, reduce, initialState] = await Promise.all([
        createCenter(device, l, { params: buf.params, h: buf.h, shift: buf.shift, xz: buf.xz, z: buf.z }),
        createGram(device, l, 'P', { ...common, part: buf.partP, sys: sysP, orig: { buffer: buf.origZ, offset: 0, size: bytesP } }),
        createGram(device, l, 'P-residual', { ...common, part: buf.partP, sys: sysP, orig: { buffer: buf.origZ, offset: 0, size: bytesP } }),
        createGram(device, l, 'Q', {
          ...common, part: buf.partQ,
          sys: { buffer: buf.sysZ, offset: l.sysQOff * 4, size: bytesQ }, orig: { buffer: buf.origZ, offset: l.sysQOff * 4, size: bytesQ },
        }),
        createCholesky(device, 'z-block', zSystems, buf.params, buf.sysZ, buf.xz, { spread: this.solveSpread }),
        createCholesky(device, 'h-block', hSystems, buf.params, buf.sysH, buf.z, { spread: this.solveSpread }),
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

      // Data and s^0.
      const q = device.queue;
      q.writeBuffer(buf.params, 0, packParams(l, problem.lambdas, problem.mu, problem.activation, 1));
      q.writeBuffer(buf.x, 0, Float32Array.from(problem.x));
      q.writeBuffer(buf.y, 0, Float32Array.from(problem.y));
      const z0 = weightsToDevice(initial, l);
      q.writeBuffer(buf.z, 0, z0);
      q.writeBuffer(buf.z0, 0, z0);
      // s^0 on the device (a T·r² recurrence: too slow in JavaScript for long series), kept in h0/u0 for resets.
      const s0enc = device.createCommandEncoder({ label: 's^0' });
      this.recordPass(s0enc, 's^0', [initialState.recorder]);
      const tr = T * r * 4;
      s0enc.copyBufferToBuffer(buf.h, 0, buf.h0, 0, tr);
      s0enc.copyBufferToBuffer(buf.u, 0, buf.u0, 0, tr);
      s0enc.copyBufferToBuffer(buf.u, 0, buf.uprev, 0, tr);
      q.submit([s0enc.finish()]);
      this.stats.submits++;
      const shift = new Float32Array(l.K);
      for (let j = 0; j < n; j++) {
        let sx = 0;
        for (let t = 0; t < T; t++) sx += problem.x[t * n + j];
        shift[r + j] = sx / T;
      }
      q.writeBuffer(buf.shift, 0, shift);
      const zeros = new Float32Array(T * r);
      q.writeBuffer(buf.xi, 0, zeros);
      q.writeBuffer(buf.zeta, 0, zeros);
      const validation = await device.popErrorScope();
      const oom = await device.popErrorScope();
      const err = validation ?? oom;
      if (err) {
        for (const b of all) b.destroy();
        throw new GpuDeviceError(`WebGPU backend setup failed: ${err.message}`);
      }
      this.loaded = { layout: l, problem, buf, all, sweep, sweepSteps, certZ, mult, hcert, reduce };
      this.stats.sweeps = 0;
      this.stats.dispatches = 0;
      this.stats.readbacks = 0;
      this.stats.sweepReadbacks = 0;
      this.stats.submits = 0;
      this.stats.dispatchesPerSweep = sweep.dispatches;
      this.haveLastSweep = false;
      await q.onSubmittedWorkDone();
      this.raiseDeviceError();
    });
  }

  private writeGamma(L: Loaded, gamma: number): void {
    if (!(gamma > 0 && Number.isFinite(gamma))) throw new RangeError(`γ must be a positive finite number, got ${gamma}`);
    const p = L.problem;
    this.device.queue.writeBuffer(L.buf.params, 0, packParams(L.layout, p.lambdas, p.mu, p.activation, gamma));
  }

  private recordPass(enc: GPUCommandEncoder, label: string, recs: Recorder[]): void {
    const pass = enc.beginComputePass({ label });
    for (const r of recs) {
      r.record(pass);
      this.stats.dispatches += r.dispatches;
    }
    pass.end();
  }

  async sweep(count: number, gamma: number): Promise<void> {
    return this.serial(async () => {
      const L = this.need();
      if (!(Number.isInteger(count) && count >= 0)) throw new RangeError(`sweep count must be an integer ≥ 0, got ${count}`);
      if (count === 0) return;
      this.writeGamma(L, gamma);
      const enc = this.device.createCommandEncoder({ label: `${count} BCD sweeps` });
      if (count > 1) this.recordPass(enc, 'BCD sweeps', Array(count - 1).fill(L.sweep));
      const bytes = L.layout.T * L.layout.r * 4;
      enc.copyBufferToBuffer(L.buf.u, 0, L.buf.uprev, 0, bytes);
      this.recordPass(enc, 'last BCD sweep of the batch', [L.sweep]);
      const t0 = performance.now();
      this.device.queue.submit([enc.finish()]);
      this.stats.submits++;
      await this.device.queue.onSubmittedWorkDone();
      this.stats.lastBatchMs = performance.now() - t0;
      this.stats.lastBatchSweeps = count;
      this.stats.sweeps += count;
      this.haveLastSweep = true;
      this.raiseDeviceError();
    });
  }

  /**
   * Wall time of each step of one sweep, each submitted alone and waited for (so the figures
   * include a submit's overhead). Advances the state by one sweep.
   */
  async profileSweep(gamma: number): Promise<Array<{ label: string; ms: number }>> {
    return this.serial(async () => {
      const L = this.need();
      this.writeGamma(L, gamma);
      const out: Array<{ label: string; ms: number }> = [];
      for (const step of L.sweepSteps) {
        const enc = this.device.createCommandEncoder({ label: `profile ${step.label}` });
        this.recordPass(enc, step.label, [step]);
        const t0 = performance.now();
        this.device.queue.submit([enc.finish()]);
        this.stats.submits++;
        await this.device.queue.onSubmittedWorkDone();
        out.push({ label: step.label, ms: performance.now() - t0 });
      }
      this.stats.sweeps++;
      this.haveLastSweep = false;
      this.raiseDeviceError();
      return out;
    });
  }

  /** Runs `recs`, reduces, and reads back the NSLOT scalars (sum + compensation, in float64). */
  private async scalars(L: Loaded, label: string, recs: Recorder[]): Promise<Float64Array> {
    const enc = this.device.createCommandEncoder({ label });
    this.recordPass(enc, label, [...recs, L.reduce]);
    const [raw] = await this.readBack(enc, [{ buffer: L.buf.out, offset: 0, floats: 2 * NSLOT }]);
    const s = new Float64Array(NSLOT);
    for (let i = 0; i < NSLOT; i++) s[i] = raw[2 * i] + raw[2 * i + 1];
    return s;
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

  async certificate(gamma: number): Promise<number> {
    return this.serial(async () => {
      const L = this.need();
      if (!this.haveLastSweep) return Infinity;
      this.writeGamma(L, gamma);
      const s = await this.scalars(L, 'certificate', [L.certZ, L.hcert]);
      const mu = L.problem.mu;
      return Math.sqrt(Math.max(0, s[10] + s[11] + s[8] + mu * mu * s[9]));
    });
  }

  async constraintNorms(): Promise<ConstraintNorms> {
    return this.serial(async () => {
      const L = this.need();
      const s = await this.scalars(L, 'constraint norms', [L.mult.stats]);
      return { c1: Math.sqrt(Math.max(0, s[0])), c2: Math.sqrt(Math.max(0, s[1])), uNorm: Math.sqrt(Math.max(0, s[6])) };
    });
  }

  async updateMultipliers(gamma: number): Promise<{ xi: number; zeta: number }> {
    return this.serial(async () => {
      const L = this.need();
      this.writeGamma(L, gamma);
      const s = await this.scalars(L, 'multiplier update', [L.mult.statsUpdate]);
      return { xi: Math.sqrt(Math.max(0, s[4])), zeta: Math.sqrt(Math.max(0, s[5])) };
    });
  }

  async lagrangian(gamma: number): Promise<number> {
    return this.serial(async () => {
      const L = this.need();
      this.writeGamma(L, gamma);
      const s = await this.scalars(L, 'augmented Lagrangian', [L.mult.stats]);
      const lam = L.problem.lambdas;
      const R = s[7] / L.layout.T + lam.l1 * s[12] + lam.l2 * s[13] + lam.l3 * s[14] + lam.l4 * s[15] + lam.l5 * s[16] + lam.l6 * s[6];
      return R + 0.5 * gamma * s[0] + s[2] + 0.5 * gamma * s[1] + s[3];
    });
  }

  async resetToInitial(): Promise<void> {
    return this.serial(async () => {
      const L = this.need();
      const enc = this.device.createCommandEncoder({ label: 'reset to s^0' });
      const tr = L.layout.T * L.layout.r * 4;
      enc.copyBufferToBuffer(L.buf.h0, 0, L.buf.h, 0, tr);
      enc.copyBufferToBuffer(L.buf.u0, 0, L.buf.u, 0, tr);
      enc.copyBufferToBuffer(L.buf.u0, 0, L.buf.uprev, 0, tr);
      enc.copyBufferToBuffer(L.buf.z0, 0, L.buf.z, 0, L.layout.weightsLen * 4);
      this.haveLastSweep = false;
      this.device.queue.submit([enc.finish()]);
      this.stats.submits++;
      await this.device.queue.onSubmittedWorkDone();
      this.raiseDeviceError();
    });
  }

  async readWeights(): Promise<RnnWeights> {
    return this.serial(async () => {
      const L = this.need();
      const enc = this.device.createCommandEncoder({ label: 'read weights' });
      const [z] = await this.readBack(enc, [{ buffer: L.buf.z, offset: 0, floats: L.layout.weightsLen }]);
      return weightsFromDevice(z, L.layout);
    });
  }

  async readState(): Promise<BcdState> {
    return this.serial(async () => {
      const L = this.need();
      const tr = L.layout.T * L.layout.r;
      const enc = this.device.createCommandEncoder({ label: 'read state' });
      const [z, h, u, xi, zeta] = await this.readBack(enc, [
        { buffer: L.buf.z, offset: 0, floats: L.layout.weightsLen },
        { buffer: L.buf.h, offset: 0, floats: tr },
        { buffer: L.buf.u, offset: 0, floats: tr },
        { buffer: L.buf.xi, offset: 0, floats: tr },
        { buffer: L.buf.zeta, offset: 0, floats: tr },
      ]);
      return {
        weights: weightsFromDevice(z, L.layout),
        h: Float64Array.from(h), u: Float64Array.from(u), xi: Float64Array.from(xi), zeta: Float64Array.from(zeta),
      };
    });
  }

  async writeState(state: BcdState): Promise<void> {
    return this.serial(async () => {
      const L = this.need();
      const { T, r, n, m } = L.layout;
      const w = state.weights;
      if (w.r !== r || w.n !== n || w.m !== m) throw new RangeError(`writeState: weights are ${w.r}/${w.n}/${w.m} (r/n/m), the problem is ${r}/${n}/${m}`);
      for (const k of ['h', 'u', 'xi', 'zeta'] as const) {
        if (state[k].length !== T * r) throw new RangeError(`writeState: ${k} has ${state[k].length} values, expected T·r = ${T * r}`);
      }
      const q = this.device.queue;
      q.writeBuffer(L.buf.z, 0, weightsToDevice(w, L.layout));
      q.writeBuffer(L.buf.h, 0, Float32Array.from(state.h));
      const u = Float32Array.from(state.u);
      q.writeBuffer(L.buf.u, 0, u);
      q.writeBuffer(L.buf.uprev, 0, u);
      q.writeBuffer(L.buf.xi, 0, Float32Array.from(state.xi));
      q.writeBuffer(L.buf.zeta, 0, Float32Array.from(state.zeta));
      this.haveLastSweep = false;
      await q.onSubmittedWorkDone();
      this.raiseDeviceError();
    });
  }

  private freeLoaded(): void {
    if (this.loaded) for (const b of this.loaded.all) b.destroy();
    this.loaded = null;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.freeLoaded();
    this.staging?.destroy();
    this.staging = null;
    if (this.ownsDevice) this.device.destroy();
  }
}

/** Acquires a device (browser or Node) and returns a backend that owns it. */
export async function createWebGpuBackend(options: AcquireOptions & Omit<WebGpuBackendOptions, 'adapterInfo' | 'ownsDevice'> = {}): Promise<WebGpuBackend> {
  const { device, adapterInfo } = await acquireGpu(options);
  return new WebGpuBackend(device, { ...options, adapterInfo, ownsDevice: true });
}

/**
 * A batch of trials on one device, each by its own WebGpuBackend (its own dispatches): the
 * batched BcdBackend until the kernels take the trial dimension themselves.
 */
export function createWebGpuBatch(device: GPUDevice, options: WebGpuBackendOptions = {}): BcdBackend {
  const engineOptions = { ...options, ownsDevice: false };
  const info = new WebGpuBackend(device, engineOptions).info;
  const batch = new TrialsBackend(() => new WebGpuBackend(device, engineOptions), info);
  const dispose = batch.dispose.bind(batch);
  batch.dispose = () => {
    dispose();
    if (options.ownsDevice) device.destroy();
  };
  return batch;
}

/** Acquires a device (browser or Node) and returns a batched backend that owns it. */
export async function createWebGpuBatchBackend(options: AcquireOptions & Omit<WebGpuBackendOptions, 'adapterInfo' | 'ownsDevice'> = {}): Promise<BcdBackend> {
  const { device, adapterInfo } = await acquireGpu(options);
  return createWebGpuBatch(device, { ...options, adapterInfo, ownsDevice: true });
}
