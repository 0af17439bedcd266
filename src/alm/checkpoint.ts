// Checkpoints: the whole ALM state (run description, s^0's weights, s, ξ, ζ, γ, ε, k, the
// previous violation, history) as JSON, written atomically, so a stopped run resumes and ends
// bit-identical to one that was never stopped. Float64 values survive JSON exactly; the few
// non-finite numbers (γ cap Infinity, say) are tagged.
import type { BcdState } from '../backends/backend.ts';
import { DataError } from '../errors.ts';
import type { RnnWeights } from '../problem/types.ts';
import type { AlmLoopState } from './alm.ts';
import type { RunConfig } from './setup.ts';

/** Format tag of checkpoint files. */
export const CHECKPOINT_FORMAT = 'alm-rnn/checkpoint@1';

/** Everything needed to continue a run. */
export interface Checkpoint {
  config: RunConfig;
  /** The weights s^0 was built from. */
  initial: RnnWeights;
  loop: AlmLoopState;
  state: BcdState;
}

const TYPED_KEYS = new Set(['W', 'V', 'b', 'A', 'c', 'h', 'u', 'xi', 'zeta']);

/** Serialises a checkpoint to JSON text. */
export function checkpointToJson(cp: Checkpoint): string {
  return JSON.stringify({ format: CHECKPOINT_FORMAT, ...cp }, (_key, value) => {
    if (value instanceof Float64Array) return Array.from(value);
    if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
    return value;
  });
}

/** Parses checkpoint JSON text; throws a DataError naming what is missing or malformed. */
export function checkpointFromJson(text: string, source = 'checkpoint'): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text, (key, value) => {
      if (value && typeof value === 'object' && '$number' in value) return Number(value.$number);
      if (TYPED_KEYS.has(key) && Array.isArray(value)) return Float64Array.from(value as number[]);
      return value;
    });
  } catch (err) {
    throw new DataError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  const o = raw as Partial<Checkpoint> & { format?: string };
  if (!o || typeof o !== 'object' || o.format !== CHECKPOINT_FORMAT) {
    throw new DataError(`${source} is not an alm-rnn checkpoint (expected "format": "${CHECKPOINT_FORMAT}")`);
  }
  for (const key of ['config', 'initial', 'loop', 'state'] as const) {
    if (!o[key] || typeof o[key] !== 'object') throw new DataError(`${source}: field "${key}" is missing`);
  }
  const { r, n, m } = o.initial!;
  const T = o.state!.h?.length / r;
  if (!(Number.isInteger(T) && T > 0)) throw new DataError(`${source}: state.h does not have a whole number of steps for r=${r}`);
  for (const key of ['h', 'u', 'xi', 'zeta'] as const) {
    if (!(o.state![key] instanceof Float64Array) || o.state![key].length !== T * r) {
      throw new DataError(`${source}: state.${key} must hold ${T}×${r} numbers`);
    }
  }
  const sizes = { W: r * r, V: r * n, b: r, A: m * r, c: m };
  for (const w of [o.initial!, o.state!.weights]) {
    for (const [key, len] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
      if (!(w[key] instanceof Float64Array) || w[key].length !== len) throw new DataError(`${source}: weights ${key} must hold ${len} numbers`);
    }
  }
  return { config: o.config!, initial: o.initial!, loop: o.loop!, state: o.state! };
}
