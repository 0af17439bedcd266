// The experiment runner: hyperparameter selection for the baselines on a validation split of
// the training part, then every method × initialisation × repeat, each run built by
// prepareRun exactly as `alm-rnn train` builds it. results.json is rewritten after every
// selection and every run; a stop (AbortSignal) keeps what finished, and `resume` continues.
//
// Order of work: all selections first (the runs need them), then the runs repeat by repeat
// (repeat 0 of every method × initialisation, then repeat 1, …), so a stopped experiment has
// about the same number of repeats in every cell of the table.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runAlmBatch, type AlmResult, type AlmTrial } from '../alm/alm.ts';
import { batchCheckpointFromJson, batchCheckpointToJson } from '../alm/checkpoint.ts';
import { earlyStopConfig } from '../alm/early-stop.ts';
import { lowestScore } from '../alm/selection.ts';
import { writeFileAtomic } from '../alm/checkpoint-file.ts';
import { lambdasFor, type AlmParams } from '../alm/params.ts';
import { prepareRun, type RunConfig } from '../alm/setup.ts';
import type { BcdBackend } from '../backends/backend.ts';
import { CpuPoolBackend, defaultThreads } from '../backends/cpu/pool.ts';
import type { Lambdas } from '../baselines/bptt.ts';
import { BaselinePool, type BaselineJob } from '../baselines/pool.ts';
import type { BaselineResult } from '../baselines/train.ts';
import { UserInputError } from '../errors.ts';
import { loadDatasetOrFile } from '../problem/csv-file.ts';
import type { LoadedDataset } from '../problem/datasets.ts';
import type { Initializer } from '../problem/init.ts';
import { initialEarlyStop, type EarlyStopRule, type EarlyStopState } from '../problem/early-stop.ts';
import { evaluate } from '../problem/model.ts';
import type { Problem, RnnWeights } from '../problem/types.ts';
import { validationProblem } from '../problem/validation.ts';
import { ownsCell, selectedMethods, shardContents, type Shard } from './shards.ts';
import { renderPlots, type VegaLoader } from './plots.ts';
import { referenceErrors } from './reference.ts';
import { renderReport } from './report.ts';
import {
  EXPERIMENT_FILES_RESULTS, finiteOrNull, readResults, RESULTS_FORMAT, runKey, selectionKey, sig, sortRecords, thinCurve, writeResults,
  type CurvePoint, type EarlyStopRecord, type ExperimentResults, type RunRecord, type SelectionCandidate, type SelectionRecord,
} from './results.ts';
import {
  baselineGrid, earlyStopRuleOf, isBaseline, resolveSpec, SELECTION_SEED_OFFSET, usesAlm, validateSpec,
  type BaselineMethod, type ExperimentInput, type ExperimentMethod, type ExperimentSpec,
} from './settings.ts';

/** File names inside an experiment's output folder. */
export const EXPERIMENT_FILES = {
  /** The results (ExperimentResults), rewritten after every selection and run. */
  results: EXPERIMENT_FILES_RESULTS,
  /** The report in Markdown: Table 3 and the rest, written at the end. */
  report: 'README.md',
  /** Figure 1: FeasVio of the ALM against the outer iteration (SVG). */
  fig1: 'fig1-feasvio.svg',
  /** Figure 2: TrainErr and TestErr against seconds, per method (SVG). */
  fig2: 'fig2-error-vs-time.svg',
} as const;

/** Most points kept per baseline curve in results.json (and per validation curve of early stopping). */
const BASELINE_CURVE_POINTS = 60;
/**
 * The files of an ALM batch in flight (selection fits, runs, and with early stopping the runs on
 * the fit part before their retraining), removed when it completes.
 */
export const ALM_BATCH_CHECKPOINT = {
  /** The batch of the ALM's selection fits. */
  select: 'alm-selection.checkpoint.json',
  /** The batch of the ALM's runs (ALM + GD's ALM stages included); under early stopping, their retraining for k*. */
  run: 'alm-runs.checkpoint.json',
  /** Under early stopping: the batch of the ALM's runs on the fit part. */
  fit: 'alm-runs-fit.checkpoint.json',
} as const;
/** Default seconds between checkpoints of an ALM batch: a stop loses at most this much of it (and the outer iteration in flight). */
const ALM_CHECKPOINT_SECONDS = 120;
/** About how many times a baseline run computes TrainErr and TestErr (see evaluateEvery). */
const BASELINE_EVALUATIONS = 500;

/** A progress report: which phase, how many units of it are done, and the unit in flight. */
export interface ExperimentProgress {
  /** `select`: the hyperparameter selection's trainings; `run`: the runs. */
  phase: 'select' | 'run';
  /** Units finished in this phase (selection trainings or runs). */
  done: number;
  /** Units of this phase this session has to do (those finished by an earlier session not counted). */
  total: number;
  /** The units in flight, e.g. "alm: one batch of 50 run(s)" or "select gdc/he lr=0.01 clip=4 seed 1/1 and 1 more". */
  label: string;
  /** How many units are in flight (the trials of an ALM batch, or the trainings on the pool's threads). */
  inFlight: number;
  /** How far the units in flight are on average, in [0, 1]. */
  fraction: number;
  /** Estimated seconds left for the whole experiment (null until every kind of unit was timed once). */
  etaSeconds: number | null;
  /** Seconds since this session started. */
  elapsedSeconds: number;
}

/** Options of runExperiment. */
export interface ExperimentOptions {
  /** Folder for results.json, README.md and the plots (created if missing). */
  outDir: string;
  /** Continue the results in outDir (the spec must match, except that repeats may grow). */
  resume?: boolean;
  /** Aborting stops after the current unit's next check; finished units are kept. */
  signal?: AbortSignal;
  /** Told how far the work is: at most every 100 ms, and whenever an ALM batch starts or a training on the pool ends. */
  onProgress?: (p: ExperimentProgress) => void;
  /** Called after each finished selection, with the selections done and in all (earlier sessions' included). */
  onSelectionDone?: (s: SelectionRecord, done: number, total: number) => void;
  /** Called after each finished run, with the runs done and in all (earlier sessions' included). */
  onRunDone?: (r: RunRecord, done: number, total: number) => void;
  /** Creates the backend of each ALM batch (default: the CPU backend over `threads` worker threads). */
  createBackend?: () => Promise<BcdBackend>;
  /** Worker threads of the baselines' trainings (default: one per core). */
  threads?: number;
  /** Seconds between checkpoints of an ALM batch in flight (default 120; 0: after every outer iteration). */
  almCheckpointSeconds?: number;
  /** Told of trouble that does not stop the experiment (a checkpoint that could not be written). */
  onWarning?: (text: string) => void;
  /** The command line, recorded in results.json and the report. */
  command?: string;
  /** Run only this shard's cells (method × initialisation, with their selections); see shards.ts. */
  shard?: Shard;
  /** Imports vega and vega-lite for the figures (default: importVega; tests inject a failing one). */
  loadVega?: VegaLoader;
}

