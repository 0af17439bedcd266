// The flags of early stopping on the validation split (docs/method.md §5.5), read the same way by
// `train` and `experiment`: --early-stop validation, and the rule's settings, each refused without it.
import { UserInputError } from '../api/public.ts';
import { choiceFlag, integerFlag, numberFlag } from './args.ts';

/** Early stopping's flags as given, each checked. */
export interface EarlyStopFlags {
  restore?: 'retrain' | 'best';
  minDelta?: number;
  warmupEvals?: number;
  /** --evaluate-every (experiment only: the baselines' scoring interval in epochs). */
  every?: number;
}

/**
 * Reads --early-stop and its settings (--restore, --min-delta, --warmup-evals, and where the command
 * has it --evaluate-every); undefined without --early-stop, when any setting given is refused.
 */
export function readEarlyStopFlags(values: Record<string, string | boolean | undefined>): EarlyStopFlags | undefined {
  if (choiceFlag(values, 'early-stop', ['validation'] as const) === undefined) {
    for (const flag of ['restore', 'min-delta', 'warmup-evals', 'evaluate-every']) {
      if (values[flag] !== undefined) throw new UserInputError(`--${flag} is a setting of early stopping: it needs --early-stop validation`);
    }
    return undefined;
  }
  const restore = choiceFlag(values, 'restore', ['retrain', 'best'] as const);
  const minDelta = numberFlag(values, 'min-delta');
  if (minDelta !== undefined && !(minDelta >= 0 && minDelta < 1)) throw new UserInputError(`--min-delta is a relative improvement: a number in [0, 1), got ${values['min-delta']}`);
  const warmupEvals = integerFlag(values, 'warmup-evals');
  if (warmupEvals !== undefined && warmupEvals < 0) throw new UserInputError(`--warmup-evals must be an integer ≥ 0 (evaluations), got ${values['warmup-evals']}`);
  const every = integerFlag(values, 'evaluate-every');
  if (every !== undefined && every < 1) throw new UserInputError(`--evaluate-every must be an integer ≥ 1 (epochs), got ${values['evaluate-every']}`);
  return { restore, minDelta, warmupEvals, ...(every !== undefined ? { every } : {}) };
}
