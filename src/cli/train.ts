// `alm-rnn train`: trains an Elman RNN with the ALM on a data set and reports progress, the
// final errors and (optionally) the model, the history and checkpoints. List-valued --seed,
// --init and --tau make a grid of trials (their product) that runs as one batch; one value
// per flag is a single run, reported as before.
import { mkdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  BACKEND_NAMES, checkMemory, CPU_KERNELS_CHOICES, createBackend, defaultValidationSteps, earlyStopSettings, estimateCpuMemory, INITIALIZERS, inspectRun,
  isSeed, lowestScore, MAX_HIDDEN, MAX_INNER, MAX_OUTER, MAX_SEED, MAX_TRIALS, MAX_WORKERS, OptionError, paramsFor, parseActivation, parseInitializer,
  runModel, showNativeGpuMessages, trainRuns, trialFileName, trialGrid, UserInputError,
  type AlmIteration, type AlmParams, type AlmSummary, type BcdBackend, type EarlyStopOutcome, type Initializer, type PreparedRun, type RunConfig,
  type RunInfo, type RunOutcome, type RunResumePoint, type RnnWeights, type TrainRunsOptions,
} from '../index.node.ts';
import { csvDatasetInfo, DATASET_NAMES, DATASETS, isCsvFileName, isDatasetName, prepareDataset, type LoadedDataset } from '../datasets.ts';
import { choiceFlag, integerFlag, listFlag, listValuesFlag, numberFlag, parseCommandLine, stringFlag, type OptionSpec } from './args.ts';
import { createCliBackend } from './backend-flags.ts';
import { readEarlyStopFlags, type EarlyStopFlags } from './early-stop-flags.ts';
import { checkPaths, isStdout, sameFile, saveOutput, type ReadPath, type WritePath } from './output-paths.ts';
import { csvOptionsFromFlags, CSV_HELP, CSV_OPTIONS, describeColumns, hasCsvFlags } from './csv-flags.ts';
import { readCheckpointFile, writeCheckpointFile } from './checkpoint-files.ts';
import { readTextFile } from './files.ts';
import { readModelFile } from './read-model.ts';
import { BatchProgressPrinter, formatSeconds, PlainTicker, ProgressPrinter, silentStream } from './progress.ts';
import { againHint, listenForStop } from './signals.ts';
import { bestBy, bestTrial, drawnInit, gridSummary, selectionTable, trialTable, type InitLabel, type SelectionData } from './trial-report.ts';

const DEFAULT_DATASET = 'sp500';
/** N(0, 0.1²) weights: on sp500 the larger He/Glorot/LeCun scales leave the ALM stuck at TrainErr ≈ 0.04–0.05 (see README). */
const DEFAULT_INIT = 'normal-1e-1';

