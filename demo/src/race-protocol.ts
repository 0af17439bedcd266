// The messages between the page and the race's workers. A race runs N ALM trials (one batch on
// WebGPU, or slices of them over several CPU workers) and the chosen gradient baselines (in a
// worker of their own), on the same data set; the page draws them all on the same axes.
import type {
  AlmIteration, AlmSummary, BackendInfo, BaselineEarlyStopOptions, BaselineStop, EarlyStopOptions, EarlyStopOutcome, EarlyStopStage, EpochReport, Method, RnnWeights,
  RunConfig, Standardization,
} from 'alm-rnn';
import type { BackendChoice, CsvSource } from './protocol.ts';

/** One ALM trial of a race: its index in the race's grid and its run description. */
export interface RaceTrial {
  index: number;
  config: RunConfig;
}

/** How the baselines' learning rates are set: chosen on the validation split from a grid (as the experiments do), or given. */
export type LearningRate = { select: true; grid: number[]; clipGrid: number[] } | { select: false; lr: number; clip: number };

/** Page → race worker. */
export type ToRaceWorker =
  | {
      type: 'alm';
      trials: RaceTrial[];
      csv?: CsvSource;
      backend: BackendChoice;
      /** Train on the fit part and score on the last V training steps (selectOnValidation); absent: train on the whole training part. */
      validationSteps?: number;
      /**
       * Early stopping (each run's config.earlyStop, V as validationSteps): each trial stops on its own
       * and is retrained for its k*, or, with validationSteps (a selection), only its fit run is made.
       */
      earlyStop?: EarlyStopOptions;
    }
  | {
      type: 'baselines';
      /** The data and initial weights the baselines share: trial 0's. */
      config: RunConfig;
      csv?: CsvSource;
      methods: Method[];
      epochs: number;
      sgdBatch: number;
      learningRate: LearningRate;
      validationSteps: number;
      /** Early stopping over epochs (trainBaselineRun's earlyStop): a learning rate's score is its best validation error, the final run is retrained for k*. */
      earlyStop?: BaselineEarlyStopOptions;
    }
  | {
      /**
       * A few timed sweeps of these trials (none: no ALM part) and epochs of these baselines, for
       * the time estimate; the page sends one to each worker of the race's layout at once.
       */
      type: 'probe';
      trials: RaceTrial[];
      csv?: CsvSource;
      backend: BackendChoice;
      sweeps: number;
      baselines?: { config: RunConfig; methods: Method[]; sgdBatch: number };
    }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' };

/** One trial's outcome, with what the page needs to show its fit and export it. */
export interface RaceTrialResult {
  index: number;
  summary: AlmSummary;
  /** The validation score (mean squared error on the last V training steps) when the race selects or stops early (then the best one, k*'s); Infinity: diverged. */
  valErr?: number;
  /** With early stopping: k*, its validation error, where the fit run stopped, which model was kept. */
  earlyStop?: EarlyStopOutcome;
  weights: RnnWeights;
  /** Predictions over the trial's whole series (T×m) from its weights. */
  yHat: Float64Array;
  /** Its targets (T×m): trials of different seeds draw different synthetic data, as in the CLI. */
  y: Float64Array;
  standardization?: Standardization;
  failure?: string;
}

/** Race worker → page. */
export type FromRaceWorker =
  | { type: 'alm-started'; backend: BackendInfo; T: number; T1: number; m: number; inputNames: string[]; targetNames: string[]; activation: string }
  /** Each trial's TrainErr at its initial weights (sweep 0, second 0), where every curve starts. */
  | { type: 'alm-initial'; trainErr: { trial: number; value: number }[] }
  | { type: 'alm-sweeps'; k: number; done: number }
  /** With early stopping, `stage` says which run the iteration is from (`fit`: its testErr is the validation error). */
  | { type: 'alm-iteration'; trial: number; it: AlmIteration; stage?: EarlyStopStage }
  | { type: 'alm-done'; results: RaceTrialResult[] }
  | { type: 'baseline-candidate'; method: Method; lr: number; clip?: number; valErr: number; done: number; total: number }
  | { type: 'baseline-started'; method: Method; lr: number; clip?: number; selected: boolean }
  | { type: 'baseline-epoch'; method: Method; report: EpochReport }
  | { type: 'baseline-done'; method: Method; stopped: BaselineStop; weights: RnnWeights; yHat: Float64Array; earlyStop?: EarlyStopOutcome }
  | { type: 'baselines-done' }
  | {
      type: 'probe-done';
      /** The ALM backend timed (null: this probe timed baselines only). */
      backend: BackendInfo | null;
      /** Seconds to load the batch (on WebGPU: compile the kernels). */
      loadSeconds: number;
      /** Seconds per sweep of the whole probed batch, and of one outer iteration's read-back and evaluation. */
      sweepSeconds: number;
      outerOverheadSeconds: number;
      /** Seconds per epoch of each probed baseline. */
      epochSeconds: Partial<Record<Method, number>>;
      /** Seconds the probe worked (from the message to its answer): the rest of its round trip is starting a worker. */
      busySeconds: number;
    }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'error'; message: string; userError: boolean };
