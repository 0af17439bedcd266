// Host side of cholesky.wgsl: Cholesky factorisation of augmented SPD systems (one workgroup
// each) and the triangular solves with the factors, spread over (system, block of right-hand-side
// columns, trial) workgroups in one dispatch.
import { CHOLESKY_WGSL as source } from '../shader-sources.ts';
import { FACTOR_FLOATS, FACTOR_PANEL_COLUMNS, SOLVE_FLOATS } from '../layout.ts';
import { createComputeKernel, dispatch, grid1d, Usage, type Recorder } from './kernel.ts';

/** One augmented system [A | B] in the systems buffer (offsets and sizes in f32 elements). */
export interface SpdSystem {
  off: number;
  n: number;
  nrhs: number;
  /** Where the n×nrhs solution goes in the output buffer. */
  outOff: number;
  /** 0 P-system, 1 Q-system, 2 h-system 1, 3 h-system 2 (refine.wgsl scales residuals by kind). */
  kind: number;
}

/** A system with its share of the solve grid. */
export interface PlannedSystem extends SpdSystem {
  /** Right-hand-side columns per solve workgroup (1 … 256). */
  cols: number;
  /** The solve grid's first workgroup for this system. */
  firstBlock: number;
  /** Solve blocks: ceil(nrhs / cols). */
  blocks: number;
  /** The solve works on B in the systems buffer (n·cols does not fit its workgroup memory). */
  solveInA: boolean;
  /** The factorisation's first n − factorFloats columns run in global memory (the trailing matrix is taller than its workgroup panel). */
  factorInA: boolean;
}

/** How the solve columns are split into workgroups. */
export interface SolvePlanOptions {
  /**
   * 'wide' (a hardware GPU, the default): few columns per workgroup, so that each substitution
   * step is at most about two passes of the 256 invocations and the blocks spread over the
   * GPU. 'narrow' (a software adapter, whose workgroups run on a few CPU threads): as many
   * columns as fit, so the fewest workgroups (each step costs a barrier per workgroup).
   */
  spread?: 'wide' | 'narrow';
  /** f32 of workgroup memory for a block's columns (default SOLVE_FLOATS; tests lower it to force the global path). */
  solveFloats?: number;
  /** f32 of workgroup memory for the factor's panel (default FACTOR_FLOATS; likewise, and to force narrow panels). */
  factorFloats?: number;
  /** Upper bound on the columns per workgroup (tests: many small blocks). */
  maxCols?: number;
  /** Workgroups per grid row before the grid wraps into y (default 65 535; tests lower it). */
  maxGridX?: number;
}

/** The trial dimension of the systems: B copies of every system, trial b's at b·aStride (and its solutions at b·outStride). */
export interface TrialStrides {
  /** Trials (grid z; default 1). */
  trials?: number;
  /** f32 between two trials' systems in the systems buffer (default 0). */
  aStride?: number;
  /** f32 between two trials' solutions in the output buffer (default 0). */
  outStride?: number;
}

/** The solve grid of a set of systems. */
export interface SolvePlan {
  systems: PlannedSystem[];
  /** Solve workgroups in all (the grid may have a few more, which return at once). */
  blocks: number;
  /** The solve dispatch's grid (x, y), each ≤ maxGridX; x·y ≥ blocks. */
  grid: [number, number];
}

/** Chooses columns per workgroup and the grid layout of the solve dispatch. */
export function planSolves(systems: SpdSystem[], opts: SolvePlanOptions = {}): SolvePlan {
  const solveFloats = opts.solveFloats ?? SOLVE_FLOATS;
  const factorFloats = opts.factorFloats ?? FACTOR_FLOATS;
  let first = 0;
  const planned = systems.map((s): PlannedSystem => {
    if (!(Number.isInteger(s.n) && s.n >= 1 && Number.isInteger(s.nrhs) && s.nrhs >= 1)) {
      throw new RangeError(`cholesky: a system needs n ≥ 1 and nrhs ≥ 1, got n=${s.n}, nrhs=${s.nrhs}`);
    }
    const want = opts.spread === 'narrow' ? 256 : Math.floor(256 / Math.ceil(s.n / 2));
    const fitCols = Math.floor(solveFloats / s.n);
    const solveInA = fitCols < 1;
    const cols = Math.max(1, Math.min(want, s.nrhs, 256, opts.maxCols ?? 256, solveInA ? 256 : fitCols));
    const blocks = Math.ceil(s.nrhs / cols);
    const p: PlannedSystem = { ...s, cols, firstBlock: first, blocks, solveInA, factorInA: s.n > factorFloats };
    first += blocks;
    return p;
  });
  return { systems: planned, blocks: first, grid: grid1d(first, opts.maxGridX) };
}