const OPTIONS: OptionSpec = {
  dataset: { type: 'string' }, targets: { type: 'string' }, hidden: { type: 'string' },
  activation: { type: 'string' }, init: { type: 'string' }, 'init-from': { type: 'string' }, seed: { type: 'string' },
  outer: { type: 'string' }, inner: { type: 'string' }, paper: { type: 'boolean' },
  tau: { type: 'string' }, gamma0: { type: 'string' }, mu: { type: 'string' }, Gamma: { type: 'string' },
  eta1: { type: 'string' }, eta2: { type: 'string' }, eta3: { type: 'string' }, eta4: { type: 'string' },
  eps0: { type: 'string' }, lambda6: { type: 'string' }, 'gamma-max': { type: 'string' }, 'feas-floor': { type: 'string' },
  'inner-stop': { type: 'string' }, 'check-every': { type: 'string' }, 'test-hidden': { type: 'string' },
  'train-fraction': { type: 'string' }, 'no-standardize': { type: 'boolean' }, standardize: { type: 'string' },
  backend: { type: 'string' }, out: { type: 'string' }, history: { type: 'string' }, json: { type: 'boolean' },
  checkpoint: { type: 'string' }, resume: { type: 'string' }, threads: { type: 'string' }, patience: { type: 'string' },
  select: { type: 'string' }, 'validation-steps': { type: 'string' }, 'early-stop': { type: 'string' }, 'min-delta': { type: 'string' },
  'warmup-evals': { type: 'string' }, restore: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...CSV_OPTIONS,
  'cpu-kernels': { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' }, verbose: { type: 'boolean' },
};

/** The "format" of the --history file, so that a rerun recognises it as its own (see checkPaths). */
const HISTORY_FORMAT = 'alm-rnn/history@1';

/**
 * Flags that say how and where a run goes, not what it is: free to change on --resume.
 * (--patience is part of early stopping's rule, and compared, when the checkpoint stops early.)
 */
const RESUME_FLAGS = new Set(['resume', 'outer', 'backend', 'out', 'history', 'json', 'checkpoint', 'threads', 'patience', 'cpu-kernels', 'force', 'quiet', 'verbose']);

const HELP = `usage: alm-rnn train [options]

Trains an Elman RNN with the augmented Lagrangian method (ALM + BCD).

data and model
  --dataset NAME|FILE.csv   ${DATASET_NAMES.join(', ')}, or a CSV file: .csv, .tsv, .txt (default ${DEFAULT_DATASET})
  --targets A,B             target columns of a CSV (default: the last column); the rest are inputs
  --train-fraction F        share of steps used for training, in (0,1) (default 0.9)
  --standardize whole|train|none  statistics over the whole series (paper), the training part
                            only, or none (the data as given)
  --no-standardize          the same as --standardize none
${CSV_HELP}  --hidden r                hidden units, at most ${MAX_HIDDEN} (default: the data set's, e.g. 20 for sp500)
  --activation A            relu (default), leaky:ω with 0<ω<1, or elu
  --init NAME[,NAME…]       ${INITIALIZERS.join(', ')} (default normal-1e-1)
  --init-from model.json    start from a saved model instead (then the seed only draws
                            synthetic data: a seed list needs a synthetic data set)
  --seed N[,N…|A-B]         seed for synthetic data and initial weights: integers from 0 to
                            ${MAX_SEED} (default 1)
  --test-hidden carry|reset TestErr with the hidden state carried from training (paper) or reset to 0

method (defaults: the paper's Table 2 for the data set)
  --outer N  --inner N      outer iterations and sweeps per iteration (quick caps by default;
                            at most ${MAX_OUTER} and ${MAX_INNER})
  --paper                   use the paper's caps (synthetic-small 50×10, sp500 200×500, synthetic-large 100×500)
  --tau τ[,τ…]              regularisation scale > 0: λ1=τ/(rm), λ2=τ/r², λ3=τ/(rn), λ4=τ/r, λ5=τ/m
  --gamma0 --mu --Gamma --eps0 --lambda6
  --eta1 --eta2 --eta4      in (0,1)
  --eta3 E                  exponent of the penalty rule itself (1.01; 1.015 for synthetic-large)
  --gamma-max G             cap on γ (the authors' code uses 1e4; default none)
  --feas-floor F            violation treated as 0, γ held there (default 1e-10; on WebGPU
                            at least 4 f32 roundings of ||u||, its rounding floor)
  --inner-stop cap|certificate   stop sweeps at the cap (paper's runs) or when the ∂L certificate ≤ ε
  --check-every N           sweeps between read-backs of the stopping test (default 10)
  --patience N              stop a run when neither FeasVio nor TrainErr improved (by 1e-6
                            relative) over N outer iterations (default: off, the paper's caps);
                            with --early-stop it counts validation evaluations instead (below)

early stopping (docs/method.md §5.5)
  --early-stop validation   choose how long to train on a validation split: fit on the training
                            part minus its last V steps, score the mean squared error on those V
                            steps after every outer iteration (the test part is never used), and
                            stop by the rule below; k*, the outer iteration with the lowest
                            validation error, is then a hyperparameter like τ: the model is
                            retrained on the whole training part for exactly k* outer iterations
  --validation-steps V      the V of --early-stop and --select (default: a tenth of the training part)
  --patience N              evaluations after the warm-up without an improvement that stop the
                            run (default: a tenth of --outer, at least 1)
  --min-delta D             the relative improvement of the best validation error that counts,
                            in [0,1) (default 1e-6, the tolerance of the FeasVio/TrainErr patience)
  --warmup-evals W          evaluations scored but not counted towards patience (default: a tenth
                            of --outer): an early dip or rise of the validation error (sp500's
                            Adam and GD show both) must not decide alone
  --restore best            keep the best iterate of the run on the fit part instead of
                            retraining (Keras' restore_best_weights; default: retrain for k*)

trials
  A list of seeds, initialisations or τ values makes a grid of trials (their product), run
  together as one batch: in every GPU dispatch, or over the CPU's threads. Each trial is
  computed exactly as it would be alone. Example: --seed 1-4 --init he,lecun (8 trials);
  at most ${MAX_TRIALS} trials. The table marks the best trial ★: the lowest TrainErr (the
  test part chooses nothing).
  --threads N               CPU worker threads (default: one per core; at most ${MAX_WORKERS})
  --select validation       choose one trial on a validation split: every trial is trained on
                            the training part minus its last V steps and scored by the mean
                            squared error on those V steps (the test part is never used); the
                            chosen setting is then retrained on the whole training part, and
                            --out writes that model (the experiments' protocol); V is
                            --validation-steps (above); with --early-stop a trial's score is its
                            best validation error, and the chosen one is retrained for its k*

running and output
  --backend ${BACKEND_NAMES.join('|')}   where the sweeps run (default auto)
  --cpu-kernels wasm|js     the CPU backend's kernels: WebAssembly SIMD (default) or plain TypeScript
  --out model.json|DIR/|-   write the trained model (also when stopped: see signals below); a folder
                            (DIR/) holds one model file per trial, named by its settings
                            (he_tau1_seed3.json); - writes it to standard output (progress
                            then goes to standard error)
  --history run.json|-      write the per-iteration history
  --checkpoint state.json   write the whole ALM state after every outer iteration (atomically)
  --resume state.json       continue a checkpointed run (bit-identical to an unbroken run)
  --json                    print the final summary as one JSON object on stdout (progress to stderr)
  --force                   replace an existing file that is not an earlier output of the same
                            kind (a model for --out, a history for --history, …); without it
                            such a file is refused. No two paths may name the same file, and a
                            device or FIFO (e.g. /dev/null) is written in place, never replaced

  -q, --quiet               print only the final line (the errors; for a grid its best trial),
                            or with --json only the JSON; problems still go to stderr
  --verbose                 show the GPU driver's own messages when WebGPU is unavailable

signals
  Ctrl-C (SIGINT), SIGTERM (docker stop, Kubernetes, Slurm) and SIGHUP stop the run alike: the
  first ends the batch of sweeps in flight and writes --out, --history and --checkpoint (with
  --early-stop, while it fits: --out is the best iterate so far, the lowest validation error); a
  second writes --out from the last completed outer iteration at once. The exit code is 128 + the
  signal's number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP).
`;

/** One trial of the command's grid: its run description, and its checkpoint when resuming. */
interface GridTrial {
  config: RunConfig;
  /** Initial weights given by --init-from or the checkpoint (else drawn from config.init and seed). */
  initial?: RnnWeights;
  resume?: RunResumePoint;
}

/** Early stopping's settings as the runs' configs record them. */
type EarlyStopConfig = NonNullable<RunConfig['earlyStop']>;

/** Runs the train command; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const threads = integerFlag(values, 'threads');
  if (threads !== undefined && !(threads >= 1 && threads <= MAX_WORKERS)) throw new UserInputError(`--threads must be an integer from 1 to ${MAX_WORKERS}, got ${values.threads}`);
  const patience = integerFlag(values, 'patience');
  const earlyStopFlags = readEarlyStopFlags(values);
  if (patience !== undefined && patience < 1) {
    throw new UserInputError(`--patience must be ≥ 1 ${values['early-stop'] !== undefined ? 'evaluations' : 'outer iterations'}, got ${patience}`);
  }

  const resumePath = stringFlag(values, 'resume');
  const select = choiceFlag(values, 'select', ['none', 'validation'] as const) ?? 'none';
  const validationSteps = integerFlag(values, 'validation-steps');
  if (select === 'none' && earlyStopFlags === undefined && validationSteps !== undefined) throw new UserInputError('--validation-steps needs --select validation or --early-stop validation');
  if (select === 'validation' && (resumePath !== undefined || values.checkpoint !== undefined)) {
    throw new UserInputError('--select validation cannot be combined with --checkpoint or --resume yet: run the selection, then train the chosen setting with --checkpoint');
  }
  if (values.quiet && values.verbose) throw new UserInputError('--quiet and --verbose cannot be used together');
  let grid = resumePath !== undefined ? resumedGrid(values, resumePath, earlyStopFlags) : freshGrid(values);
  let B = grid.length;
  const json = values.json === true;
  const outPath = stringFlag(values, 'out');
  const historyPath = stringFlag(values, 'history');
  const checkpointPath = stringFlag(values, 'checkpoint') ?? resumePath;
  const outDir = outPath !== undefined && !isStdout(outPath) && (outPath.endsWith('/') || isFolder(outPath)) ? outPath : undefined;
  if (outPath !== undefined && outDir === undefined && B > 1 && select === 'none') {
    throw new UserInputError(`--out ${outPath}: with ${B} trials --out names a folder for one model file per trial (end it with /, e.g. --out ${outPath.replace(/\.json$/, '')}/)`);
  }
  const initFrom = resumePath === undefined ? stringFlag(values, 'init-from') : undefined;
  const initLabel: InitLabel = initFrom !== undefined ? () => `from ${basename(initFrom)}` : drawnInit;
  /** Where --out puts a trial's model: the file named, or a file named by its settings in the folder (by its weights' file with --init-from). */
  const initStem = initFrom !== undefined ? `from-${basename(initFrom, '.json')}` : undefined;
  const modelPath = (config: RunConfig): string => (outDir === undefined ? outPath! : join(outDir, `${trialFileName(config, initStem)}.json`));
  /** How the summary names written models: the folder for several, else the file. */
  const writtenTo = (paths: string[]): string => (paths.length > 1 ? outDir! : isStdout(paths[0]) ? 'standard output' : paths[0]);
  checkPaths(trainPaths(values, grid.map((t) => t.config), { outPath, outDir, modelPath, historyPath, checkpointPath, resumePath, json }));
  const quiet = values.quiet === true;
  // Standard output carries one thing: the summary of --json, or a model or history streamed there.
  const stdoutTaken = json || [outPath, historyPath].some((path) => path !== undefined && isStdout(path));
  const log = quiet ? silentStream() : stdoutTaken ? process.stderr : process.stdout;
  // What --quiet keeps: the final line (on stdout unless it is taken) and what went wrong with an output (stderr).
  const summaryOut = stdoutTaken ? process.stderr : process.stdout;
  const alert = quiet ? process.stderr : log;

  const datasets = new Map<string, LoadedDataset>();
  const loadFor = (config: RunConfig): LoadedDataset => {
    const key = JSON.stringify([config.dataset, config.seed, config.targets, config.trainFraction, config.standardize, config.csv]);
    let loaded = datasets.get(key);
    if (!loaded) {
      const settings = { dataset: config.dataset, seed: config.seed, targets: config.targets, trainFraction: config.trainFraction, standardize: config.standardize, csv: config.csv };
      loaded = isCsvFileName(config.dataset) ? prepareDataset(settings, { name: config.dataset, text: readTextFile(config.dataset) }) : prepareDataset(settings);
      datasets.set(key, loaded);
    }
    return loaded;
  };
  if (B > 1) {
    // Each trial holds its own working set (its initial weights are drawn next): refuse a batch that cannot fit first.
    const first = loadFor(grid[0].config);
    const shape = { T: first.T1, n: first.series.n, m: first.series.m, r: grid[0].config.hidden ?? first.defaults.r };
    const one = estimateCpuMemory(shape);
    checkMemory(shape, { bytes: B * one.bytes, largestArray: one.largestArray }, `${B} trials (run fewer trials at once)`);
  }
  const seedCount = distinct(grid.map((t) => t.config.seed)).length;
  if (initFrom !== undefined && seedCount > 1 && sameData(loadFor(grid[0].config), loadFor(grid[1].config))) {
    // The grid's innermost list is the seed: trials 0 and 1 differ in their seed alone.
    throw new UserInputError(`--seed lists ${seedCount} seeds, but with --init-from the seed only draws synthetic data, and ${grid[0].config.dataset} does not depend on it: the trials would be identical (give one seed)`);
  }
  const preparing = new PlainTicker(log);
  // Every trial checked and its initial weights drawn once, before any backend exists.
  let infos: RunInfo[] = grid.map((t, i) => {
    preparing.tick(() => `preparing ${B} trials: ${i} done…`);
    return inspectRun({ config: t.config, data: loadFor(t.config), initial: t.initial });
  });
  // Early stopping's settings: a checkpoint's own, or resolved from the flags (V and the rule's defaults need T1 and the cap).
  let earlyStop: EarlyStopConfig | undefined;
  if (grid[0].config.earlyStop) {
    earlyStop = grid[0].config.earlyStop;
  } else if (earlyStopFlags) {
    try {
      earlyStop = earlyStopSettings({ validationSteps, patience, ...earlyStopFlags }, infos[0].T1, grid[0].config.params.outer);
    } catch (err) {
      throw validationStepsFlagError(err);
    }
    const recorded = earlyStop;
    grid = grid.map((t) => ({ ...t, config: { ...t.config, earlyStop: recorded } }));
  }
  // Under early stopping --patience is the rule's; FeasVio and TrainErr's patience is off.
  const almPatience = earlyStop ? undefined : patience;
  grid.forEach((t, i) => {
    // An early-stopped run's checkpoint is of its run on the fit part: the training part less V steps.
    const T1 = infos[i].T1 - (earlyStop?.validationSteps ?? 0);
    if (t.resume && t.resume.state.h.length !== T1 * infos[i].r) {
      throw new UserInputError(`checkpoint ${resumePath} holds ${t.resume.state.h.length / infos[i].r} training steps${B > 1 ? ` for trial ${i}` : ''}, but the data set now gives ${T1}`);
    }
  });
  /** The runs trainRuns trains: the grid's trials on their data, from the weights drawn above (or a checkpoint's state). */
  const runsOf = (): PreparedRun[] => grid.map((t, i) => ({ config: t.config, data: loadFor(t.config), initial: infos[i].initial, resume: t.resume }));

  const cpuKernels = choiceFlag(values, 'cpu-kernels', CPU_KERNELS_CHOICES) ?? 'wasm';
  showNativeGpuMessages(values.verbose === true);
  const selected = await createCliBackend(choiceFlag(values, 'backend', BACKEND_NAMES) ?? 'auto', threads, cpuKernels);
  const { backend } = selected;
  const config0 = grid[0].config;
  const info0 = infos[0];
  const p = config0.params;
  const resumedAt = grid[0].resume?.loop.k;
  const csv0 = loadFor(config0).csv;
  const initially = B > 1 ? '' : initFrom !== undefined ? `, initial weights from ${initFrom}, seed ${config0.seed}` : `, init ${config0.init}, seed ${config0.seed}`;
  log.write(`${selected.line}\n${info0.description}${initially}\n${csv0 ? `${describeColumns(csv0)}\n` : ''}`);
  if (B > 1) log.write(`${gridSummary(grid.map((t) => t.config), initLabel)}\n`);
  log.write(`ALM: ${p.outer} outer × ${p.inner} inner (${p.innerStop}), γ0=${p.gamma0}, τ=${B > 1 ? distinct(grid.map((t) => t.config.params.tau)).join(',') : p.tau}, μ=${p.mu}, η=(${p.eta1}, ${fmt(p.eta2)}, ${p.eta3}, ${fmt(p.eta4)})${resumedAt !== undefined ? `, resuming after outer iteration ${resumedAt}` : ''}\n`);
  if (resumePath !== undefined && stringFlag(values, 'checkpoint') === undefined) log.write(`checkpoint: continuing to write ${resumePath}\n`);

  // The last completed outer iterate of every trial: what any way of stopping keeps.
  let lastWeights: RnnWeights[] = infos.map((t, i) => grid[i].resume?.state.weights ?? t.initial);
  let lastK = grid[0].resume?.loop.k ?? 0;
  /** Writes every trial's model (a fallback file where a write fails); returns the lines for the user about fallbacks. */
  const writeModels = (weights: RnnWeights[]): { paths: string[]; notes: string[] } => {
    if (outPath === undefined) return { paths: [], notes: [] };
    const paths = grid.map((t) => modelPath(t.config));
    const notes: string[] = [];
    paths.forEach((path, i) => {
      const text = JSON.stringify(runModel({ config: grid[i].config, data: loadFor(grid[i].config) }, weights[i])) + '\n';
      const note = saveOutput('out', path, text, 'model');
      if (note) notes.push(note);
    });
    return { paths, notes };
  };
  /** Keeps the last completed outer iterate when the run cannot end normally. */
  const saveLast = (why: string): void => {
    const { paths, notes } = writeModels(lastWeights);
    for (const note of notes) alert.write(`alm-rnn: ${note}\n`);
    if (paths.length > 0) alert.write(`model${paths.length > 1 ? 's' : ''} of outer iteration ${lastK} written to ${writtenTo(paths)} (${why})\n`);
  };

  // Created once every input is checked, so that a refused run leaves nothing behind.
  if (outDir !== undefined) createFolder(outDir);
  let progress: ProgressPrinter | BatchProgressPrinter = B === 1 ? new ProgressPrinter(log, p.outer, p.inner, almPatience) : new BatchProgressPrinter(log, p.outer, p.inner, B);
  // SIGINT, SIGTERM, SIGHUP (src/cli/signals.ts): the first ends the batch of sweeps in flight and
  // writes every output below; a second keeps the last completed iterate and quits at once.
  const stop = listenForStop({
    first: (name) => {
      progress.clearBar();
      alert.write(`\n${name === 'SIGINT' ? '' : `${name}: `}stopping after the current batch of sweeps (${againHint(name)} to quit at once)…\n`);
    },
    second: () => {
      progress.clearBar();
      log.write('\n');
      saveLast('quit at once');
    },
  });
  // In a pipe, no phase stays silent for long: the progress printer repeats where the run is.
  const heartbeat = setInterval(() => progress.heartbeat(), 1000);
  heartbeat.unref();
  /**
   * Ends the training phase, however it ended: the heartbeat and the bar stop and the backend is
   * released. The signal listener stays: a signal during the writes that follow sets the exit
   * code instead of killing them.
   */
  const endTraining = (): void => {
    clearInterval(heartbeat);
    progress.clearBar();
    backend.dispose();
  };

  // WebGPU compiles its kernels in the first load (tens of seconds on a software adapter): a phase of its own.
  let announceSetUp = backend.info.kind === 'webgpu';
  const startPhase = (): void => {
    if (announceSetUp) log.write(`setting up WebGPU: compiling the kernels and uploading ${B === 1 ? 'the problem' : `${B} problems`}…\n`);
    else progress.header();
  };
  const onLoaded = (seconds: number): void => {
    // A batch larger than the device holds is split into device batches: say so once.
    if (backend.notes) log.write(`${backend.notes}\n`);
    if (!announceSetUp) return;
    log.write(`WebGPU set-up took ${formatSeconds(seconds)}\n`);
    announceSetUp = false;
    progress.header();
  };

  let selection: SelectionData | undefined;
  /** With early stopping: each final model's k*, its validation error, where the fit stopped, which model was kept. */
  let outcomes: EarlyStopOutcome[] | undefined;
  const candidates = grid;
  let results: RunOutcome[];
  const onOuterIteration = (k: number, its: ReadonlyArray<AlmIteration | undefined>, weights: RnnWeights[]): void => {
    lastWeights = weights;
    lastK = k;
    if (progress instanceof ProgressPrinter) progress.iteration(its[0]!);
    else progress.iteration(k, its);
  };
  const control: TrainRunsOptions = { backend, signal: stop.signal, onLoaded, onSweeps: (k, done) => progress.sweeps(k, done) };
  const onCheckpoint = checkpointPath === undefined ? undefined : (json: string) => writeCheckpointFile(checkpointPath, json);
  if (earlyStop) {
    const es = earlyStop;
    const T1 = info0.T1, V = es.validationSteps;
    log.write(`early stopping: ${B === 1 ? 'fitted' : `${B} trials fitted`} on steps 1…${T1 - V} and scored after every outer iteration on steps ${T1 - V + 1}…${T1} of the training part (the test part is not used; while fitting, the TestErr column is this validation error); stops after ${es.patience} evaluation${es.patience === 1 ? '' : 's'} without a relative improvement of ${es.minDelta}, counted after a warm-up of ${es.warmupEvals}\n`);
    startPhase();
    // Between the run on the fit part and the retraining: the choice (with --select), and what comes next.
    const onFitted = (fits: RunOutcome[]): number[] => {
      progress.clearBar();
      const failure = fits[0].failure;
      if (B === 1 && failure) throw new UserInputError(failure);
      const fitOutcomes = fits.map((fit) => fit.earlyStop!);
      const fitted: SelectionData = { validationSteps: V, fits, chosen: lowestScore(fits.map((fit) => fit.valErr!)) };
      selection = fitted;
      const indices = select === 'validation' ? [fitted.chosen] : fits.map((_, i) => i);
      if (select === 'validation') {
        const c = fitted.chosen;
        log.write(selectionTable(candidates.map((t) => t.config), fitted, initLabel, fitOutcomes));
        grid = [grid[c]];
        infos = [infos[c]];
        lastWeights = [lastWeights[c]];
        B = 1;
        log.write(`chosen: trial ${c} (init ${initLabel(grid[0].config)}, τ ${grid[0].config.params.tau}, seed ${grid[0].config.seed})\n`);
      }
      const ks = indices.map((i) => fitOutcomes[i].k);
      if (stop.signal.aborted) {
        alert.write(`stopped while fitting: ${B === 1 ? 'the model is the iterate' : 'each model is its trial\'s iterate'} with the lowest validation error so far\n`);
      } else if (es.restore === 'retrain') {
        log.write(`retraining on the whole training part for k* = ${distinct(ks).join(', ')} outer iterations\n`);
        progress = B === 1 ? new ProgressPrinter(log, ks[0], p.inner) : new BatchProgressPrinter(log, Math.max(...ks), p.inner, B);
        progress.header();
      }
      return indices;
    };
    try {
      results = await trainRuns(runsOf(), { ...control, onOuterIteration, onCheckpoint, onFitted });
      outcomes = results.map((r) => r.earlyStop!);
    } catch (err) {
      progress.clearBar();
      saveLast('the run failed');
      // A checkpoint's split the data no longer allows is refused as the flag that sets it.
      throw validationStepsFlagError(err);
    } finally {
      endTraining();
    }
  } else {
    if (select === 'validation') {
      const T1 = info0.T1;
      const V = validationSteps ?? defaultValidationSteps(T1);
      log.write(`selection: ${B} trial${B === 1 ? '' : 's'} fitted on steps 1…${T1 - V} and scored on steps ${T1 - V + 1}…${T1} of the training part (the test part is not used); the chosen one is then retrained on all ${T1}\n`);
      startPhase();
      let fitted: SelectionData;
      try {
        const fits = await trainRuns(runsOf(), {
          ...control, validationSteps: V, patience: almPatience,
          onOuterIteration: (k, its) => {
            if (progress instanceof ProgressPrinter) progress.iteration(its[0]!);
            else progress.iteration(k, its);
          },
        });
        fitted = { validationSteps: V, fits, chosen: lowestScore(fits.map((fit) => fit.valErr!)) };
      } catch (err) {
        stop.dispose();
        endTraining();
        throw validationStepsFlagError(err);
      }
      selection = fitted;
      progress.clearBar();
      if (stop.signal.aborted) {
        endTraining();
        alert.write('stopped during the selection: no setting was chosen, nothing was written\n');
        return stop.finish(0);
      }
      log.write(selectionTable(candidates.map((t) => t.config), fitted, initLabel));
      const c = fitted.chosen;
      grid = [grid[c]];
      infos = [infos[c]];
      B = 1;
      lastWeights = [infos[0].initial];
      log.write(`retraining trial ${c} (init ${initLabel(grid[0].config)}, τ ${grid[0].config.params.tau}, seed ${grid[0].config.seed}) on the whole training part\n`);
      progress = new ProgressPrinter(log, p.outer, p.inner, almPatience);
      progress.header();
    } else {
      startPhase();
    }
    try {
      results = await trainRuns(runsOf(), { ...control, patience: almPatience, onOuterIteration, onCheckpoint });
    } catch (err) {
      progress.clearBar();
      saveLast('the run failed');
      throw err;
    } finally {
      endTraining();
    }
  }

  const { paths: written, notes: failedWrites } = writeModels(results.map((r) => r.weights));
  const failures = results.map((r, i) => ({ i, failure: r.failure })).filter((f) => f.failure !== undefined);
  if (failures.length === B) {
    // Every trial broke down (a single run, say): the run failed, its last completed iterate is kept.
    for (const note of failedWrites) log.write(`alm-rnn: ${note}\n`);
    if (written.length > 0 && failedWrites.length === 0) {
      log.write(`model${written.length > 1 ? 's' : ''} of outer iteration ${results[0].outerIterations} written to ${writtenTo(written)} (the run failed)\n`);
    }
    throw new UserInputError(failures[0].failure!);
  }
  /** With early stopping, a final model's outcome and its run on the fit part (whose history's TestErr is the validation error). */
  const fitRun = (i: number) => {
    if (!outcomes || !earlyStop) return {};
    return { earlyStop: { ...outcomes[i], validationSteps: earlyStop.validationSteps, fitHistory: results[i].fit!.history } };
  };
  if (historyPath !== undefined) {
    const body = B === 1
      ? { format: HISTORY_FORMAT, config: grid[0].config, backend: backend.info, history: results[0].history, ...fitRun(0) }
      : { format: HISTORY_FORMAT, backend: backend.info, trials: grid.map((t, i) => ({ ...trialSettings(t.config), config: t.config, history: results[i].history, ...fitRun(i) })) };
    const note = saveOutput('history', historyPath, JSON.stringify(body, jsonNumbers, 1) + '\n', 'history');
    if (note) failedWrites.push(note);
  }

  const shape = {
    backend: backend.info.description,
    dataset: config0.dataset,
    T: info0.T, T1: info0.T1, n: info0.n, m: info0.m, r: info0.r,
    activation: info0.activation,
  };
  const stopped = results.some((r) => r.stopReason === 'stopped');
  const files = (written.length > 0 && failedWrites.length === 0 ? `model${written.length > 1 ? 's' : ''} written to ${writtenTo(written)}\n` : '')
    + (historyPath && failedWrites.length === 0 ? `history written to ${historyPath}\n` : '') + (checkpointPath ? `checkpoint in ${checkpointPath}\n` : '');
  if (B === 1) {
    const result = results[0];
    const stopNote = STOP_NOTES[result.stopReason].replace('N', String(earlyStop?.patience ?? patience));
    const errors = `TrainErr ${result.trainErr.toPrecision(6)}  TestErr ${result.testErr.toPrecision(6)}  FeasVio ${result.feasVio.toExponential(3)}  γ ${result.gamma.toPrecision(4)}`;
    const earlyNote = outcomes ? `${earlyStopLine(outcomes[0], config0.params.outer, outcomes[0].restore !== earlyStop!.restore, result)}\n` : '';
    log.write(`done: ${result.outerIterations} outer iterations, ${result.sweeps} sweeps in ${formatSeconds(result.seconds)}${stopNote}\n${earlyNote}${errors}\n${files}`);
    if (quiet && !json) summaryOut.write(`${errors}\n`);
    const chosen = select === 'validation' && selection && {
      selected: { trial: selection.chosen, ...trialSettings(grid[0].config), valErr: selection.fits[selection.chosen].valErr },
      validationSteps: selection.validationSteps,
      trials: candidates.map((t, i) => ({
        trial: i, ...trialSettings(t.config), valErr: selection!.fits[i].valErr,
        fitTrainErr: selection!.fits[i].trainErr, fitFeasVio: selection!.fits[i].feasVio, stopReason: selection!.fits[i].stopReason,
        ...(earlyStop ? { earlyStop: selection!.fits[i].earlyStop } : {}),
      })),
    };
    const earlyJson = outcomes ? { earlyStop: outcomes[0] } : {};
    if (json) process.stdout.write(JSON.stringify({ ...summaryOf(result), ...earlyJson, ...shape, ...chosen }, jsonNumbers) + '\n');
  } else {
    const seconds = Math.max(...results.map((r) => r.seconds));
    const sweeps = results.reduce((s, r) => s + r.sweeps, 0);
    const early = results.filter((r) => r.stopReason === 'no-progress').length;
    const validated = outcomes ? outcomes.filter((o) => o.stoppedAt < p.outer).length : 0;
    log.write(`done: ${B} trials, ${sweeps} trial-sweeps in ${formatSeconds(seconds)}${stopped ? ' (stopped by the user)' : ''}${early ? `; ${early} stopped early, no progress in ${patience} outer iterations` : ''}`
      + `${outcomes ? `; early stopping: ${validated} stopped before the cap on validation, ${outcomes[0].restore === 'retrain' ? 'each retrained for its k*' : 'each model its best iterate'}` : ''}\n`);
    log.write(trialTable(grid.map((t) => t.config), results, initLabel, outcomes) + files);
    const best = bestTrial(results, outcomes);
    if (quiet && !json && best !== undefined) {
      const r = results[best], c = grid[best].config;
      summaryOut.write(`best of ${B} trials (${bestBy(outcomes)}): trial ${best}, init ${initLabel(c)}, τ ${c.params.tau}, seed ${c.seed}: TrainErr ${r.trainErr.toPrecision(6)}  TestErr ${r.testErr.toPrecision(6)}  FeasVio ${r.feasVio.toExponential(3)}\n`);
    }
    for (const { i, failure } of failures) alert.write(`trial ${i} failed after ${results[i].outerIterations} outer iterations (its model is that iterate): ${failure!}\n`);
    if (json) {
      const trials = grid.map((t, i) => ({
        ...trialSettings(t.config), ...summaryOf(results[i]), ...(outcomes ? { earlyStop: outcomes[i] } : {}), ...(outDir ? { model: written[i] } : {}),
      }));
      process.stdout.write(JSON.stringify({ ...shape, trials }, jsonNumbers) + '\n');
    }
  }
  if (outPath === undefined) {
    log.write(`no model was saved: add ${B > 1 ? '--out DIR/ to keep one model file per trial' : '--out model.json to keep it'}\n`);
  }
  for (const note of failedWrites) console.error(`alm-rnn: ${note}`);
  const code = await stop.finish(0);
  return failedWrites.length > 0 ? 2 : code;
}

