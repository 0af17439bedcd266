// Sizes and offsets of everything the WebGPU backend keeps on the device for one trial, the
// number of trials of a device batch (every buffer holds them trial-major), the check of those
// sizes against the device's limits (a clear error before anything is built), and the largest
// device batch a device's limits allow. The per-trial layout does not depend on the number of
// trials, so a trial's partitions (Gram segments, tiles, solve blocks) and hence its bits are
// the same in a batch of any size.
import { alignUp } from './kernels/kernel.ts';
import { UserInputError } from '../../errors.ts';

/** Problem dimensions that fix the layout. */
export interface GpuDims {
  T: number;
  r: number;
  n: number;
  m: number;
}

/** Where everything lives; all offsets and lengths count f32 elements. */
export interface GpuLayout extends GpuDims {
  /** Trials of the device batch (B); every buffer holds B per-trial blocks of the lengths below. */
  trials: number;
  /** K = r + n + 1, rows of the P-system. */
  K: number;
  /** Row length of the augmented P-system [K×K | K×r]. */
  Wp: number;
  /** r + 1, rows of the Q-system. */
  Kq: number;
  /** Row length of the augmented Q-system [(r+1)×(r+1) | (r+1)×m]. */
  Wq: number;
  segLenP: number;
  nSegP: number;
  segLenQ: number;
  nSegQ: number;
  /** Nᵀ in z (Mᵀ is at 0). */
  offN: number;
  /** Length of the weights part of z (Mᵀ and Nᵀ). */
  weightsLen: number;
  /** h-block solutions in z: X1 = D1⁻¹[I | Aᵀ | Wᵀ | −γWᵀV] (r × nrhs1), X2 = D2⁻¹[I | Aᵀ]. */
  offH1: number;
  nrhs1: number;
  offH2: number;
  nrhs2: number;
  zLen: number;
  /** The Q-system's offset in the z-system buffers (256-byte aligned, for binding offsets). */
  sysQOff: number;
  sysZLen: number;
  sysH2Off: number;
  sysHLen: number;
  partPLen: number;
  partQLen: number;
  /** Regular row tiles of h_update (t < T−1); one more tile row handles t = T−1. */
  hRegTiles: number;
  /** Column tiles of the stats kernel: ceil(r/32) constraint tiles + ceil(m/32) fit tiles. */
  nStatsX: number;
  rowTiles: number;
  refineX: number;
  /** Rows per slot of the partial-sum buffer. */
  statsRows: number;
  /** Rows filled per slot by the kernels that write it (slots 0…11). */
  slotCounts: number[];
}

/** Number of read-back scalar slots (see reduce.wgsl). */
export const NSLOT = 17;

/** Output tile edge of the tiled kernels (tile.wgsl TS). */
export const TILE = 32;
/** Byte budget for the per-segment partial sums of each Gram reduction. */
const PARTIAL_BUDGET = 64 * 1024 * 1024;
/** Workgroups the Gram reduction aims for on a hardware GPU (enough to fill a large one). */
export const GRAM_TARGET_WORKGROUPS = 1024;

function segments(T: number, rows: number, cols: number, maxBinding: number, target: number): [number, number] {
  const tiles = Math.ceil(rows / TILE) * Math.ceil(cols / TILE);
  const perSeg = rows * cols * 4;
  const memCap = Math.max(1, Math.floor(Math.min(PARTIAL_BUDGET, maxBinding) / perSeg));
  let nSeg = Math.min(Math.ceil(target / tiles), Math.ceil(T / 32), memCap);
  nSeg = Math.max(1, nSeg);
  const segLen = alignUp(Math.ceil(T / nSeg), TILE);
  return [segLen, Math.ceil(T / segLen)];
}

/**
 * Plans the device layout of one trial of a problem, for a device batch of `trials` trials;
 * `gramTarget` is how many workgroups the Gram reductions aim for per trial.
 */
