// Checkpoints: the whole ALM state of every trial of a batch (run description, s^0's weights,
// s, ξ, ζ, γ, ε, k, the previous violation, history) as JSON, written atomically, so a stopped
// batch resumes and ends bit-identical to one that was never stopped. Format @2 holds a batch
// (`trials`), format @1 one run (still read, as a batch of one). Float64 values survive JSON
// exactly; the few non-finite numbers (γ cap Infinity, say) are tagged.
import type { BcdState } from '../backends/backend.ts';
import { DataError } from '../errors.ts';
import type { RnnWeights } from '../problem/types.ts';
import type { AlmLoopState } from './loop-state.ts';
import { validateTrialCheckpoint } from './checkpoint-validate.ts';
import type { RunConfig } from './setup.ts';

/** Format tag of single-run checkpoints (what the page stores; read as a batch of one). */
export const CHECKPOINT_FORMAT = 'alm-rnn/checkpoint@1';
/** Format tag of batch checkpoints. */
export const BATCH_CHECKPOINT_FORMAT = 'alm-rnn/checkpoint@2';

/** Everything needed to continue one trial's run. */
export interface Checkpoint {
  /** The run's description (it names its data set, so the CLI can load it again). */
  config: RunConfig;
  /** The weights s^0 was built from. */
  initial: RnnWeights;
  /** The outer loop's state after the last completed outer iteration. */
  loop: AlmLoopState;
  /** The iterate: weights, auxiliary variables and multipliers. */
  state: BcdState;
}

const TYPED_KEYS = new Set(['W', 'V', 'b', 'A', 'c', 'h', 'u', 'xi', 'zeta']);

/** Everything needed to continue a batch: one entry per trial, in the batch's order. */
export interface BatchCheckpoint {
  /** One entry per trial (run), in the batch's order. */
  trials: Checkpoint[];
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Float64Array) return Array.from(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  return value;
}

/** Serialises a single-run checkpoint to JSON text (format @1). */
export function checkpointToJson(cp: Checkpoint): string {
  return JSON.stringify({ format: CHECKPOINT_FORMAT, ...cp }, replacer);
}

/** Serialises a batch checkpoint to JSON text (format @2): one line per trial. */
export function batchCheckpointToJson(cp: BatchCheckpoint): string {
  const lines = cp.trials.map((t) => JSON.stringify(t, replacer));
  return `{"format":${JSON.stringify(BATCH_CHECKPOINT_FORMAT)},"trials":[\n${lines.join(',\n')}\n]}\n`;
}

/** Parses a single-run checkpoint (format @1, or a batch of one); throws a DataError naming what is wrong. */
export function checkpointFromJson(text: string, source = 'checkpoint'): Checkpoint {
  const batch = batchCheckpointFromJson(text, source);
  if (batch.trials.length !== 1) {
    throw new DataError(`${source} holds a batch of ${batch.trials.length} trials; only a single run can be continued here (alm-rnn train --resume continues a batch)`);
  }
  return batch.trials[0];
}

/** Parses checkpoint JSON text of either format into a batch; throws a DataError naming what is missing or malformed. */
export function batchCheckpointFromJson(text: string, source = 'checkpoint'): BatchCheckpoint {
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
  const top = raw as { format?: string; trials?: unknown };
  if (top && typeof top === 'object' && top.format === BATCH_CHECKPOINT_FORMAT) {
    if (!Array.isArray(top.trials) || top.trials.length === 0) throw new DataError(`${source}: field "trials" must be a non-empty list`);
    return { trials: top.trials.map((t, i) => trialFromRaw(t, `${source}: trial ${i}`)) };
  }
  if (!top || typeof top !== 'object' || top.format !== CHECKPOINT_FORMAT) {
    throw new DataError(`${source} is not an alm-rnn checkpoint (expected "format": "${BATCH_CHECKPOINT_FORMAT}" or "${CHECKPOINT_FORMAT}")`);
  }
  return { trials: [trialFromRaw(raw, source)] };
}

/** One trial's entry, checked field by field (checkpoint-validate.ts). */
function trialFromRaw(raw: unknown, source: string): Checkpoint {
  return validateTrialCheckpoint(raw, source);
}