/** The scalars --json reports of a run, in the order it always has. */
function summaryOf(r: AlmSummary): AlmSummary {
  const { trainErr, testErr, feasVio, outerIterations, sweeps, seconds, stopReason, gamma } = r;
  return { trainErr, testErr, feasVio, outerIterations, sweeps, seconds, stopReason, gamma };
}

/** The API's refusal of the validation split (earlyStop.validationSteps, validationSteps), worded as the --validation-steps flag; any other error as it is. */
function validationStepsFlagError(err: unknown): unknown {
  if (err instanceof OptionError && /(^|\.)validationSteps$/.test(err.option)) {
    return new UserInputError(`--validation-steps = ${String(err.value)} is out of range: ${err.problem.replace(/^must be /, '')}`);
  }
  return err;
}

/** What the summary adds after "done: …" for each way a run ends (N: the patience). */
const STOP_NOTES: Record<AlmSummary['stopReason'], string> = {
  'outer-cap': '',
  stopped: ' (stopped by the user)',
  converged: ' (converged)',
  'no-progress': ' (stopped early: neither FeasVio nor TrainErr improved in N outer iterations, --patience)',
  'early-stop': ' (stopped early: the validation error did not improve in N evaluations after the warm-up, --early-stop)',
  failed: ' (failed: its linear algebra broke down; the model is the last completed iterate)',
};