export function planLayout(d: GpuDims, maxStorageBinding = 128 * 1024 * 1024, gramTarget = GRAM_TARGET_WORKGROUPS, trials = 1): GpuLayout {
  const { T, r, n, m } = d;
  const K = r + n + 1;
  const Wp = K + r;
  const Kq = r + 1;
  const Wq = Kq + m;
  const [segLenP, nSegP] = segments(T, K, Wp, maxStorageBinding, gramTarget);
  const [segLenQ, nSegQ] = segments(T, Kq, Wq, maxStorageBinding, gramTarget);
  const offN = K * r;
  const weightsLen = offN + Kq * m;
  const nrhs1 = 3 * r + m + n;
  const nrhs2 = r + m;
  const offH1 = weightsLen;
  const offH2 = offH1 + r * nrhs1;
  const zLen = offH2 + r * nrhs2;
  const sysQOff = alignUp(K * Wp, 64);
  const sysZLen = sysQOff + Kq * Wq;
  const sysH2Off = r * (r + nrhs1);
  const sysHLen = sysH2Off + r * (r + nrhs2);
  const rowTiles = Math.ceil(T / TILE);
  const rTiles = Math.ceil(r / TILE);
  const nStatsX = rTiles + Math.ceil(m / TILE);
  const refineX = Math.ceil(Math.max(K * r, Kq * m) / 256);
  const statsCount = nStatsX * rowTiles;
  const hcertCount = rTiles * rowTiles;
  const slotCounts = [
    ...Array(8).fill(statsCount),
    hcertCount, hcertCount,
    refineX, refineX,
  ];
  return {
    trials,
    T, r, n, m, K, Wp, Kq, Wq,
    segLenP, nSegP, segLenQ, nSegQ,
    offN, weightsLen, offH1, nrhs1, offH2, nrhs2, zLen,
    sysQOff, sysZLen, sysH2Off, sysHLen,
    partPLen: nSegP * K * Wp,
    partQLen: nSegQ * Kq * Wq,
    hRegTiles: Math.ceil(Math.max(0, T - 1) / TILE),
    nStatsX, rowTiles, refineX,
    statsRows: Math.max(statsCount, hcertCount, refineX),
    slotCounts,
  };
}

/** A problem needs more than the device allows; names the limit and by how much. */
export class GpuLimitError extends UserInputError {
  override name = 'GpuLimitError';
  constructor(
    readonly limit: string,
    readonly required: number,
    readonly available: number,
    what: string,
  ) {
    super(
      `${what} needs ${limit} ≥ ${required}, but the device allows ${available} ` +
        `(over by ${required - available}${limit.includes('Size') ? ' bytes' : ''}); ` +
        'use a smaller problem (shorter series or smaller r, n, m) or a device with higher limits',
    );
  }
}

/** Widest panel of the Cholesky factor (cholesky.wgsl PW_MAX: columns factorised in workgroup memory before one trailing update). */
export const FACTOR_PANEL_COLUMNS = 32;
/** f32 of workgroup memory for the Cholesky factor's panel (cholesky.wgsl `factor`: rows × panel width; a trailing matrix of more rows is factorised a column at a time in the systems buffer). With the panel's pivots, 16 KiB. */
export const FACTOR_FLOATS = 4096 - FACTOR_PANEL_COLUMNS;
/** f32 of workgroup memory for a solve block's right-hand sides (cholesky.wgsl `solve`: n × cols; larger n solves in the systems buffer). */
export const SOLVE_FLOATS = 4096;

/**
 * Workgroup memory the largest kernel declares: the triangular solve's 4096 f32 and the factor's
 * panel of as many (16 KiB each, the default limit); the certificate's two 32×32 tiles + 256 vec2 take less.
 */
export const WORKGROUP_BYTES = Math.max(2 * 32 * 32 * 4 + 256 * 8, (FACTOR_FLOATS + FACTOR_PANEL_COLUMNS) * 4, SOLVE_FLOATS * 4);

/** Workgroups per grid dimension that the dispatches assume (WebGPU's minimum limit; grid1d splits at it). */
const GRID_DIM = 65535;