/** What runExperiment produced. */
export interface ExperimentOutcome {
  /** The results, as written to results.json. */
  results: ExperimentResults;
  /** Paths of the files written. */
  files: {
    /** results.json. */
    results: string;
    /** README.md, the report. */
    report: string;
    /** Figure 1's SVG; absent when it was not drawn (no ALM run finished, or vega or vega-lite could not be imported). */
    fig1?: string;
    /** Figure 2's SVG; absent when it was not drawn (no run finished, or vega or vega-lite could not be imported). */
    fig2?: string;
  };
  /** Whether the signal stopped the experiment before every unit was done (results.status `stopped`); the report covers what finished. */
  stopped: boolean;
  /** One line, set when the figures were not drawn because vega or vega-lite could not be imported (see renderPlots). */
  figuresSkipped?: string;
}

/** What prepareExperiment gives. */
export interface PreparedExperiment {
  /** The input resolved against its preset and data set, validated: what runExperiment takes. */
  spec: ExperimentSpec;
  /** The data set, loaded, split and standardised as the spec asks. */
  loaded: LoadedDataset;
}

/** Loads the data of an input and resolves it into a validated spec. */
export function prepareExperiment(input: ExperimentInput): PreparedExperiment {
  const loaded = loadExperimentData(input);
  return { spec: resolveSpec(input, loaded), loaded };
}

/** Loads (split and standardised) the data set of a spec. */
export function loadExperimentData(spec: Pick<ExperimentInput, 'dataset' | 'targets' | 'dataSeed' | 'standardize'>): LoadedDataset {
  return loadDatasetOrFile(spec.dataset, { seed: spec.dataSeed ?? 1, targets: spec.targets, standardize: spec.standardize ?? 'whole' });
}

export { validationProblem };