/** The summary's line about early stopping: k*, its validation error, where the fit stopped, which model was kept. */
function earlyStopLine(o: EarlyStopOutcome, outer: number, stoppedByUser: boolean, final: AlmSummary): string {
  const valErr = Number.isFinite(o.valErr) ? o.valErr.toPrecision(6) : 'none finite';
  const where = stoppedByUser ? `the run on the fit part was stopped at outer iteration ${o.stoppedAt}`
    : o.stoppedAt < outer ? `the run on the fit part stopped at outer iteration ${o.stoppedAt}` : `the run on the fit part ran to its cap (${o.stoppedAt})`;
  const kept = o.restore === 'retrain'
    ? (final.stopReason === 'stopped' ? `the retraining was stopped after ${final.outerIterations} of its k* outer iterations: the model is that iterate` : 'the model is retrained for k* on the whole training part')
    : `the model is the iterate k* of the run on the fit part (${stoppedByUser ? 'stopped while fitting: no retraining' : '--restore best'})`;
  return `early stopping: k* = ${o.k} (validation error ${valErr}); ${where}; ${kept}`;
}

/** The grid of a fresh run: every combination of the listed initialisations, τ values and seeds. */
function freshGrid(values: Record<string, string | boolean | undefined>): GridTrial[] {
  const inits = initList(values) ?? [DEFAULT_INIT as Initializer];
  const seeds = seedList(values) ?? [1];
  const initFrom = stringFlag(values, 'init-from');
  if (initFrom !== undefined && inits.length > 1) throw new UserInputError('--init-from gives the initial weights: it cannot be combined with a list of --init values');
  const initial = initFrom !== undefined ? readModelFile(initFrom).weights : undefined;
  const base = configFromFlags(values);
  return trialGrid(base, { inits, taus: tauList(values) ?? [base.params.tau], seeds }).map((config) => ({ config, initial }));
}

