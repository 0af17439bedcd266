// The experiment runner: hyperparameter selection for the baselines on a validation split of
// the training part, then every method × initialisation × repeat, each run built by
// prepareRun exactly as `alm-rnn train` builds it. results.json is rewritten after every
// selection and every run; a stop (AbortSignal) keeps what finished, and `resume` continues.
//
// Order of work: all selections first (the runs need them), then the runs repeat by repeat
// (repeat 0 of every method × initialisation, then repeat 1, …), so a stopped experiment has
// about the same number of repeats in every cell of the table.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { runAlm, runAlmBatch } from '../alm/alm.ts';
import { lambdasFor } from '../alm/params.ts';
import { prepareRun, type RunConfig } from '../alm/setup.ts';
import type { BcdBackend } from '../backends/backend.ts';
import { createCpuBackend } from '../backends/cpu/cpu-backend.ts';
import { trainBaseline, type BaselineOptions } from '../baselines/train.ts';
import { UserInputError } from '../errors.ts';
import { loadDatasetOrFile } from '../problem/csv-file.ts';
import type { LoadedDataset } from '../problem/datasets.ts';
import type { Initializer } from '../problem/init.ts';
import { evaluate } from '../problem/model.ts';
import type { Problem, RnnWeights } from '../problem/types.ts';
import { validationProblem } from '../problem/validation.ts';
import { ownsCell, type Shard } from './shards.ts';
import { renderPlots } from './plots.ts';
import { referenceErrors } from './reference.ts';
import { renderReport } from './report.ts';
import {
  EXPERIMENT_FILES_RESULTS, finiteOrNull, readResults, RESULTS_FORMAT, runKey, selectionKey, sig, thinCurve, writeResults,
  type CurvePoint, type ExperimentResults, type RunRecord, type SelectionCandidate, type SelectionRecord,
} from './results.ts';
import {
  resolveSpec, SELECTION_SEED_OFFSET, validateSpec,
  type BaselineMethod, type ExperimentInput, type ExperimentMethod, type ExperimentSpec,
} from './settings.ts';

/** File names inside an experiment's output folder. */
export const EXPERIMENT_FILES = {
  results: EXPERIMENT_FILES_RESULTS,
  report: 'README.md',
  fig1: 'fig1-feasvio.svg',
  fig2: 'fig2-error-vs-time.svg',
} as const;

/** Most points kept per baseline curve in results.json. */
const BASELINE_CURVE_POINTS = 60;

/** A progress report: which phase, how many units of it are done, and the unit in flight. */
export interface ExperimentProgress {
  phase: 'select' | 'run';
  /** Units finished in this phase (selection trainings or runs). */
  done: number;
  total: number;
  /** The unit in flight, e.g. "alm he #3" or "select gdc/he lr=0.01 clip=4". */
  label: string;
  /** How far the unit in flight is, in [0, 1]. */
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
  onProgress?: (p: ExperimentProgress) => void;
  /** Called after each finished selection and run, with the running counts. */
  onSelectionDone?: (s: SelectionRecord, done: number, total: number) => void;
  onRunDone?: (r: RunRecord, done: number, total: number) => void;
  /** Creates the backend of each ALM run (default: the CPU backend). */
  createBackend?: () => Promise<BcdBackend>;
  /** The command line, recorded in results.json and the report. */
  command?: string;
  /** Run only this shard's cells (method × initialisation, with their selections); see shards.ts. */
  shard?: Shard;
}

/** What runExperiment produced. */
export interface ExperimentOutcome {
  results: ExperimentResults;
  /** Paths of the files written. */
  files: { results: string; report: string; fig1?: string; fig2?: string };
  stopped: boolean;
}

