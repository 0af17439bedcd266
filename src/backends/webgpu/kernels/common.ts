// Host side of common.wgsl: the Params uniform every kernel reads at binding 0.
import type { Lambdas } from '../../backend.ts';
import type { Activation } from '../../../problem/types.ts';
import type { GpuLayout } from '../layout.ts';

/** Byte size of the Params uniform (28 words, padded to 16 bytes). */
export const PARAMS_BYTES = 112;
/** Word index of γ in Params (rewritten before every batch). */
export const GAMMA_WORD = 12;

/** The ACT override of common.wgsl for an activation. */
export function activationCode(act: Activation): number {
  return act.kind === 'relu' ? 0 : act.kind === 'leaky' ? 1 : 2;
}

/** Packs Params for a layout, the problem's scalars and the current γ. */
export function packParams(l: GpuLayout, lambdas: Lambdas, mu: number, act: Activation, gamma: number): ArrayBuffer {
  const buf = new ArrayBuffer(PARAMS_BYTES);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u.set([l.T, l.r, l.n, l.m, l.K, l.segLenP, l.nSegP, l.segLenQ, l.nSegQ, l.statsRows, l.hRegTiles, 0], 0);
  f.set([gamma, mu, act.kind === 'leaky' ? act.omega : 0, 1 / l.T], 12);
  f.set([lambdas.l1, lambdas.l2, lambdas.l3, lambdas.l4, lambdas.l5, lambdas.l6], 16);
  u.set([l.offN, l.offH1, l.nrhs1, l.offH2, l.nrhs2, l.nStatsX], 22);
  return buf;
}