function initList(values: Record<string, string | boolean | undefined>): Initializer[] | undefined {
  return listValuesFlag(values, 'init', parseInitializer);
}

function tauList(values: Record<string, string | boolean | undefined>): number[] | undefined {
  return listValuesFlag(values, 'tau', (s) => numberFlag({ tau: s }, 'tau')!);
}

/** The --seed list: integers from 0 to MAX_SEED, refused by the text given (a larger number is not even read exactly). */
function seedList(values: Record<string, string | boolean | undefined>): number[] | undefined {
  return listValuesFlag(values, 'seed', (text) => {
    const seed = integerFlag({ seed: text }, 'seed')!;
    if (!isSeed(seed)) throw new UserInputError(`--seed ${text} is out of range: a seed is an integer from 0 to ${MAX_SEED}`);
    return seed;
  }, { ranges: true });
}

/** The grid of a resumed run: the checkpoint's trials, checked against every flag given that describes them. */
function resumedGrid(values: Record<string, string | boolean | undefined>, resumePath: string, earlyStopFlags: EarlyStopFlags | undefined): GridTrial[] {
  const cp = readCheckpointFile(resumePath);
  // Early stopping's flags describe the run too (--patience then among them): each given must agree with the checkpoint's settings.
  const es = cp.trials[0].config.earlyStop;
  if (earlyStopFlags && !es) throw new UserInputError(`--resume ${resumePath}: --early-stop disagrees with the checkpoint: its run has no early stopping`);
  if (es) {
    const given: [string, number | string | undefined, number | string][] = [
      ['validation-steps', integerFlag(values, 'validation-steps'), es.validationSteps], ['patience', integerFlag(values, 'patience'), es.patience],
      ['min-delta', earlyStopFlags?.minDelta, es.minDelta], ['warmup-evals', earlyStopFlags?.warmupEvals, es.warmupEvals], ['restore', earlyStopFlags?.restore, es.restore],
    ];
    for (const [flag, value, have] of given) {
      if (value !== undefined && value !== have) throw new UserInputError(`--resume ${resumePath}: --${flag} disagrees with the checkpoint: the checkpoint has ${have}, the command line gives ${value}`);
    }
  }
  // Only what the command line gives is compared: a flag left out (and so its default) says nothing.
  const given = Object.keys(values).filter((k) => values[k] !== undefined && !RESUME_FLAGS.has(k));
  if (given.length > 0) {
    // The same command with --resume added: every flag given must agree with what the checkpoint holds.
    const have = cp.trials.map((t) => t.config);
    const asked = trialGrid(configFromFlags(values), {
      inits: initList(values) ?? distinct(have.map((c) => c.init)),
      taus: tauList(values) ?? distinct(have.map((c) => c.params.tau)),
      seeds: seedList(values) ?? distinct(have.map((c) => c.seed)),
    });
    if (asked.length !== cp.trials.length) {
      throw new UserInputError(`--resume ${resumePath}: the checkpoint holds ${cp.trials.length} trial${cp.trials.length === 1 ? '' : 's'}, the command line asks for ${asked.length} (check --seed, --init, --tau)`);
    }
    for (const flag of given) {
      for (const path of DESCRIBED_BY[flag] ?? []) {
        asked.forEach((c, i) => {
          const diff = firstDifference(fieldAt(have[i], path), fieldAt(c, path));
          if (diff) {
            throw new UserInputError(`--resume ${resumePath}: --${flag} disagrees with the checkpoint${cp.trials.length > 1 ? ` (trial ${i})` : ''}: the checkpoint has ${diff.have}, the command line gives ${diff.given}`);
          }
        });
      }
    }
  }
  const outer = integerFlag(values, 'outer');
  const k = cp.trials[0].loop.k;
  if (outer !== undefined && outer <= k) {
    throw new UserInputError(`--resume ${resumePath}: the checkpoint has completed ${k} outer iterations, so --outer ${outer} leaves nothing to run (give --outer above ${k})`);
  }
  return cp.trials.map((t) => ({
    config: outer === undefined ? t.config : { ...t.config, params: { ...t.config.params, outer } },
    initial: t.initial,
    resume: { loop: t.loop, state: t.state },
  }));
}