/** Loads the data of an input and resolves it into a validated spec. */
export function prepareExperiment(input: ExperimentInput): { spec: ExperimentSpec; loaded: LoadedDataset } {
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
  const shard = options.resume ? results.shard : options.shard;
  if (shard) results.shard = shard;
  const spec = results.spec;
  results.status = 'running';

  const makeBackend = options.createBackend ?? (async () => createCpuBackend());
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
  const save = (): void => {
    results.updated = new Date().toISOString();
    writeResults(resultsPath, results);
  };

  // The plan: every unit of work, in order, with what has been done already left out.
  const tauGrid = spec.selection.almTauGrid ?? [];
  // The ALM is selected (its τ) like the baselines (their learning rates), unless its grid is empty.
  const selected = spec.methods.filter((m) => m !== 'alm' || tauGrid.length > 0);
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

  const eta = new EtaModel();
  for (const r of results.runs) eta.record(r.method, r.seconds);
  // The kind of every unit still to do, in order, for the time-left estimate.
  const unitKinds = [
    ...selectionPlan.flatMap(({ method }) => Array<string>((method === 'alm' ? tauGrid.length : candidates(spec, method).length) * spec.selection.repeats).fill(`select:${method}`)),
    ...runPlan.map((u) => u.method),
  ];
  const selectTotal = unitKinds.length - runPlan.length;
  let selectUnitsDone = 0;
  let selectionsDone = 0;
  let runsDone = 0;
  let lastProgress = 0;
  const progress = (phase: 'select' | 'run', kind: string, label: string, fraction: number, force = false): void => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    const est = eta.estimate(unitKinds.slice(selectUnitsDone + runsDone));
    options.onProgress({
      phase,
      done: phase === 'select' ? selectUnitsDone : runsDone,
      total: phase === 'select' ? selectTotal : runPlan.length,
      label,
      fraction,
      etaSeconds: est === null ? null : Math.max(0, est - fraction * (eta.mean(kind) ?? 0)),
      elapsedSeconds: elapsed(),
    });
  };

  if (options.command && selectionPlan.length + runPlan.length > 0) results.commands.push(options.command);
  let stopped = false;
  save();

  // Phase 1: hyperparameters of each baseline × initialisation on the validation split.
  for (const { method, init } of selectionPlan) {
    const t0 = performance.now();
    let tried: SelectionCandidate[] = [];
    if (method === 'alm') {
      progress('select', 'select:alm', `select alm/${init}: τ ∈ {${tauGrid.join(', ')}} × ${spec.selection.repeats} seed(s), one batch`, 0, true);
      const grid = await almSelection(spec, valProblem, tauGrid, (s) => prepareRun(config(init, spec.seed + SELECTION_SEED_OFFSET + s), loaded).initial,
        newBackend, signal, (f) => progress('select', 'select:alm', `select alm/${init}`, f));
      if (grid === null) {
        stopped = true;
        break;
      }
      tried = grid;
      selectUnitsDone += tauGrid.length * spec.selection.repeats;
    }
    const baseline = method as BaselineMethod;
    for (const cand of method === 'alm' ? [] : candidates(spec, baseline)) {
      const valErrs: (number | null)[] = [];
      for (let s = 0; s < spec.selection.repeats; s++) {
        const label = `select ${method}/${init} lr=${cand.lr}${cand.clip !== undefined ? ` clip=${cand.clip}` : ''} seed ${s + 1}/${spec.selection.repeats}`;
        progress('select', `select:${method}`, label, 0, true);
        const initial = prepareRun(config(init, spec.seed + SELECTION_SEED_OFFSET + s), loaded).initial;
        const u0 = performance.now();
        const res = await trainBaseline({
          ...baselineOptions(spec, valProblem, baseline, { lr: cand.lr!, clip: cand.clip }, initial, spec.seed + SELECTION_SEED_OFFSET + s),
          signal,
          onEpoch: (e) => progress('select', `select:${method}`, label, e.epoch / spec.baseline.epochs),
        });
        if (res.stopped === 'aborted') {
          stopped = true;
          break;
        }
        eta.record(`select:${method}`, (performance.now() - u0) / 1000);
        selectUnitsDone++;
        valErrs.push(finiteOrNull(res.history[res.history.length - 1].testErr));
      }
      if (stopped) break;
      tried.push({ ...cand, valErrs, valErr: valErrs.includes(null) ? null : mean(valErrs as number[]) });
    }
    if (stopped) break;
    const best = pickBest(tried);
    const record: SelectionRecord = {
      key: selectionKey(method, init), method, init,
      ...(best.lr !== undefined ? { lr: best.lr } : {}), ...(best.clip !== undefined ? { clip: best.clip } : {}), ...(best.tau !== undefined ? { tau: best.tau } : {}),
      valErr: best.valErr, candidates: tried, seconds: (performance.now() - t0) / 1000,
    };
    results.selections.push(record);
    doneSelections.set(record.key, record);
    save();
    options.onSelectionDone?.(record, results.selections.length, results.selections.length + selectionPlan.length - ++selectionsDone);
  }

  // Phase 2: the runs.
  if (!stopped) {
    for (const { method, init, repeat } of runPlan) {
      const seed = spec.seed + repeat;
      const label = `${method} ${init} #${repeat + 1}`;
      progress('run', method, label, 0, true);
      const initial = prepareRun(config(init, seed), loaded).initial;
      const record = method === 'alm'
        ? await almRun(spec, problem, initial, doneSelections.get(selectionKey('alm', init))?.tau, newBackend, signal, (f) => progress('run', method, label, f))
        : await baselineRun(spec, problem, method, doneSelections.get(selectionKey(method, init))!, initial, seed, signal,
          (f) => progress('run', method, label, f));
      if (record === null) {
        stopped = true;
        break;
      }
      results.runs.push(orderRecord({ ...record, key: runKey(method, init, repeat), method, init, repeat, seed }));
      eta.record(method, record.seconds);
      runsDone++;
      save();
      options.onRunDone?.(results.runs[results.runs.length - 1], results.runs.length, results.runs.length + runPlan.length - runsDone);
    }
  }

  results.status = stopped ? 'stopped' : 'complete';
  save();
  const files = await writeReport(results, options.outDir);
  return { results, files, stopped };
}