/** Runs (or resumes) an experiment; writes results.json as it goes and the report and plots at the end. */
export async function runExperiment(specIn: ExperimentSpec, options: ExperimentOptions): Promise<ExperimentOutcome> {
  const loaded = loadExperimentData(specIn);
  validateSpec(specIn, loaded.T1);
  mkdirSync(options.outDir, { recursive: true });
  const resultsPath = join(options.outDir, EXPERIMENT_FILES.results);
  const results = options.resume ? resumeResults(resultsPath, specIn) : freshResults(specIn, loaded);
  const stored = options.resume ? results.shard : options.shard;
  const shard = stored && { index: stored.index, count: stored.count };
  // What a shard holds is recorded when it completes (below); until then it records nothing.
  if (shard) results.shard = shard;
  const spec = results.spec;
  results.status = 'running';

  const makeBackend = options.createBackend ?? (async () => new CpuPoolBackend(options.threads ?? defaultThreads()));
  const newBackend = async (): Promise<BcdBackend> => {
    const backend = await makeBackend();
    results.backend = backend.info.description;
    return backend;
  };
  const session = performance.now();
  const elapsed = (): number => (performance.now() - session) / 1000;
  const signal = options.signal;
  const config = (init: Initializer, seed: number): RunConfig => ({
    dataset: spec.dataset,
    targets: spec.targets,
    hidden: spec.hidden,
    activation: spec.activation,
    init,
    seed,
    standardize: spec.standardize,
    testHidden: spec.testHidden,
    params: spec.alm,
  });
  const { problem } = prepareRun(config(spec.inits[0], spec.seed), loaded);
  const valProblem = validationProblem(problem, spec.selection.validationSteps);
  results.data = {
    T: problem.series.T, T1: problem.T1, n: problem.series.n, m: problem.series.m, r: problem.r,
    fitSteps: valProblem.T1, validationSteps: spec.selection.validationSteps, reference: referenceErrors(problem),
  };
  const wallBefore = results.wallSeconds ?? 0;
  const save = (): void => {
    results.updated = new Date().toISOString();
    results.wallSeconds = sig(wallBefore + elapsed(), 5) ?? 0;
    sortRecords(results);
    writeResults(resultsPath, results);
  };

  // Early stopping's rules: the ALM's counts outer iterations, the baselines' (and ALM + GD's polish's) epochs.
  const almRule = spec.earlyStop ? earlyStopRuleOf(spec, 'outer') : undefined;
  const epochRule = spec.earlyStop ? earlyStopRuleOf(spec, 'epochs') : undefined;
  const V = spec.selection.validationSteps;
  /** What an ALM checkpoint of an early-stopped fit records of the rule (so that one of other settings is not continued). */
  const almEarlyStopConfig = spec.earlyStop ? { earlyStop: earlyStopConfig({ validationSteps: V, rule: almRule!, restore: spec.earlyStop.restore }) } : {};

  // The plan: every unit of work, in order, with what has been done already left out.
  const tauGrid = spec.selection.almTauGrid ?? [];
  const selected = selectedMethods(spec);
  const doneSelections = new Map(results.selections.map((s) => [s.key, s]));
  const selectionPlan = selected.flatMap((method) => spec.inits.map((init) => ({ method, init })))
    .filter(({ method, init }) => ownsCell(spec, shard, method, init) && !doneSelections.has(selectionKey(method, init)));
  const doneRuns = new Set(results.runs.map((r) => r.key));
  const runPlan: { method: ExperimentMethod; init: Initializer; repeat: number }[] = [];
  for (let repeat = 0; repeat < spec.repeats; repeat++) {
    for (const init of spec.inits) {
      for (const method of spec.methods) {
        if (ownsCell(spec, shard, method, init) && !doneRuns.has(runKey(method, init, repeat))) runPlan.push({ method, init, repeat });
      }
    }
  }

  const threads = options.threads ?? defaultThreads();
  const pool = new BaselinePool(threads);
  const almTaus = tauGrid.length > 0 ? tauGrid : [spec.alm.tau];
  const selectionSeeds = Array.from({ length: spec.selection.repeats }, (_, s) => s);
  const selectionInitial = (init: Initializer, s: number): RnnWeights => prepareRun(config(init, spec.seed + SELECTION_SEED_OFFSET + s), loaded).initial;

  // Progress: units are trainings (one ALM trial, one baseline run, one ALM + GD polish); the
  // estimate of the time left is the mean seconds of each kind of unit over the threads.
  const eta = new EtaModel();
  for (const r of results.runs) eta.record(r.method, r.seconds);
  const unitsLeft = new Map<string, number>();
  const addUnits = (kind: string, count: number): void => {
    unitsLeft.set(kind, (unitsLeft.get(kind) ?? 0) + count);
  };
  const almSelectInits = spec.inits.filter((init) => selectionPlan.some((u) => u.init === init && usesAlm(u.method)));
  addUnits('select:alm', almSelectInits.length * almTaus.length * selectionSeeds.length);
  for (const { method } of selectionPlan) {
    if (method === 'alm+gd') addUnits('select:alm+gd', spec.selection.lrGrid.length * selectionSeeds.length);
    else if (isBaseline(method)) addUnits(`select:${method}`, candidates(spec, method).length * selectionSeeds.length);
  }
  for (const u of runPlan) addUnits(u.method, 1);
  const totals = { select: sum([...unitsLeft].filter(([k]) => k.startsWith('select:')).map(([, v]) => v)), run: runPlan.length };
  const unitsDone = { select: 0, run: 0 };
  const unitDone = (phase: 'select' | 'run', kind: string, seconds: number, count = 1): void => {
    eta.record(kind, seconds / count, count);
    unitsLeft.set(kind, (unitsLeft.get(kind) ?? count) - count);
    unitsDone[phase] += count;
  };
  let lastProgress = 0;
  const progress = (phase: 'select' | 'run', label: string, inFlight: number, fraction: number, force = false): void => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    const est = eta.estimate(unitsLeft);
    options.onProgress({
      phase,
      done: unitsDone[phase],
      total: totals[phase],
      label,
      inFlight,
      fraction,
      etaSeconds: est === null ? null : Math.max(0, (est - inFlight * fraction * (eta.mean(label) ?? 0)) / threads),
      elapsedSeconds: elapsed(),
    });
  };
  /** Progress of the pool's jobs in flight: how far each is. */
  const inFlight = new Map<number, { label: string; fraction: number }>();
  let nextJob = 0;
  const poolProgress = (phase: 'select' | 'run', force = false): void => {
    const jobs = [...inFlight.values()];
    const label = jobs.length === 0 ? '' : jobs.length === 1 ? jobs[0].label : `${jobs[0].label} and ${jobs.length - 1} more`;
    progress(phase, label, jobs.length, jobs.length === 0 ? 0 : sum(jobs.map((j) => j.fraction)) / jobs.length, force);
  };
  /**
   * One training in the pool, with its progress shown; null when stopped. It counts as one unit
   * of `kind` taking its seconds plus `priorSeconds` (early stopping's run on the fit part that
   * came before it), or as none with `counts` false (that run on the fit part itself).
   */
  const poolJob = async (
    phase: 'select' | 'run', kind: string, label: string, job: BaselineJob, counts = true, priorSeconds = 0,
  ): Promise<BaselineResult | null> => {
    const id = nextJob++;
    inFlight.set(id, { label, fraction: 0 });
    try {
      const res = await pool.run(job, {
        signal,
        onEpoch: (epoch) => {
          inFlight.set(id, { label, fraction: epoch / job.epochs });
          poolProgress(phase);
        },
      });
      if (res.stopped === 'aborted') return null;
      if (counts) unitDone(phase, kind, priorSeconds + lastSeconds(res));
      return res;
    } finally {
      inFlight.delete(id);
      poolProgress(phase, true);
    }
  };
  /**
   * One batch of ALM trials on the backend, with its progress shown; null when stopped. The
   * batch is checkpointed into the output folder at most every `almCheckpointSeconds`, and a
   * checkpoint of the same trials left by a stopped session is continued from.
   */
  const almBatch = async (
    phase: 'select' | 'run', label: string, trials: ConfiguredTrial[],
    stage: { earlyStop?: EarlyStopRule; name?: 'fit' | 'retrain'; counts?: boolean } = {},
  ): Promise<AlmResult[] | null> => {
    const checkpointPath = join(options.outDir, ALM_BATCH_CHECKPOINT[stage.name === 'fit' ? 'fit' : phase]);
    const resumed = continuableBatch(checkpointPath, trials);
    const backend = await newBackend();
    const t0 = performance.now();
    let out: AlmResult[];
    const every = (options.almCheckpointSeconds ?? ALM_CHECKPOINT_SECONDS) * 1000;
    let lastCheckpoint = performance.now();
    let checkpointWarned = false;
    try {
      const { outer, inner } = spec.alm;
      progress(phase, label, trials.length, 0, true);
      out = await runAlmBatch(backend, trials.map((t, i) => (resumed ? { ...t, resume: resumed[i] } : t)), {
        signal,
        testHidden: spec.testHidden,
        ...(stage.earlyStop ? { earlyStop: stage.earlyStop } : {}),
        onSweeps: (k, done) => progress(phase, label, trials.length, ((k - 1) * inner + done) / (outer * inner)),
        checkpointDue: () => performance.now() - lastCheckpoint >= every,
        onCheckpoint: (loops, states) => {
          lastCheckpoint = performance.now();
          try {
            writeFileAtomic(checkpointPath, batchCheckpointToJson({
              trials: trials.map((t, i) => ({ config: t.config, initial: t.initial, loop: loops[i], state: states[i] })),
            }));
          } catch (err) {
            // A checkpoint that cannot be written (a full disk, a batch too large for one JSON text) must not end the batch.
            if (!checkpointWarned) options.onWarning?.(`could not checkpoint the ALM batch to ${checkpointPath} (${(err as Error).message}); it goes on, but a stop now loses its progress`);
            checkpointWarned = true;
          }
        },
      });
    } finally {
      backend.dispose();
    }
    if (out.some((r) => r.stopReason === 'stopped')) return null;
    try {
      rmSync(checkpointPath, { force: true });
    } catch (err) {
      options.onWarning?.(`could not remove the finished ALM batch's checkpoint ${checkpointPath} (${(err as Error).message})`);
    }
    const seconds = (performance.now() - t0) / 1000;
    (results.almBatches ??= []).push({
      phase, ...(stage.name ? { stage: stage.name } : {}), trials: trials.length, backend: results.backend, seconds: sig(seconds, 4) ?? 0,
    });
    // With early stopping a run may be two batches (its fit part, then its retraining): the unit is counted once.
    if (stage.counts !== false) unitDone(phase, phase === 'select' ? 'select:alm' : 'alm', sum(out.map((r) => r.ownSeconds ?? seconds)), trials.length);
    return out;
  };

  /**
   * The ALM's runs under early stopping: one batch on the fit part, each trial stopping by the
   * rule, then (restore retrain) one batch on the whole training part, each trial for its k*.
   */
  const earlyStoppedAlmRuns = async (trials: ConfiguredTrial[], label: string): Promise<AlmRecord[] | null> => {
    const restore = spec.earlyStop!.restore;
    const fitTrials = trials.map((t) => ({ ...t, problem: validationProblem(t.problem, V), config: { ...t.config, ...almEarlyStopConfig } }));
    const fits = await almBatch('run', `${label} on the fit part`, fitTrials, { earlyStop: almRule, name: 'fit', counts: restore === 'best' });
    if (fits === null) return null;
    const states = fits.map((fit) => fit.loopState.earlyStop ?? initialEarlyStop());
    const earlies = fits.map((fit, i) => earlyStopRecord(states[i], fit.outerIterations, fit.history.map((it) => ({ step: it.k, valErr: it.testErr }))));
    const fitSeconds = fits.map((fit) => fit.ownSeconds ?? fit.seconds);
    const kept = (i: number): AlmRecord => ({
      ...keptIterate(states[i], fits[i].weights, trials[i].problem, spec, fitSeconds[i], fits[i].stopReason),
      sweeps: fits[i].sweeps, feasVio: fits[i].feasVio, earlyStop: earlies[i], weights: states[i].bestWeights ?? fits[i].weights,
    });
    const retrain = restore === 'retrain' ? trials.map((_, i) => i).filter((i) => states[i].bestK > 0) : [];
    const out: AlmRecord[] = trials.map((_, i) => kept(i));
    if (retrain.length === 0) return out;
    const finals = await almBatch('run', `${label}, each for its k*`, retrain.map((i) => ({ ...trials[i], stopAfter: states[i].bestK })), { name: 'retrain' });
    if (finals === null) return null;
    retrain.forEach((i, j) => {
      out[i] = {
        ...afterFit(almRecord(finals[j], trials[i].initial, trials[i].problem, spec), fitSeconds[i]),
        sweeps: fits[i].sweeps + (finals[j].sweeps ?? 0), earlyStop: earlies[i], weights: finals[j].weights,
      };
    });
    return out;
  };

  if (options.command && selectionPlan.length + runPlan.length > 0) results.commands.push(options.command);
  let stopped = false;
  save();

  const pushSelection = (record: SelectionRecord): void => {
    results.selections.push(record);
    doneSelections.set(record.key, record);
    save();
    options.onSelectionDone?.(record, results.selections.length, results.selections.length + selectionPlan.length - ++selectionsDone);
  };
  let selectionsDone = 0;
  let runsDone = 0;
  const pushRun = (record: RunRecord): void => {
    results.runs.push(record);
    runsDone++;
    save();
    options.onRunDone?.(record, results.runs.length, results.runs.length + runPlan.length - runsDone);
  };

  try {
    // Phase 1: hyperparameters of each method × initialisation on the validation split.
    // The ALM's fits of the selection, every initialisation × τ × seed in one batch: they
    // choose the ALM's τ, and ALM + GD polishes their end points.
    const almFits = new Map<Initializer, AlmResult[][]>();
    /** The ALM's τ grid of an initialisation, each τ scored by its fits' validation errors (computed once). */
    const scoredFits = new Map<Initializer, SelectionCandidate[]>();
    const scoreAlmFits = (fits: AlmResult[], cand: { tau: number }): SelectionCandidate => {
      const scores = fits.map((r) => validationScore(r, valProblem, spec));
      return scored(cand, scores.map((x) => x.valErr), spec.earlyStop ? scores.map((x) => x.k ?? 0) : undefined);
    };
    const almCandidates = (init: Initializer): SelectionCandidate[] => {
      let tried = scoredFits.get(init);
      if (!tried) {
        tried = almTaus.map((tau, j) => scoreAlmFits(almFits.get(init)![j], { tau }));
        scoredFits.set(init, tried);
      }
      return tried;
    };
    if (almSelectInits.length > 0) {
      const trials = almSelectInits.flatMap((init) => almTaus.flatMap((tau) => selectionSeeds.map((s) => ({
        problem: valProblem, params: { ...spec.alm, tau }, initial: selectionInitial(init, s),
        config: { ...config(init, spec.seed + SELECTION_SEED_OFFSET + s), params: { ...spec.alm, tau }, ...almEarlyStopConfig },
      }))));
      const t0 = performance.now();
      const fits = await almBatch('select', `select alm: ${almSelectInits.length} initialisation(s) × τ ∈ {${almTaus.join(', ')}} × ${selectionSeeds.length} seed(s), one batch of ${trials.length}`, trials,
        almRule ? { earlyStop: almRule } : {});
      if (fits === null) stopped = true;
      else {
        const per = almTaus.length * selectionSeeds.length;
        almSelectInits.forEach((init, i) => {
          almFits.set(init, almTaus.map((_, j) => fits.slice(i * per + j * selectionSeeds.length, i * per + (j + 1) * selectionSeeds.length)));
        });
        for (const { method, init } of selectionPlan) {
          if (method !== 'alm') continue;
          const tried = almCandidates(init);
          const best = pickBest(tried);
          // The fits' own computation (the batch's clock shared out where the backend cannot tell).
          const seconds = sum(almFits.get(init)!.flat().map((r) => r.ownSeconds ?? (performance.now() - t0) / 1000 / fits.length));
          pushSelection({ key: selectionKey('alm', init), method: 'alm', init, tau: best.tau, valErr: best.valErr, candidates: tried, seconds });
        }
      }
    }
    /** The ALM's τ of an initialisation: chosen on validation (or the fixed τ without a grid). */
    const almTauOf = (init: Initializer): number => {
      if (tauGrid.length === 0) return spec.alm.tau;
      const done = doneSelections.get(selectionKey('alm', init));
      if (done?.tau !== undefined) return done.tau;
      return pickBest(almCandidates(init)).tau!;
    };

    // The baselines' grids and ALM + GD's learning rates, every training in the pool.
    const groups: Promise<void>[] = [];
    for (const { method, init } of stopped ? [] : selectionPlan) {
      if (method === 'alm') continue;
      let seconds = 0;
      const grid: { lr: number; clip?: number; tau?: number }[] = method === 'alm+gd'
        ? spec.selection.lrGrid.map((lr) => ({ tau: almTauOf(init), lr }))
        : candidates(spec, method as BaselineMethod);
      const kind = `select:${method}`;
      const cellTried = grid.map(async (cand): Promise<SelectionCandidate | null> => {
        const valErrs = await Promise.all(selectionSeeds.map(async (s): Promise<{ valErr: number | null; k?: number } | 'stopped'> => {
          const label = `select ${method}/${init} ${cand.tau !== undefined ? `τ=${cand.tau} ` : ''}lr=${cand.lr}${cand.clip !== undefined ? ` clip=${cand.clip}` : ''} seed ${s + 1}/${selectionSeeds.length}`;
          let job: BaselineJob;
          if (method === 'alm+gd') {
            const fit = almFits.get(init)![almTaus.indexOf(cand.tau!)][s];
            if (fit.stopReason === 'failed') {
              unitDone('select', kind, 0);
              return { valErr: null, k: 0 };
            }
            // Under early stopping the ALM's model of a selection fit is its best iterate (there is no split left to retrain on).
            const start = spec.earlyStop ? (fit.loopState.earlyStop?.bestWeights ?? fit.weights) : fit.weights;
            job = polishJob(spec, valProblem, cand.tau!, cand.lr, start);
          } else {
            job = baselineJob(spec, valProblem, method as BaselineMethod, { lr: cand.lr, clip: cand.clip }, selectionInitial(init, s), spec.seed + SELECTION_SEED_OFFSET + s);
          }
          // With early stopping the fit stops by the rule on the validation part (the selection problem's test part).
          const res = await poolJob('select', kind, label, epochRule ? { ...job, earlyStop: epochRule } : job);
          if (res === null) return 'stopped';
          seconds += lastSeconds(res);
          if (!res.earlyStop) return { valErr: finiteOrNull(res.history[res.history.length - 1].testErr) };
          return { valErr: finiteOrNull(res.earlyStop.bestErr), k: res.earlyStop.bestK };
        }));
        if (valErrs.includes('stopped')) return null;
        const scores = valErrs as { valErr: number | null; k?: number }[];
        return scored(cand, scores.map((x) => x.valErr), epochRule ? scores.map((x) => x.k ?? 0) : undefined);
      });
      groups.push(Promise.all(cellTried).then((tried) => {
        if (tried.includes(null)) {
          stopped = true;
          return;
        }
        const best = pickBest(tried as SelectionCandidate[]);
        pushSelection({
          key: selectionKey(method, init), method, init,
          ...(best.tau !== undefined ? { tau: best.tau } : {}), lr: best.lr!, ...(best.clip !== undefined ? { clip: best.clip } : {}),
          valErr: best.valErr, candidates: tried as SelectionCandidate[], seconds,
        });
      }));
    }
    await Promise.all(groups);

    // Phase 2: the runs. The baselines first (in the pool), then every ALM run as one batch,
    // then ALM + GD's polishes of the ALM's end points (in the pool). Under early stopping each
    // run is two: on the fit part until the rule stops it, then on the whole training part for k*.
    if (!stopped) {
      const initialOf = (init: Initializer, repeat: number): RnnWeights => prepareRun(config(init, spec.seed + repeat), loaded).initial;
      /** A baseline run (or a polish) of `job` on the whole training part, early-stopped when the spec says so; null when stopped. */
      const baselineRun = async (kind: string, label: string, job: BaselineJob): Promise<BaselineRecord | null> => {
        if (!epochRule) {
          const res = await poolJob('run', kind, label, job);
          return res && baselineRecord(res);
        }
        const fitJob = { ...job, problem: validationProblem(job.problem, V), earlyStop: epochRule };
        const restore = spec.earlyStop!.restore;
        const fit = await poolJob('run', kind, `${label} (fit part)`, fitJob, restore === 'best');
        if (fit === null) return null;
        const state = fit.earlyStop ?? initialEarlyStop();
        const early = earlyStopRecord(state, lastCount(fit), fit.history.map((e) => ({ step: e.epoch, valErr: e.testErr })));
        const fitSeconds = lastSeconds(fit);
        if (restore === 'best' || state.bestK === 0) {
          return { ...keptIterate(state, fit.weights, problem, spec, fitSeconds, fit.stopped), earlyStop: early };
        }
        const final = await poolJob('run', kind, `${label} (k* = ${state.bestK})`, { ...job, epochs: state.bestK }, true, fitSeconds);
        if (final === null) return null;
        return { ...afterFit(baselineRecord(final), fitSeconds), earlyStop: early };
      };
      await Promise.all(runPlan.filter((u) => isBaseline(u.method)).map(async ({ method, init, repeat }) => {
        const selection = doneSelections.get(selectionKey(method, init))!;
        const hyper = { lr: selection.lr!, ...(selection.clip !== undefined ? { clip: selection.clip } : {}) };
        const rec = await baselineRun(method, `${method} ${init} #${repeat + 1}`,
          baselineJob(spec, problem, method as BaselineMethod, hyper, initialOf(init, repeat), spec.seed + repeat));
        if (rec === null) {
          stopped = true;
          return;
        }
        pushRun(orderRecord({ ...hyper, ...rec, key: runKey(method, init, repeat), method, init, repeat, seed: spec.seed + repeat }));
      }));

      // The ALM trials the runs need: ALM's own, and the end points ALM + GD starts from.
      const almUnits = runPlan.filter((u) => usesAlm(u.method)).map((u) => ({
        ...u, tau: doneSelections.get(selectionKey(u.method, u.init))?.tau ?? spec.alm.tau,
      }));
      const almKey = (u: { init: Initializer; repeat: number; tau: number }): string => `${u.init}/${u.repeat}/${u.tau}`;
      const almTrials = [...new Map(almUnits.map((u) => [almKey(u), u])).values()];
      const trialOf = (u: { init: Initializer; repeat: number; tau: number }): ConfiguredTrial => ({
        problem, params: { ...spec.alm, tau: u.tau }, initial: initialOf(u.init, u.repeat),
        config: { ...config(u.init, spec.seed + u.repeat), params: { ...spec.alm, tau: u.tau } },
      });
      const label = `alm: one batch of ${almTrials.length} run(s)`;
      let records: AlmRecord[] | null = null;
      if (!stopped && almTrials.length > 0) {
        if (!almRule) {
          const ends = await almBatch('run', label, almTrials.map(trialOf));
          records = ends && ends.map((end, i) => ({ ...almRecord(end, trialOf(almTrials[i]).initial, problem, spec), weights: end.weights }));
        } else {
          records = await earlyStoppedAlmRuns(almTrials.map(trialOf), label);
        }
        if (records === null) stopped = true;
      }
      if (records !== null) {
        const endOf = new Map(almTrials.map((u, i) => [almKey(u), records![i]]));
        for (const u of almUnits.filter((x) => x.method === 'alm')) {
          const { weights: _end, ...alm } = endOf.get(almKey(u))!;
          pushRun(orderRecord({
            ...(tauGrid.length > 0 ? { tau: u.tau } : {}), ...alm,
            key: runKey('alm', u.init, u.repeat), method: 'alm', init: u.init, repeat: u.repeat, seed: spec.seed + u.repeat,
          }));
        }
        await Promise.all(almUnits.filter((x) => x.method === 'alm+gd').map(async (u) => {
          const { weights: end, ...alm } = endOf.get(almKey(u))!;
          const lr = doneSelections.get(selectionKey('alm+gd', u.init))!.lr!;
          const head = { key: runKey('alm+gd', u.init, u.repeat), method: 'alm+gd' as const, init: u.init, repeat: u.repeat, seed: spec.seed + u.repeat };
          if (alm.stop === 'failed') {
            // Nothing to polish: the run ends as the ALM's did.
            pushRun(orderRecord({ tau: u.tau, lr, ...alm, ...head }));
            return;
          }
          const gd = await baselineRun('alm+gd', `alm+gd ${u.init} #${u.repeat + 1}`, polishJob(spec, problem, u.tau, lr, end));
          if (gd === null) {
            stopped = true;
            return;
          }
          pushRun(orderRecord({ tau: u.tau, ...polishedRecord(alm, lr, gd), ...head }));
        }));
      }
    }

  } finally {
    pool.dispose();
  }

  results.status = stopped ? 'stopped' : 'complete';
  if (shard && !stopped) results.shard = { ...shard, contents: shardContents(results, shard) };
  save();
  const { files, figuresSkipped } = await writeReport(results, options.outDir, options.loadVega);
  return { results, files, stopped, ...(figuresSkipped !== undefined ? { figuresSkipped } : {}) };
}

