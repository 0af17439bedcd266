// What both entries of the package export besides the functions bound to their runtime: the
// model, the errors, the run handle, constants and types. Everything exported here is the
// supported API; what is not is internal and may change.
export { Model, predictionsToCsv } from './model.ts';
export type { PredictionLabels, PredictOptions, Evaluation, TableData, TablePredictOptions, TablePrediction } from './model.ts';
export { TrainingRun } from './run.ts';
export type { AbortSignalLike } from './run.ts';
export { OptionError } from './errors.ts';
export { UserInputError, ParameterError, DataError, NumericalError, NonFinitePredictionError, excerpt, EXCERPT_LENGTH } from '../errors.ts';
export { GpuUnavailableError } from '../backends/webgpu/adapter.ts';
export type { GpuAdapterSummary } from '../backends/webgpu/adapter.ts';
export { BACKEND_NAMES, MAX_WORKERS } from './backend.ts';
export { CPU_KERNELS_CHOICES } from '../backends/cpu/kernels.ts';
export type { CpuKernelsChoice } from '../backends/cpu/kernels-choice.ts';
export type { BackendName, BackendOption, BackendOptions, GpuDeviceHandle } from './backend.ts';
export { describeAdapter } from './backend.ts';
export { isSoftwareAdapter } from '../backends/webgpu/adapter.ts';
export type { GpuAcquireOptions, NodeGpuAcquireOptions, AcquiredGpuDevice } from './gpu.ts';
export { sweepProblem, initialWeights } from './sweeps.ts';
export type { SweepProblemOptions, SweepProblem, SweepSession, SweepShape, SweepCounters, SweepStepTime, InitialWeightsOptions } from './sweeps.ts';
export type { Matrix, SeriesData } from './data.ts';
export type {
  ActivationOption, BaselineEarlyStopOptions, BaselineTrainOptions, BaselineTrainResult, CheckpointOptions, CommonOptions,
  EarlyStopOptions, GridOptions, GridResult, GridTrialResult, GridTrialSettings, InitOption, IterationReport, MethodParams,
  StandardizeOption, TrainOptions, TrainResult,
} from './train.ts';
export type { EarlyStopOutcome, EarlyStopRestore, EarlyStopStage, EarlyStopState } from '../problem/early-stop.ts';
export type { AlmIteration, StopReason } from '../alm/iteration.ts';
export type { AlmParams, InnerStop } from '../alm/params.ts';
export { DEFAULT_PARAMS } from '../alm/params.ts';
export { INITIALIZERS } from '../problem/init.ts';
export type { Initializer } from '../problem/init.ts';
export { MAX_EPOCHS, METHODS } from '../baselines/optimizers.ts';
export type { Method } from '../baselines/optimizers.ts';
export type { EpochReport, BaselineStop, BaselineLoss } from '../baselines/report.ts';
export type { TestHidden } from '../problem/model.ts';
export type { Activation, RnnWeights, Standardization } from '../problem/types.ts';
export { MODEL_FORMAT } from '../problem/model-file.ts';
export type { ModelFileJson, ModelColumns } from '../problem/model-file.ts';
export type { TfjsArtifacts, TfjsExportOptions, TfjsModelJson, TfjsWeightSpec } from '../baselines/tfjs-export.ts';
export type { BcdBackend, BackendInfo } from '../backends/backend.ts';
// For front ends that take the command line's settings and write its files (the demo page).
export * from './settings.ts';
export * from './runs.ts';