/** Writes README.md (tables) and the SVG plots for results into dir; returns their paths. */
export async function writeReport(results: ExperimentResults, dir: string): Promise<ExperimentOutcome['files']> {
  const files: ExperimentOutcome['files'] = { results: join(dir, EXPERIMENT_FILES.results), report: join(dir, EXPERIMENT_FILES.report) };
  writeFileSync(files.report, renderReport(results, EXPERIMENT_FILES));
  const plots = await renderPlots(results);
  if (plots.fig1) {
    files.fig1 = join(dir, EXPERIMENT_FILES.fig1);
    writeFileSync(files.fig1, plots.fig1);
  }
  if (plots.fig2) {
    files.fig2 = join(dir, EXPERIMENT_FILES.fig2);
    writeFileSync(files.fig2, plots.fig2);
  }
  return files;
}


/** The grid of one baseline: learning rates, and for GDC every learning rate × clipping norm. */
export function candidates(spec: ExperimentSpec, method: BaselineMethod): { lr: number; clip?: number }[] {
  const { lrGrid, clipGrid } = spec.selection;
  return method === 'gdc' ? lrGrid.flatMap((lr) => clipGrid.map((clip) => ({ lr, clip }))) : lrGrid.map((lr) => ({ lr }));
}

/** The grid point with the lowest mean validation error (diverged ones last; ties go to the earlier point). */
export function pickBest(tried: SelectionCandidate[]): SelectionCandidate {
  let best = tried[0];
  for (const c of tried) {
    const a = c.valErr ?? Infinity;
    const b = best.valErr ?? Infinity;
    if (a < b) best = c;
  }
  return best;
}

function baselineOptions(
  spec: ExperimentSpec, problem: Problem, method: BaselineMethod, hyper: { lr: number; clip?: number },
  initial: RnnWeights, seed: number,
): BaselineOptions {
  const { r, series } = problem;
  const lambdas = spec.baseline.regularization === 'same' ? lambdasFor(spec.alm, r, series.n, series.m) : undefined;
  return {
    problem,
    method,
    lr: hyper.lr,
    ...(method === 'gdc' ? { clip: hyper.clip } : {}),
    ...(method === 'gdnm' ? { momentum: spec.baseline.momentum } : {}),
    ...(method === 'sgd' ? { batch: spec.baseline.sgdBatch } : {}),
    epochs: spec.baseline.epochs,
    ...(lambdas ? { lambdas: { A: lambdas.l1, W: lambdas.l2, V: lambdas.l3, b: lambdas.l4, c: lambdas.l5 } } : {}),
    initialWeights: initial,
    seed,
    testHidden: spec.testHidden,
  };
}

type PartialRecord = Omit<RunRecord, 'key' | 'method' | 'init' | 'repeat' | 'seed'>;

async function baselineRun(
  spec: ExperimentSpec, problem: Problem, method: BaselineMethod, selection: SelectionRecord, initial: RnnWeights,
  seed: number, signal: AbortSignal | undefined, onFraction: (f: number) => void,
): Promise<PartialRecord | null> {
  const hyper = { lr: selection.lr!, ...(selection.clip !== undefined ? { clip: selection.clip } : {}) };
  const res = await trainBaseline({
    ...baselineOptions(spec, problem, method, hyper, initial, seed),
    signal,
    onEpoch: (e) => onFraction(e.epoch / spec.baseline.epochs),
  });
  if (res.stopped === 'aborted') return null;
  const last = res.history[res.history.length - 1];
  const curve: CurvePoint[] = thinCurve(res.history, BASELINE_CURVE_POINTS).map((e) => ({
    step: e.epoch, seconds: sig(e.seconds, 4) ?? 0, trainErr: sig(e.trainErr, 5), testErr: sig(e.testErr, 5),
  }));
  return {
    ...hyper,
    trainErr: finiteOrNull(last.trainErr),
    testErr: finiteOrNull(last.testErr),
    seconds: last.seconds,
    iterations: last.epoch,
    stop: res.stopped,
    curve,
  };
}

