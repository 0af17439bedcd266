// Checkpoints: the whole ALM state (run description, s^0's weights, s, ξ, ζ, γ, ε, k, the
// previous violation, history) as JSON, written atomically, so a stopped run resumes and ends
// bit-identical to one that was never stopped. Float64 values survive JSON exactly; the few
// non-finite numbers (γ cap Infinity, say) are tagged.
import type { BcdState } from '../backends/backend.ts';
import { DataError } from '../errors.ts';
import type { RnnWeights } from '../problem/types.ts';
import type { AlmLoopState } from './alm.ts';
import { validateTrialCheckpoint } from './checkpoint-validate.ts';
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
      // Only all-number arrays become Float64Arrays: a stray string stays visible to the validator.
      if (TYPED_KEYS.has(key) && Array.isArray(value) && value.every((x) => typeof x === 'number')) return Float64Array.from(value);
      return value;
    });
  } catch (err) {
    throw new DataError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  const o = raw as { format?: string };
  if (!o || typeof o !== 'object' || o.format !== CHECKPOINT_FORMAT) {
    throw new DataError(`${source} is not an alm-rnn checkpoint (expected "format": "${CHECKPOINT_FORMAT}")`);
  }
  return validateTrialCheckpoint(o, source);
}