/** Floats per trial of every storage buffer the backend allocates (name, floats, how many such buffers). */
export function trialBuffers(l: GpuLayout): Array<[string, number, number]> {
  return [
    ['x (T×n)', l.T * l.n, 1],
    ['y (T×m)', l.T * l.m, 1],
    ['h, u, ξ, ζ, u before the last sweep, w-part residual, h and u of s^0 (T×r each)', l.T * l.r, 8],
    ['Gram partial sums, P-system', l.partPLen, 1],
    ['Gram partial sums, Q-system', l.partQLen, 1],
    ['z-block systems (factorised and original)', l.sysZLen, 2],
    ['h-block systems', l.sysHLen, 1],
    ['weights and h-block solutions', l.zLen, 1],
    ['weights of s^0, centred solutions', l.weightsLen, 2],
    ['centring shift', l.K, 1],
    ['partial-sum slots', 12 * l.statsRows, 1],
    ['reduced scalars', 2 * NSLOT, 1],
  ];
}

/** The storage buffers of a layout (name, bytes of the whole device batch), for limit checks and reports. */
export function bufferSizes(l: GpuLayout): Array<[string, number]> {
  return trialBuffers(l).map(([name, floats]) => [name, floats * 4 * l.trials]);
}

/** Device bytes of one trial (all its buffers), for the memory budget of a device batch. */
export function trialBytes(l: GpuLayout): number {
  return trialBuffers(l).reduce((s, [, floats, count]) => s + floats * 4 * count, 0);
}

/** Default device memory a device batch may take (all trials' buffers), in bytes. */
export const DEFAULT_MEMORY_BUDGET = 2 * 1024 ** 3;
/** Trials per device batch at most: the trial records of the Params uniform (common.wgsl MAX_TRIALS). */
export const MAX_TRIALS_PER_BATCH = 1024;
/** Bytes of the Params uniform's shape header (common.wgsl Params, 28 words) before the trial records. */
export const PARAMS_HEADER_BYTES = 112;
/** Bytes of one trial record (common.wgsl `Trial`: 12 words). */
export const TRIAL_RECORD_BYTES = 48;

/** The largest device batch for a per-trial layout, and the limit that sets it. */
export interface TrialCapacity {
  trials: number;
  /** E.g. "maxStorageBufferBindingSize (buffer h, u, … 4 MB a trial)". */
  limitedBy: string;
}

/**
 * The most trials of layout `l`'s shape one device batch can hold within `limits`: every
 * buffer's binding and buffer size, the workgroup grid's trial dimension (z; the Gram partials
 * fold their segments into it), the Params uniform's trial records, and `memoryBudget` bytes
 * for all buffers together. 0 when not even one trial fits.
 */
export function maxTrials(l: GpuLayout, limits: GPUSupportedLimits, memoryBudget = DEFAULT_MEMORY_BUDGET): TrialCapacity {
  let best: TrialCapacity = { trials: MAX_TRIALS_PER_BATCH, limitedBy: `the Params uniform's ${MAX_TRIALS_PER_BATCH} trial records` };
  const cap = (trials: number, limitedBy: string) => {
    const t = Math.max(0, Math.floor(trials));
    if (t < best.trials) best = { trials: t, limitedBy };
  };
  cap((limits.maxUniformBufferBindingSize - PARAMS_HEADER_BYTES) / TRIAL_RECORD_BYTES, 'maxUniformBufferBindingSize (Params trial records)');
  for (const [name, floats] of trialBuffers(l)) {
    const mb = ((floats * 4) / 1e6).toPrecision(3);
    cap(limits.maxStorageBufferBindingSize / (floats * 4), `maxStorageBufferBindingSize (buffer ${name}, ${mb} MB a trial)`);
    cap(limits.maxBufferSize / (floats * 4), `maxBufferSize (buffer ${name}, ${mb} MB a trial)`);
  }
  const maxDim = limits.maxComputeWorkgroupsPerDimension;
  cap(maxDim, 'maxComputeWorkgroupsPerDimension (trials on the grid\'s z)');
  cap(maxDim / Math.max(l.nSegP, l.nSegQ), `maxComputeWorkgroupsPerDimension (trials × ${Math.max(l.nSegP, l.nSegQ)} Gram segments on z)`);
  cap(memoryBudget / trialBytes(l), `the memory budget of ${(memoryBudget / 2 ** 20).toFixed(0)} MiB (${(trialBytes(l) / 2 ** 20).toPrecision(3)} MiB a trial)`);
  return best;
}