/**
 * The RunConfig fields each describing flag sets, compared on --resume. --init-from names
 * weights the checkpoint has replaced, and --select cannot be resumed: neither is compared.
 */
const DESCRIBED_BY: Record<string, string[]> = {
  dataset: ['dataset'], targets: ['targets'], hidden: ['hidden'], activation: ['activation'], init: ['init'], seed: ['seed'],
  tau: ['params.tau'], inner: ['params.inner'], paper: ['params.inner'], gamma0: ['params.gamma0'], mu: ['params.mu'], Gamma: ['params.Gamma'],
  eta1: ['params.eta1'], eta2: ['params.eta2'], eta3: ['params.eta3'], eta4: ['params.eta4'], eps0: ['params.eps0'], lambda6: ['params.lambda6'],
  'gamma-max': ['params.gammaMax'], 'feas-floor': ['params.feasFloor'], 'inner-stop': ['params.innerStop'], 'check-every': ['params.checkEvery'],
  'test-hidden': ['testHidden'], 'train-fraction': ['trainFraction'], standardize: ['standardize'], 'no-standardize': ['standardize'],
  delimiter: ['csv.delimiter'], missing: ['csv.missing'],
};

/** The value at a dotted path of a RunConfig ("params.tau"). */
function fieldAt(config: RunConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), config);
}

