// Early stopping of ALM runs on the validation split (docs/method.md §5.5): every trial runs on
// its training part minus the last V steps, scored after every outer iteration on those V steps
// with the hidden state carried in (the selection's run, src/alm/selection.ts, with the rule of
// src/problem/early-stop.ts), and stops on its own. Its k* (the outer iteration with the lowest
// validation error) is then a hyperparameter chosen on validation: by default each trial is
// retrained on the whole training part for exactly k* outer iterations, bit-identical to a plain
// run with outer = k*; `restore: 'best'` keeps the best iterate of the fit-part run instead
// (Keras' restore_best_weights). The test part is never looked at.
import type { BcdBackend } from '../backends/backend.ts';
import { initialEarlyStop, type EarlyStopOutcome, type EarlyStopRestore, type EarlyStopRule } from '../problem/early-stop.ts';
import { evaluate, type TestHidden } from '../problem/model.ts';
import { runAlmBatch, type AlmResult, type AlmRunOptions, type AlmTrial } from './alm.ts';
import { fitOnValidation, type ValidationSelection } from './selection.ts';
import type { RunConfig } from './setup.ts';

/** Early stopping's settings, resolved. */
export interface AlmEarlyStop {
  /** V: the steps at the end of the training part held out for validation. */
  validationSteps: number;
  rule: EarlyStopRule;
  restore: EarlyStopRestore;
}

/** What a checkpoint's RunConfig records of early stopping, so that a resume with other settings is refused. */
export function earlyStopConfig(es: AlmEarlyStop | undefined): RunConfig['earlyStop'] {
  return es ? { validationSteps: es.validationSteps, ...es.rule, restore: es.restore } : undefined;
}

/** The settings a RunConfig records (a checkpoint's), back as early stopping's settings. */
export function earlyStopFromConfig(c: NonNullable<RunConfig['earlyStop']>): AlmEarlyStop {
  return { validationSteps: c.validationSteps, rule: { patience: c.patience, minDelta: c.minDelta, warmupEvals: c.warmupEvals }, restore: c.restore };
}

/** The outcome of a fit-part run. */
export function earlyStopOutcome(fit: AlmResult, restore: EarlyStopRestore): EarlyStopOutcome {
  const s = fit.loopState.earlyStop ?? initialEarlyStop();
  return { k: s.bestK, valErr: s.bestErr, stoppedAt: s.stoppedAt ?? fit.outerIterations, restore };
}

/** Both stages' results, one entry per trial. */
export interface EarlyStoppedRuns {
  /** The runs on the fit part; their scores are the best validation errors. */
  selection: ValidationSelection;
  outcomes: EarlyStopOutcome[];
  /** The final models' runs: retrained on the whole training part, or the fit runs with their best iterates. */
  finals: AlmResult[];
}

/**
 * Stage one: every trial on its fit part (its `resume`, if any, continues a checkpoint of that
 * run), each stopping on its own by the rule.
 */
export async function fitEarlyStopped(backend: BcdBackend, trials: readonly AlmTrial[], es: AlmEarlyStop, options: AlmRunOptions = {}): Promise<ValidationSelection> {
  return fitOnValidation(backend, trials, es.validationSteps, { ...options, earlyStop: es.rule });
}

/**
 * Stage two for the trials at `indices` (default all): retrains each on the whole training part
 * for its k* (one batch, each trial stopping at its own), or keeps its best iterate.
 * `options` should carry no checkpointing: this run is not continued from one.
 */
export async function finishEarlyStopped(
  backend: BcdBackend,
  trials: readonly AlmTrial[],
  selection: ValidationSelection,
  es: AlmEarlyStop,
  options: AlmRunOptions = {},
  indices: readonly number[] = trials.map((_, i) => i),
): Promise<{ outcomes: EarlyStopOutcome[]; finals: AlmResult[] }> {
  const restore: EarlyStopRestore = options.signal?.aborted ? 'best' : es.restore;
  const outcomes = indices.map((i) => earlyStopOutcome(selection.fits[i], restore));
  if (restore === 'best') {
    return { outcomes, finals: indices.map((i, j) => bestIterate(selection.fits[i], trials[i], outcomes[j].k, options.testHidden ?? 'carry')) };
  }
  const { earlyStop: _rule, onCheckpoint: _save, ...plain } = options;
  if (indices.length === 0) return { outcomes, finals: [] };
  const finals = await runAlmBatch(
    backend,
    indices.map((i, j) => ({ ...trials[i], resume: undefined, stopAfter: outcomes[j].k })),
    plain,
  );
  return { outcomes, finals };
}

/** Both stages, for every trial. */
export async function runEarlyStopped(backend: BcdBackend, trials: readonly AlmTrial[], es: AlmEarlyStop, options: AlmRunOptions = {}): Promise<EarlyStoppedRuns> {
  const selection = await fitEarlyStopped(backend, trials, es, options);
  const { outcomes, finals } = await finishEarlyStopped(backend, trials, selection, es, options);
  return { selection, outcomes, finals };
}

/**
 * The fit-part run with its best iterate as its weights, TrainErr and TestErr on the whole
 * problem (the fit run's history keeps its validation errors as TestErr).
 */
function bestIterate(fit: AlmResult, trial: AlmTrial, k: number, testHidden: TestHidden): AlmResult {
  const best = fit.loopState.earlyStop?.bestWeights;
  if (!best) return fit;
  const { trainErr, testErr } = evaluate(best, trial.problem, testHidden);
  return { ...fit, weights: best, trainErr, testErr, feasVio: fit.history[k - 1]?.feasVio ?? fit.feasVio };
}