/** Throws GpuLimitError when the layout (all its trials) does not fit the device's limits. */
export function checkLimits(l: GpuLayout, limits: GPUSupportedLimits): void {
  const what = `a problem with T=${l.T}, r=${l.r}, n=${l.n}, m=${l.m}${l.trials > 1 ? ` in a batch of ${l.trials} trials` : ''}`;
  for (const [name, bytes] of bufferSizes(l)) {
    if (bytes > limits.maxStorageBufferBindingSize) {
      throw new GpuLimitError('maxStorageBufferBindingSize', bytes, limits.maxStorageBufferBindingSize, `${what} (buffer ${name})`);
    }
    if (bytes > limits.maxBufferSize) {
      throw new GpuLimitError('maxBufferSize', bytes, limits.maxBufferSize, `${what} (buffer ${name})`);
    }
  }
  const maxDim = limits.maxComputeWorkgroupsPerDimension;
  const grids: Array<[string, number]> = [
    ['Gram tiles over rows', Math.ceil(l.K / TILE)],
    ['Gram tiles over columns', Math.ceil(l.Wp / TILE)],
    ['Gram segments × trials', Math.max(l.nSegP, l.nSegQ) * l.trials],
    ['trials', l.trials],
    ['time tiles (T/32)', l.rowTiles + 1],
    ['stats column tiles', l.nStatsX],
    // At worst one workgroup per right-hand-side column, spread over x and y by grid1d.
    ['triangular-solve workgroups (grid rows of 65 535)', Math.ceil(Math.max(l.r + l.m, l.nrhs1 + l.nrhs2) / GRID_DIM)],
  ];
  for (const [name, count] of grids) {
    if (count > maxDim) throw new GpuLimitError('maxComputeWorkgroupsPerDimension', count, maxDim, `${what} (${name})`);
  }
  if (limits.maxComputeWorkgroupStorageSize < WORKGROUP_BYTES) {
    throw new GpuLimitError('maxComputeWorkgroupStorageSize', WORKGROUP_BYTES, limits.maxComputeWorkgroupStorageSize, 'the kernels');
  }
  if (limits.maxComputeInvocationsPerWorkgroup < 256) {
    throw new GpuLimitError('maxComputeInvocationsPerWorkgroup', 256, limits.maxComputeInvocationsPerWorkgroup, 'the kernels');
  }
  if (limits.maxComputeWorkgroupSizeX < 256) {
    throw new GpuLimitError('maxComputeWorkgroupSizeX', 256, limits.maxComputeWorkgroupSizeX, 'the kernels');
  }
  if (l.trials > MAX_TRIALS_PER_BATCH) throw new GpuLimitError('trials per device batch', l.trials, MAX_TRIALS_PER_BATCH, what);
  if (limits.maxUniformBufferBindingSize < PARAMS_HEADER_BYTES + MAX_TRIALS_PER_BATCH * TRIAL_RECORD_BYTES) {
    throw new GpuLimitError('maxUniformBufferBindingSize', PARAMS_HEADER_BYTES + MAX_TRIALS_PER_BATCH * TRIAL_RECORD_BYTES, limits.maxUniformBufferBindingSize, 'the Params uniform');
  }
  if (limits.maxStorageBuffersPerShaderStage < 8) {
    throw new GpuLimitError('maxStorageBuffersPerShaderStage', 8, limits.maxStorageBuffersPerShaderStage, 'the kernels');
  }
}