/** The first leaf where two JSON-like values differ, with its path (e.g. "params.tau"). */
function firstDifference(have: unknown, given: unknown, path = ''): { path: string; have: string; given: string } | null {
  const norm = (v: unknown) => JSON.parse(JSON.stringify(v ?? null, jsonNumbers)) as unknown;
  const a = norm(have), b = norm(given);
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (d) return d;
    }
    return null;
  }
  const sa = JSON.stringify(a), sb = JSON.stringify(b);
  return sa === sb ? null : { path, have: sa === 'null' ? 'the default' : sa, given: sb === 'null' ? 'the default' : sb };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Creates the --out folder (checked by checkPaths) when it is missing. */
function createFolder(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw new UserInputError(`--out ${path}: cannot create the folder (${(err as Error).message})`);
  }
}

/**
 * What a train command reads (a CSV data set, --init-from, --resume) and writes (every model
 * --out may write, --history, the checkpoint), for checkPaths. A resumed run that goes on
 * writing the checkpoint it resumed (no --checkpoint, or the same file) reads it as its own output.
 */
function trainPaths(
  values: Record<string, string | boolean | undefined>,
  configs: RunConfig[],
  o: { outPath?: string; outDir?: string; modelPath: (c: RunConfig) => string; historyPath?: string; checkpointPath?: string; resumePath?: string; json: boolean },
): Parameters<typeof checkPaths>[0] {
  const reads: ReadPath[] = distinct(configs.map((c) => c.dataset)).filter((d) => !isDatasetName(d)).map((path) => ({ flag: '--dataset', path }));
  const initFrom = stringFlag(values, 'init-from');
  if (initFrom !== undefined) reads.push({ flag: '--init-from', path: initFrom });
  const checkpointFlag = stringFlag(values, 'checkpoint');
  const continuesResumed = o.resumePath !== undefined && (checkpointFlag === undefined || sameFile(checkpointFlag, o.resumePath));
  if (o.resumePath !== undefined && !continuesResumed) reads.push({ flag: '--resume', path: o.resumePath });
  const writes: WritePath[] = [];
  if (o.outPath !== undefined) {
    const paths = distinct(configs.map(o.modelPath));
    for (const path of paths) writes.push({ flag: '--out', path, kind: 'model', streamable: o.outDir === undefined, inFolder: o.outDir !== undefined });
  }
  if (o.historyPath !== undefined) writes.push({ flag: '--history', path: o.historyPath, kind: 'history', streamable: true });
  if (o.checkpointPath !== undefined) writes.push({ flag: checkpointFlag !== undefined ? '--checkpoint' : '--resume', path: o.checkpointPath, kind: 'checkpoint' });
  return {
    reads, writes,
    folders: o.outDir !== undefined ? [{ flag: '--out', path: o.outDir }] : [],
    stdoutTakenBy: o.json ? '--json' : undefined,
    force: values.force === true,
  };
}