/** u32 words of one `Sys` descriptor (cholesky.wgsl, refine.wgsl). */
export const SYS_WORDS = 12;

/** Packs planned system descriptors as the `Sys` structs of the shaders (SYS_WORDS u32 each). */
export function packSystems(systems: PlannedSystem[], strides: TrialStrides = {}): Uint32Array<ArrayBuffer> {
  const d = new Uint32Array(systems.length * SYS_WORDS);
  systems.forEach((s, i) => {
    const flags = s.solveInA ? 1 : 0;
    d.set([s.off, s.n, s.nrhs, s.outOff, s.kind, s.cols, s.firstBlock, flags, strides.aStride ?? 0, strides.outStride ?? 0, 0, 0], i * SYS_WORDS);
  });
  return d;
}

/** Recorders for one set of systems. */
export interface Cholesky {
  /** Factorises every system in place (L below, Lᵀ above the diagonal); B is untouched. */
  factor: Recorder;
  /** Solves L Lᵀ X = B for every system and writes X to the output. */
  solve: Recorder;
  /** The same solve, adding X to the output (refinement: B holds a residual). */
  solveAdd: Recorder;
  /** The descriptor buffer (shared with refine.ts). */
  descriptors: GPUBuffer;
  plan: SolvePlan;
}

/** Builds the factor and solve dispatches for `systems` stored in `a`, solutions into `out`, for every trial (Params' active flags). */
export async function createCholesky(
  device: GPUDevice, label: string, systems: SpdSystem[], params: GPUBuffer, a: GPUBuffer, out: GPUBuffer,
  opts: SolvePlanOptions & TrialStrides = {},
): Promise<Cholesky> {
  const bindings = { 1: 'storage', 2: 'storage', 3: 'read-only-storage' } as const;
  // Rows per substitution block: a software adapter pays most for barriers, a GPU for the
  // serial diagonal-block solve of one invocation per column.
  const constants = { FACTOR_FLOATS: opts.factorFloats ?? FACTOR_FLOATS, PW_MAX: FACTOR_PANEL_COLUMNS, SOLVE_FLOATS, NB: opts.spread === 'narrow' ? 32 : 16 };
  const kernel = (entryPoint: string) =>
    createComputeKernel(device, { label: `cholesky ${entryPoint} (${label})`, source, entryPoint, constants, bindings });
  const [fk, sk, ak] = await Promise.all([kernel('factor'), kernel('solve'), kernel('solve_add')]);
  const plan = planSolves(systems, opts);
  const packed = packSystems(plan.systems, opts);
  const B = opts.trials ?? 1;
  const descriptors = device.createBuffer({ label: `${label} system descriptors`, size: packed.byteLength, usage: Usage.STORAGE | Usage.COPY_DST });
  device.queue.writeBuffer(descriptors, 0, packed);
  const res = { 0: params, 1: a, 2: out, 3: descriptors };
  const [gx, gy] = plan.grid;
  return {
    factor: dispatch(fk, fk.bind(`cholesky factor (${label}) bind group`, res), systems.length, 1, B),
    solve: dispatch(sk, sk.bind(`cholesky solve (${label}) bind group`, res), gx, gy, B),
    solveAdd: dispatch(ak, ak.bind(`cholesky solve_add (${label}) bind group`, res), gx, gy, B),
    descriptors,
    plan,
  };
}