/**
 * Writes README.md (tables) and the SVG plots for results into dir; returns their paths, and
 * the one line saying why the plots were skipped when vega or vega-lite could not be imported
 * (README.md says so too in place of the figures).
 */
export async function writeReport(
  results: ExperimentResults, dir: string, loadVega?: VegaLoader,
): Promise<Pick<ExperimentOutcome, 'files' | 'figuresSkipped'>> {
  const files: ExperimentOutcome['files'] = { results: join(dir, EXPERIMENT_FILES.results), report: join(dir, EXPERIMENT_FILES.report) };
  const plots = await renderPlots(results, loadVega);
  writeFileAtomic(files.report, renderReport(results, EXPERIMENT_FILES, plots.skipped));
  if (plots.fig1) {
    files.fig1 = join(dir, EXPERIMENT_FILES.fig1);
    writeFileAtomic(files.fig1, plots.fig1);
  }
  if (plots.fig2) {
    files.fig2 = join(dir, EXPERIMENT_FILES.fig2);
    writeFileAtomic(files.fig2, plots.fig2);
  }
  return { files, ...(plots.skipped !== undefined ? { figuresSkipped: plots.skipped } : {}) };
}


/** The grid of one baseline of a spec (see baselineGrid). */
export function candidates(spec: ExperimentSpec, method: BaselineMethod): { lr: number; clip?: number }[] {
  return baselineGrid(spec.selection, method);
}