/**
 * The ALM's selection for one initialisation: every τ of the grid from every selection seed,
 * fitted on the validation split's fit part as one batch, scored on its validation part; one
 * candidate per τ with the mean over seeds (null when any diverged or broke down). Null when stopped.
 */
async function almSelection(
  spec: ExperimentSpec, valProblem: Problem, taus: number[], initialFor: (seed: number) => RnnWeights,
  newBackend: () => Promise<BcdBackend>, signal: AbortSignal | undefined, onFraction: (f: number) => void,
): Promise<SelectionCandidate[] | null> {
  const seeds = Array.from({ length: spec.selection.repeats }, (_, s) => s);
  const trials = taus.flatMap((tau) => seeds.map((s) => ({ problem: valProblem, params: { ...spec.alm, tau }, initial: initialFor(s) })));
  const backend = await newBackend();
  let results;
  try {
    const { outer, inner } = spec.alm;
    results = await runAlmBatch(backend, trials, {
      signal,
      testHidden: spec.testHidden,
      onSweeps: (k, done) => onFraction(((k - 1) * inner + done) / (outer * inner)),
    });
  } finally {
    backend.dispose();
  }
  if (results.some((r) => r.stopReason === 'stopped')) return null;
  return taus.map((tau, j) => {
    const valErrs = seeds.map((s) => {
      const r = results[j * seeds.length + s];
      return r.stopReason === 'failed' ? null : finiteOrNull(evaluate(r.weights, valProblem, spec.testHidden).testErr);
    });
    return { tau, valErrs, valErr: valErrs.includes(null) ? null : mean(valErrs as number[]) };
  });
}

async function almRun(
  spec: ExperimentSpec, problem: Problem, initial: RnnWeights, tau: number | undefined, newBackend: () => Promise<BcdBackend>,
  signal: AbortSignal | undefined, onFraction: (f: number) => void,
): Promise<PartialRecord | null> {
  const backend = await newBackend();
  try {
    const { outer, inner } = spec.alm;
    const params = tau === undefined ? spec.alm : { ...spec.alm, tau };
    const res = await runAlm(backend, problem, params, initial, {
      signal,
      testHidden: spec.testHidden,
      onSweeps: (k, done) => onFraction(((k - 1) * inner + done) / (outer * inner)),
    });
    if (res.stopReason === 'stopped') return null;
    const start = evaluate(initial, problem, spec.testHidden);
    const curve: CurvePoint[] = [
      { step: 0, seconds: 0, trainErr: sig(start.trainErr, 5), testErr: sig(start.testErr, 5) },
      ...res.history.map((it) => ({
        step: it.k, seconds: sig(it.seconds, 4) ?? 0, trainErr: sig(it.trainErr, 5), testErr: sig(it.testErr, 5),
        feasVio: sig(it.feasVio, 4) ?? 0, gamma: sig(it.gamma, 4) ?? 0,
      })),
    ];
    return {
      ...(tau !== undefined ? { tau } : {}),
      trainErr: finiteOrNull(res.trainErr),
      testErr: finiteOrNull(res.testErr),
      seconds: res.seconds,
      iterations: res.outerIterations,
      sweeps: res.sweeps,
      feasVio: res.feasVio,
      stop: res.stopReason,
      curve,
    };
  } finally {
    backend.dispose();
  }
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

  record(kind: string, seconds: number): void {
    const s = this.sums.get(kind) ?? { total: 0, count: 0 };
    s.total += seconds;
    s.count++;
    this.sums.set(kind, s);
  }

  mean(kind: string): number | undefined {
    const s = this.sums.get(kind);
    return s ? s.total / s.count : undefined;
  }

  /** Sum of mean durations over the remaining units; null if a kind has not been timed yet. */
  estimate(kinds: string[]): number | null {
    let total = 0;
    for (const k of kinds) {
      const m = this.mean(k);
      if (m === undefined) return null;
      total += m;
    }
    return total;
  }
}