/** A trial's varying settings, as the summary and --json name them. */
function trialSettings(c: RunConfig): { seed: number; init: string; tau: number } {
  return { seed: c.seed, init: c.init, tau: c.params.tau };
}

function distinct<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Whether two loaded data sets hold the same series (e.g. a CSV file loaded under two seeds). */
function sameData(a: LoadedDataset, b: LoadedDataset): boolean {
  const same = (u: Float64Array, v: Float64Array) => u.length === v.length && u.every((x, i) => Object.is(x, v[i]));
  return a === b || (same(a.series.x, b.series.x) && same(a.series.y, b.series.y));
}

/** Builds the run description from flags, with the paper's presets for the data set underneath. */
function configFromFlags(values: Record<string, string | boolean | undefined>): RunConfig {
  const dataset = stringFlag(values, 'dataset') ?? DEFAULT_DATASET;
  const activation = stringFlag(values, 'activation') ?? 'relu';
  parseActivation(activation);
  if (values['no-standardize'] && values.standardize !== undefined) {
    throw new UserInputError('--no-standardize and --standardize cannot be used together');
  }
  const standardize = values['no-standardize'] ? 'none' : choiceFlag(values, 'standardize', ['whole', 'train', 'none'] as const) ?? 'whole';
  const overrides: Partial<AlmParams> = {
    outer: integerFlag(values, 'outer'), inner: integerFlag(values, 'inner'),
    gamma0: numberFlag(values, 'gamma0'), mu: numberFlag(values, 'mu'), Gamma: numberFlag(values, 'Gamma'),
    eta1: numberFlag(values, 'eta1'), eta2: numberFlag(values, 'eta2'), eta3: numberFlag(values, 'eta3'), eta4: numberFlag(values, 'eta4'),
    eps0: numberFlag(values, 'eps0'), lambda6: numberFlag(values, 'lambda6'),
    gammaMax: numberFlag(values, 'gamma-max'), feasFloor: numberFlag(values, 'feas-floor'),
    innerStop: choiceFlag(values, 'inner-stop', ['cap', 'certificate'] as const),
    checkEvery: integerFlag(values, 'check-every'),
  };
  // The grid's lists (--init, --seed, --tau) are expanded by freshGrid; this is their first value.
  const tau = tauList(values)?.[0] ?? tauFor(dataset);
  return {
    dataset,
    targets: listFlag(values, 'targets'),
    hidden: integerFlag(values, 'hidden'),
    activation,
    init: DEFAULT_INIT as Initializer,
    seed: 1,
    trainFraction: numberFlag(values, 'train-fraction'),
    standardize,
    ...(hasCsvFlags(values) ? { csv: csvOptionsFromFlags(values) } : {}),
    testHidden: choiceFlag(values, 'test-hidden', ['carry', 'reset'] as const) ?? 'carry',
    params: paramsFor(dataset, { tau, paperCaps: values.paper === true, overrides }),
  };
}

/** τ of a registered data set; a CSV file gets the generic default. */
function tauFor(dataset: string): number {
  return isDatasetName(dataset) ? DATASETS[dataset].tau : csvDatasetInfo(dataset).tau;
}

function fmt(v: number): string {
  return Number.isInteger(v * 1000) ? String(v) : v.toPrecision(4);
}

function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}