/** The grid point with the lowest mean validation error (diverged ones last; ties go to the earlier point), as lowestScore picks. */
export function pickBest(tried: SelectionCandidate[]): SelectionCandidate {
  return tried[lowestScore(tried.map((c) => c.valErr ?? Infinity))];
}

/**
 * The trials' loop and state from the checkpoint a stopped session left at `path`, when it holds
 * exactly these trials (same settings and initial weights, in order); else null (a stale one is
 * left to be overwritten).
 */
function continuableBatch(path: string, trials: readonly { config: RunConfig; initial: RnnWeights }[]): AlmTrial['resume'][] | null {
  if (!existsSync(path)) return null;
  let stored;
  try {
    stored = batchCheckpointFromJson(readFileSync(path, 'utf8'), path).trials;
  } catch {
    return null;
  }
  if (stored.length !== trials.length) return null;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a, typedAsList) === JSON.stringify(b, typedAsList);
  if (!stored.every((cp, i) => same(cp.config, trials[i].config) && same(cp.initial, trials[i].initial))) return null;
  return stored.map((cp) => ({ loop: cp.loop, state: cp.state }));
}

function typedAsList(_key: string, value: unknown): unknown {
  if (value instanceof Float64Array) return Array.from(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** A baseline training of `method` on `problem` with the spec's budget, regularisation and loss. */
function baselineJob(
  spec: ExperimentSpec, problem: Problem, method: BaselineMethod, hyper: { lr: number; clip?: number },
  initial: RnnWeights, seed: number,
): BaselineJob {
  const { r, series } = problem;
  const lambdas = spec.baseline.regularization === 'same' ? lambdasOf(spec.alm, r, series.n, series.m) : undefined;
  return {
    problem,
    method,
    lr: hyper.lr,
    ...(method === 'gdc' ? { clip: hyper.clip } : {}),
    ...(method === 'gdnm' ? { momentum: spec.baseline.momentum } : {}),
    ...(method === 'sgd' ? { batch: spec.baseline.sgdBatch } : {}),
    epochs: spec.baseline.epochs,
    evaluateEvery: evaluateEvery(spec),
    ...(lambdas ? { lambdas } : {}),
    loss: spec.baseline.loss,
    initialWeights: initial,
    seed,
    testHidden: spec.testHidden,
  };
}

/** ALM + GD's second stage: full-batch GD from the ALM's end point on the ALM's objective (TrainErr + the λ terms of τ). */
function polishJob(spec: ExperimentSpec, problem: Problem, tau: number, lr: number, almEnd: RnnWeights): BaselineJob {
  const { r, series } = problem;
  return {
    problem,
    method: 'gd',
    lr,
    epochs: spec.baseline.epochs,
    evaluateEvery: evaluateEvery(spec),
    lambdas: lambdasOf({ ...spec.alm, tau }, r, series.n, series.m),
    loss: 'sum',
    initialWeights: almEnd,
    testHidden: spec.testHidden,
  };
}

/** λ1…λ5 of the ALM's parameters, as the baselines name them. */
function lambdasOf(params: AlmParams, r: number, n: number, m: number): Lambdas {
  const l = lambdasFor(params, r, n, m);
  return { A: l.l1, W: l.l2, V: l.l3, b: l.l4, c: l.l5 };
}

/**
 * How often a baseline computes TrainErr and TestErr: about BASELINE_EVALUATIONS times a run
 * (a forward pass over the whole series each, dearer than a full-batch epoch on sp500), which
 * still gives a curve finer than the BASELINE_CURVE_POINTS kept.
 */
function evaluateEvery(spec: ExperimentSpec): number {
  return spec.earlyStop?.every ?? Math.max(1, Math.floor(spec.baseline.epochs / BASELINE_EVALUATIONS));
}

/** The seconds a baseline training took (0 for one that never started). */
function lastSeconds(res: BaselineResult): number {
  return res.history[res.history.length - 1]?.seconds ?? 0;
}

type PartialRecord = Omit<RunRecord, 'key' | 'method' | 'init' | 'repeat' | 'seed'>;
/** A baseline's (or a polish's) record, without its identity and hyperparameters. */
type BaselineRecord = Omit<PartialRecord, 'lr' | 'clip' | 'tau'>;
/** An ALM run's record without its identity and τ, with its final weights (what ALM + GD polishes). */
type AlmRecord = Omit<PartialRecord, 'tau'> & { weights: RnnWeights };
/** An ALM trial with the settings its checkpoint records. */
type ConfiguredTrial = AlmTrial & { config: RunConfig };

/** What early stopping found in a run on the fit part, with its validation curve thinned. */
function earlyStopRecord(state: EarlyStopState, lastCount: number, curve: { step: number; valErr: number }[]): EarlyStopRecord {
  return {
    k: state.bestK,
    valErr: finiteOrNull(state.bestErr),
    stoppedAt: state.stoppedAt ?? lastCount,
    valCurve: thinCurve(curve, BASELINE_CURVE_POINTS).map((p) => ({ step: p.step, valErr: sig(p.valErr, 5) })),
  };
}

/** The last epoch a baseline training finished (0 for one that never started). */
function lastCount(res: BaselineResult): number {
  return res.history[res.history.length - 1]?.epoch ?? 0;
}

/**
 * The record of a run on the fit part that keeps its best iterate (restore best, or no retraining
 * possible: no iterate had a finite validation error, and the run counts as diverged), its
 * errors on the whole problem.
 */
function keptIterate(state: EarlyStopState, last: RnnWeights, problem: Problem, spec: ExperimentSpec, seconds: number, stop: string): BaselineRecord {
  if (state.bestK === 0) {
    return { trainErr: null, testErr: null, seconds, iterations: 0, stop: stop === 'failed' ? stop : 'diverged', curve: [{ step: 0, seconds: 0, trainErr: null, testErr: null }] };
  }
  const { trainErr, testErr } = evaluate(state.bestWeights ?? last, problem, spec.testHidden);
  return {
    trainErr: finiteOrNull(trainErr), testErr: finiteOrNull(testErr), seconds, iterations: state.bestK, stop,
    curve: [{ step: state.bestK, seconds: sig(seconds, 4) ?? 0, trainErr: sig(trainErr, 5), testErr: sig(testErr, 5) }],
  };
}

/** A retraining's record after its run on the fit part: both runs' seconds, its curve after the fit's. */
function afterFit<R extends BaselineRecord>(record: R, fitSeconds: number): R {
  return { ...record, seconds: record.seconds + fitSeconds, curve: record.curve.map((p) => ({ ...p, seconds: sig(p.seconds + fitSeconds, 4) ?? 0 })) };
}

/** The record of a finished baseline training (or a polish), without its identity and hyperparameters. */
function baselineRecord(res: BaselineResult): BaselineRecord {
  const last = res.history[res.history.length - 1];
  const curve: CurvePoint[] = thinCurve(res.history, BASELINE_CURVE_POINTS).map((e) => ({
    step: e.epoch, seconds: sig(e.seconds, 4) ?? 0, trainErr: sig(e.trainErr, 5), testErr: sig(e.testErr, 5),
  }));
  return {
    trainErr: finiteOrNull(last.trainErr),
    testErr: finiteOrNull(last.testErr),
    seconds: last.seconds,
    iterations: last.epoch,
    stop: res.stopped,
    curve,
  };
}

/**
 * The record of a finished ALM trial. Its seconds are the trial's own computation where the
 * backend tracks it (the CPU: what the run would take alone on one core, though it ran in a
 * batch), else the batch's clock (WebGPU, where every dispatch serves all trials).
 */
function almRecord(res: AlmResult, initial: RnnWeights, problem: Problem, spec: ExperimentSpec): Omit<PartialRecord, 'tau'> {
  const start = evaluate(initial, problem, spec.testHidden);
  const curve: CurvePoint[] = [
    { step: 0, seconds: 0, trainErr: sig(start.trainErr, 5), testErr: sig(start.testErr, 5) },
    ...res.history.map((it) => ({
      step: it.k, seconds: sig(it.ownSeconds ?? it.seconds, 4) ?? 0, trainErr: sig(it.trainErr, 5), testErr: sig(it.testErr, 5),
      feasVio: sig(it.feasVio, 4) ?? 0, gamma: sig(it.gamma, 4) ?? 0,
    })),
  ];
  return {
    trainErr: finiteOrNull(res.trainErr),
    testErr: finiteOrNull(res.testErr),
    seconds: res.ownSeconds ?? res.seconds,
    iterations: res.outerIterations,
    sweeps: res.sweeps,
    feasVio: res.feasVio,
    stop: res.stopReason,
    curve,
  };
}

/**
 * ALM + GD's record: the polish's final errors; seconds and curve of both stages (the GD
 * epochs after the ALM's outer iterations, on one clock); iterations are the GD epochs.
 */
function polishedRecord(alm: Omit<PartialRecord, 'tau'>, lr: number, gd: BaselineRecord): Omit<PartialRecord, 'tau'> {
  const lastK = alm.curve[alm.curve.length - 1].step;
  return {
    lr,
    ...gd,
    seconds: alm.seconds + gd.seconds,
    sweeps: alm.sweeps,
    almStop: alm.stop,
    ...(alm.earlyStop ? { almEarlyStop: alm.earlyStop } : {}),
    curve: [
      ...alm.curve,
      ...gd.curve.slice(1).map((p) => ({ ...p, step: lastK + p.step, seconds: sig(alm.seconds + p.seconds, 4) ?? 0 })),
    ],
  };
}

/**
 * An ALM selection fit's error on the validation part (null when it broke down or is not
 * finite): its final iterate's, or under early stopping its best iterate's, with that k*.
 */
function validationScore(fit: AlmResult, valProblem: Problem, spec: ExperimentSpec): { valErr: number | null; k?: number } {
  if (spec.earlyStop) {
    const es = fit.loopState.earlyStop ?? initialEarlyStop();
    return { valErr: fit.stopReason === 'failed' ? null : finiteOrNull(es.bestErr), k: es.bestK };
  }
  return { valErr: fit.stopReason === 'failed' ? null : finiteOrNull(evaluate(fit.weights, valProblem, spec.testHidden).testErr) };
}

/** A grid point with its validation errors per seed and their mean (null when any diverged), and under early stopping each seed's k*. */
function scored<T extends { lr?: number; clip?: number; tau?: number }>(cand: T, valErrs: (number | null)[], ks?: number[]): SelectionCandidate {
  return { ...cand, valErrs, ...(ks ? { ks } : {}), valErr: valErrs.includes(null) ? null : mean(valErrs as number[]) };
}

/** Puts the identifying fields first, so each line of results.json starts with what it is. */
function orderRecord(r: PartialRecord & Pick<RunRecord, 'key' | 'method' | 'init' | 'repeat' | 'seed'>): RunRecord {
  const { key, method, init, repeat, seed, ...rest } = r;
  return { key, method, init, repeat, seed, ...rest };
}

function freshResults(spec: ExperimentSpec, loaded: LoadedDataset): ExperimentResults {
  const now = new Date().toISOString();
  return {
    format: RESULTS_FORMAT,
    spec,
    commands: [],
    data: { T: loaded.series.T, T1: loaded.T1, n: loaded.series.n, m: loaded.series.m, r: spec.hidden ?? loaded.defaults.r, fitSteps: 0, validationSteps: 0 },
    backend: 'cpu (float64 reference)',
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    status: 'running',
    started: now,
    updated: now,
    selections: [],
    runs: [],
  };
}

/** The stored results, after checking that `spec` asks for the same experiment (more repeats are allowed). */
function resumeResults(path: string, spec: ExperimentSpec): ExperimentResults {
  const stored = readResults(path);
  const a = { ...stored.spec, repeats: 0 };
  const b = { ...spec, repeats: 0 };
  const diff = firstDifference(a, b, '');
  if (diff !== null) {
    throw new UserInputError(`${path} holds a different experiment (${diff}); resume it with its own settings, or choose another --out folder`);
  }
  stored.spec = { ...stored.spec, repeats: Math.max(stored.spec.repeats, spec.repeats) };
  return stored;
}

function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Object.is(a, b) ? null : `${path || 'spec'}: stored ${JSON.stringify(a)}, asked ${JSON.stringify(b)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
    if (d !== null) return d;
  }
  return null;
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Running mean duration per kind of unit, for the time-left estimate. */
class EtaModel {
  private readonly sums = new Map<string, { total: number; count: number }>();

  /** Records `count` units of `kind` that took `seconds` each. */
  record(kind: string, seconds: number, count = 1): void {
    const s = this.sums.get(kind) ?? { total: 0, count: 0 };
    s.total += seconds * count;
    s.count += count;
    this.sums.set(kind, s);
  }

  mean(kind: string): number | undefined {
    const s = this.sums.get(kind);
    return s ? s.total / s.count : undefined;
  }

  /** Sum of mean durations over the units left of each kind; null if a kind with units left has not been timed yet. */
  estimate(left: Map<string, number>): number | null {
    let total = 0;
    for (const [kind, count] of left) {
      if (count <= 0) continue;
      const m = this.mean(kind);
      if (m === undefined) return null;
      total += m * count;
    }
    return total;
  }
}

function sum(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
