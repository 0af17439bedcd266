// The messages between the page (main thread) and the training worker. The worker owns the
// backend and the ALM loop; the page only sends commands and draws what comes back.
import type {
  AlmIteration, AlmLoopState, AlmSummary, BackendInfo, Checkpoint, EarlyStopOptions, EarlyStopOutcome, EarlyStopStage, RnnWeights, RunConfig, Standardization,
} from 'alm-rnn';
import type { CsvFile } from 'alm-rnn/datasets';

/** Where the sweeps run. */
export type BackendChoice = 'webgpu' | 'cpu';

/** A CSV file chosen in the page, carried with a run so the worker (and a resume) can load it. */
export type CsvSource = CsvFile;

/** Page → worker. */
export type ToWorker =
  | {
      type: 'start';
      config: RunConfig;
      csv?: CsvSource;
      backend: BackendChoice;
      /** Continue this checkpoint (its config is `config`, except possibly the outer cap). */
      resume?: Checkpoint;
      /** Early stopping on the validation split (train()'s earlyStop); a resumed run's are its checkpoint's. */
      earlyStop?: EarlyStopOptions;
    }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' };

/** Shape and data of the problem a run trains on, sent once when it starts. */
export interface RunProblemInfo {
  T: number;
  T1: number;
  n: number;
  m: number;
  r: number;
  inputNames: string[];
  targetNames: string[];
  /** Targets of the whole series (T×m), for the fit plot. */
  y: Float64Array;
  activation: string;
  standardization?: Standardization;
}

/** Worker → page. */
export type FromWorker =
  | { type: 'notice'; message: string }
  | {
      type: 'started';
      backend: BackendInfo;
      problem: RunProblemInfo;
      /** Loop state the run starts from (k = 0 for a new run). */
      loop: Pick<AlmLoopState, 'k' | 'sweeps' | 'seconds' | 'history'>;
      outer: number;
      inner: number;
    }
  | { type: 'sweeps'; k: number; done: number }
  | { type: 'paused' }
  | { type: 'resumed' }
  /** One outer iteration; with early stopping, `stage` says whether it is the fit part's (its testErr is the validation error) or the retraining's. */
  | { type: 'iteration'; it: AlmIteration; stage?: EarlyStopStage }
  | {
      type: 'weights';
      k: number;
      weights: RnnWeights;
      /** Predictions over the whole series (T×m) from these weights. */
      yHat: Float64Array;
      /** Whether the state was written to browser storage. */
      saved: boolean;
    }
  | (AlmSummary & {
      type: 'done';
      weights: RnnWeights;
      yHat: Float64Array;
      /** With early stopping: k*, its validation error, where the fit run stopped, which model was kept. */
      earlyStop?: EarlyStopOutcome;
    })
  | { type: 'error'; message: string; userError: boolean };
