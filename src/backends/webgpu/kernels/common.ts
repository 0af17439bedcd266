// Host side of common.wgsl: the Params uniform every kernel reads at binding 0 (the shape of one
// trial, then one record per trial of the device batch).
import type { Lambdas } from '../../backend.ts';
import type { Activation } from '../../../problem/types.ts';
import { MAX_TRIALS_PER_BATCH, NSLOT, PARAMS_HEADER_BYTES, TRIAL_RECORD_BYTES, type GpuLayout } from '../layout.ts';

export { PARAMS_HEADER_BYTES, TRIAL_RECORD_BYTES };
/** Byte size of the Params uniform (header and MAX_TRIALS_PER_BATCH records; the binding must cover them all). */
export const PARAMS_BYTES = PARAMS_HEADER_BYTES + MAX_TRIALS_PER_BATCH * TRIAL_RECORD_BYTES;

/** One trial's scalars in Params. */
export interface TrialParams {
  gamma: number;
  mu: number;
  lambdas: Lambdas;
  /** Whether the trial takes part in the next dispatches (default true). */
  active?: boolean;
}

/** The ACT override of common.wgsl for an activation. */
export function activationCode(act: Activation): number {
  return act.kind === 'relu' ? 0 : act.kind === 'leaky' ? 1 : 2;
}

/** Floats of a trial's partial-sum slots (12 slots of statsRows rows, see reduce.wgsl). */
export function redLen(l: GpuLayout): number {
  return 12 * l.statsRows;
}

/** Floats of a trial's reduced scalars (NSLOT (sum, compensation) pairs). */
export const OUT_LEN = 2 * NSLOT;

/** Writes the shape header of Params for a layout into `buf` (at least PARAMS_HEADER_BYTES). */
export function packHeader(l: GpuLayout, act: Activation, buf: ArrayBuffer): void {
  const u = new Uint32Array(buf, 0, PARAMS_HEADER_BYTES / 4);
  const f = new Float32Array(buf, 0, PARAMS_HEADER_BYTES / 4);
  u.set([l.T, l.r, l.n, l.m, l.K, l.segLenP, l.nSegP, l.segLenQ, l.nSegQ, l.statsRows, l.hRegTiles, l.trials], 0);
  f.set([act.kind === 'leaky' ? act.omega : 0, 1 / l.T], 12);
  u.set([l.offN, l.offH1, l.nrhs1, l.offH2, l.nrhs2, l.nStatsX], 14);
  u.set([l.zLen, l.weightsLen, l.partPLen, l.partQLen, l.sysZLen, l.sysHLen, redLen(l), OUT_LEN], 20);
}

/** Writes trial record `i` into `buf` (a Params image or the records part of one, at byte `base`). */
export function packTrial(buf: ArrayBuffer, i: number, t: TrialParams, base = PARAMS_HEADER_BYTES): void {
  const off = base + i * TRIAL_RECORD_BYTES;
  const f = new Float32Array(buf, off, 8);
  const { l1, l2, l3, l4, l5, l6 } = t.lambdas;
  f.set([t.gamma, t.mu, l1, l2, l3, l4, l5, l6]);
  new Uint32Array(buf, off + 32, 4).set([t.active === false ? 0 : 1, 0, 0, 0]);
}

/** The whole Params image for a layout and its trials (tests, and the backend's first write). */
export function packParams(l: GpuLayout, act: Activation, trials: readonly TrialParams[]): ArrayBuffer {
  if (trials.length > MAX_TRIALS_PER_BATCH) throw new RangeError(`Params holds at most ${MAX_TRIALS_PER_BATCH} trials, got ${trials.length}`);
  const buf = new ArrayBuffer(PARAMS_BYTES);
  packHeader(l, act, buf);
  trials.forEach((t, i) => packTrial(buf, i, t));
  return buf;
}
