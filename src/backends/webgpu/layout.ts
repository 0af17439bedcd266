// Sizes and offsets of everything the WebGPU backend keeps on the device for one problem, and
// the check of those sizes against the device's limits (a clear error before anything is built).
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

/** Plans the device layout of a problem; `gramTarget` is how many workgroups the Gram reductions aim for. */
export function planLayout(d: GpuDims, maxStorageBinding = 128 * 1024 * 1024, gramTarget = GRAM_TARGET_WORKGROUPS): GpuLayout {
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

/** The storage buffers of a layout (name, bytes), for limit checks and reports. */
export function bufferSizes(l: GpuLayout): Array<[string, number]> {
  const f = 4;
  return [
    ['x (T×n)', l.T * l.n * f],
    ['y (T×m)', l.T * l.m * f],
    ['h, u, ξ, ζ (T×r each)', l.T * l.r * f],
    ['Gram partial sums, P-system', l.partPLen * f],
    ['Gram partial sums, Q-system', l.partQLen * f],
    ['z-block systems', l.sysZLen * f],
    ['h-block systems', l.sysHLen * f],
    ['weights and h-block solutions', l.zLen * f],
    ['partial-sum slots', 12 * l.statsRows * f],
  ];
}

/** Throws GpuLimitError when the layout does not fit the device's limits. */
export function checkLimits(l: GpuLayout, limits: GPUSupportedLimits): void {
  const what = `a problem with T=${l.T}, r=${l.r}, n=${l.n}, m=${l.m}`;
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
    ['Gram segments', Math.max(l.nSegP, l.nSegQ)],
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
  if (limits.maxStorageBuffersPerShaderStage < 8) {
    throw new GpuLimitError('maxStorageBuffersPerShaderStage', 8, limits.maxStorageBuffersPerShaderStage, 'the kernels');
  }
}
