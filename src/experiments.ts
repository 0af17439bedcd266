/**
 * The package's experiments entry (`import { … } from 'alm-rnn/experiments'`, Node only: it
 * writes its results into a folder and runs the baselines over worker threads): the paper's
 * comparison, Table 3 and Figures 1–2, as one reproducible, resumable experiment. The ALM and the
 * five gradient baselines (and ALM + GD) from every initialisation, repeated, each method's
 * hyperparameters chosen on a validation split of the training part, optionally with early
 * stopping on it; `alm-rnn experiment` is a front end to these functions
 * (src/experiments/README.md describes the protocol).
 *
 *     const { spec } = prepareExperiment({ dataset: 'sp500', repeats: 10 });
 *     const { results, files } = await runExperiment(spec, { outDir: 'results/sp500' });
 * @module alm-rnn/experiments
 */
export {
  ALM_BATCH_CHECKPOINT, EXPERIMENT_FILES, loadExperimentData, prepareExperiment, runExperiment, writeReport,
} from './experiments/runner.ts';
export type { ExperimentOptions, ExperimentOutcome, ExperimentProgress, PreparedExperiment } from './experiments/runner.ts';
export {
  ALM_GRID_FACTORS, EXPERIMENT_METHODS, PAPER_CLIP_GRID, PAPER_LR_GRID, SELECTION_SEED_OFFSET, presetSettings,
} from './experiments/settings.ts';
export type {
  BaselineLoss, BaselineMethod, BaselineRegularization, ExperimentEarlyStop, ExperimentInput, ExperimentMethod, ExperimentSettings,
  ExperimentSpec, PresetName,
} from './experiments/settings.ts';
export { BASELINE_LOSSES } from './baselines/report.ts';
export { readResults, RESULTS_FORMAT, writeResults } from './experiments/results.ts';
export type {
  AlmBatchRecord, CurvePoint, EarlyStopRecord, ExperimentData, ExperimentResults, RunRecord, SelectionCandidate, SelectionRecord,
} from './experiments/results.ts';
export type { ReferenceErrors } from './experiments/reference.ts';
export { describeShard, mergeShards, parseShard, shardFromEnvironment } from './experiments/shards.ts';
export type { Shard, ShardContents, ShardSource } from './experiments/shards.ts';
export { almVerdict } from './experiments/report.ts';
export { INIT_LABELS, METHOD_LABELS } from './experiments/stats.ts';
export type { VegaLoader, VegaModules } from './experiments/plots.ts';
