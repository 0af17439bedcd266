// `alm-rnn experiment`: the paper's comparison (Table 3, Figures 1–2) on one data set — ALM
// and the gradient baselines from every initialisation, repeated with different seeds — with
// a progress bar, results saved after every run, Ctrl-C keeping what finished, and --resume.
import { existsSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import {
  BACKEND_NAMES, excerpt, INITIALIZERS, MAX_WORKERS, parseActivation, UserInputError, type BackendName, type Initializer,
} from '../index.node.ts';
import { DATASET_NAMES, isDatasetName } from '../datasets.ts';
import {
  ALM_BATCH_CHECKPOINT, almVerdict, BASELINE_LOSSES, describeShard, EXPERIMENT_FILES, EXPERIMENT_METHODS, INIT_LABELS, mergeShards, METHOD_LABELS,
  parseShard, prepareExperiment, readResults, runExperiment, shardFromEnvironment, writeReport, writeResults,
  type ExperimentInput, type ExperimentMethod, type ExperimentProgress, type ExperimentSpec, type Shard,
} from '../experiments.ts';
import { createCliBackend } from './backend-flags.ts';
import { choiceFlag, integerFlag, listFlag, numberFlag, parseCommandLine, stringFlag, type OptionSpec } from './args.ts';
import { checkPaths, type ReadPath, type WritePath } from './output-paths.ts';
import { readEarlyStopFlags } from './early-stop-flags.ts';
import { formatSeconds } from './progress.ts';
import { againHint, listenForStop } from './signals.ts';

const OPTIONS: OptionSpec = {
  dataset: { type: 'string' }, methods: { type: 'string' }, inits: { type: 'string' }, repeats: { type: 'string' },
  out: { type: 'string' }, resume: { type: 'string' }, quick: { type: 'boolean' },
  seed: { type: 'string' }, 'data-seed': { type: 'string' },
  outer: { type: 'string' }, inner: { type: 'string' }, tau: { type: 'string' },
  epochs: { type: 'string' }, 'sgd-batch': { type: 'string' }, momentum: { type: 'string' }, 'baseline-reg': { type: 'string' },
  'lr-grid': { type: 'string' }, 'alm-grid': { type: 'string' }, 'clip-grid': { type: 'string' }, 'select-repeats': { type: 'string' }, 'validation-steps': { type: 'string' },
  targets: { type: 'string' }, hidden: { type: 'string' }, activation: { type: 'string' },
  standardize: { type: 'string' }, 'test-hidden': { type: 'string' },
  'baseline-loss': { type: 'string' }, threads: { type: 'string' },
  backend: { type: 'string' }, shard: { type: 'string' }, 'shard-count': { type: 'string' }, force: { type: 'boolean' },
  'early-stop': { type: 'string' }, patience: { type: 'string' }, 'min-delta': { type: 'string' }, 'warmup-evals': { type: 'string' },
  restore: { type: 'string' }, 'evaluate-every': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

/** Flags that may accompany --resume; everything else comes from the stored results. */
const RESUME_FLAGS = new Set(['resume', 'repeats', 'backend', 'threads', 'shard', 'shard-count', 'force']);

const HELP = `usage: alm-rnn experiment --dataset NAME --out DIR [options]
       alm-rnn experiment --resume DIR [--repeats N] [--backend B]
       alm-rnn experiment merge OUT DIR...

Compares the ALM with the gradient baselines as in the paper's Table 3: every method from every
initialisation, repeated with different seeds. The baselines' learning rate (and GDC's clipping
norm) and the ALM's τ are first chosen per method × initialisation on a validation split of the training part:
fit on the training part without its last V steps, score the mean squared error on those V steps
(V = a tenth of the training part by default), mean over --select-repeats seeds. The test part is
never used for the choice.

Writes DIR/${EXPERIMENT_FILES.results} (every run; rewritten after each), DIR/${EXPERIMENT_FILES.report} (Table 3,
best initialisation per method, selected hyperparameters), DIR/${EXPERIMENT_FILES.fig1} (Figure 1) and
DIR/${EXPERIMENT_FILES.fig2} (Figure 2; the figures need the optional packages vega and vega-lite,
and are skipped with a note without them). Ctrl-C, SIGTERM or SIGHUP stops after the run in flight's
next check and keeps the finished runs (exit code 128 + the signal's number); --resume DIR continues.

what to run
  --dataset NAME|FILE.csv   ${DATASET_NAMES.join(', ')}, or a CSV file
  --methods LIST            ${EXPERIMENT_METHODS.join(',')} (default: all); alm+gd is
                            the ALM's end point polished by GD on the ALM's objective (its λ terms),
                            the learning rate chosen on validation
  --inits LIST              ${INITIALIZERS.join(',')} (default: all)
  --repeats N               repeats per method × initialisation (default 10; quick 2)
  --quick                   the quick preset: small caps, grids and repeats (seconds, for CI)
  --seed N                  repeat j uses seed N+j for its initial weights (default 1)
  --data-seed N             seed of the synthetic data, fixed across repeats (default 1)

the paper's settings (defaults per data set; see src/experiments/README.md)
  --outer N --inner N       ALM caps (synthetic-small 50×10, sp500 200×500, synthetic-large 100×500)
  --tau τ                   ALM regularisation scale (default: the data set's)
  --epochs N                baseline epochs (500, 5000, 1000)
  --sgd-batch N             SGD window (2, 50, 100)
  --momentum μ              GDNM momentum (default 0.9)
  --baseline-reg none|same  baselines without regularisation (default, as Keras) or with the ALM's λ1…λ5
  --baseline-loss sum|keras-mse
                            the baselines' data term: the squared error summed over the m outputs
                            (default: the ALM's TrainErr) or Keras' "mse", averaged over them too
                            (our loss / m: GD's learning rate in effect / m); errors are reported in
                            TrainErr's units either way
  --lr-grid LIST            default 1e-4,1e-3,1e-2,1e-1,1
  --clip-grid LIST          default 0.5,1,1.5,2,3,4,5,6
  --alm-grid LIST|none      the ALM's τ grid as multiples of the data set's τ, chosen per
                            initialisation on the same validation split (default 0.1,0.3,1,3,10);
                            none: the paper's fixed τ, a faithful reproduction
  --select-repeats N        seeds per grid point (default 3; quick 1)
  --validation-steps V      length of the validation part (default: a tenth of the training part)

early stopping (docs/method.md §5.5)
  --early-stop validation   train every method only as long as it helps on the validation part:
                            each selection fit is scored on it as it trains (the ALM after every
                            outer iteration, the baselines every E epochs) and stops by the rule
                            below, a grid point scored by its best validation error; each run
                            trains on the fit part the same way, then again on the whole training
                            part for exactly k*, the count with the lowest validation error (ALM +
                            GD: the ALM so, then its polish so). The report gives k* per cell
  --patience N              evaluations after the warm-up without an improvement that stop a run
                            (default: a tenth of the evaluations the method's cap allows)
  --min-delta D             the relative improvement that counts, in [0,1) (default 1e-6)
  --warmup-evals W          evaluations not counted towards patience (default: a tenth of the
                            cap's), so that an early dip or rise does not decide alone
  --evaluate-every E        the baselines' scoring interval in epochs (default: epochs / 500)
  --restore best            keep each run's best iterate on the fit part instead of retraining

data and model
  --targets A,B  --hidden r  --activation relu|leaky:ω|elu
  --standardize whole|train|none   (default whole, as the paper)
  --test-hidden carry|reset        (default carry, as the paper)

running
  --out DIR                 output folder (must not hold an experiment already; use --resume);
                            a file there that the experiment writes (README.md, …) and that is
                            not an earlier experiment's is refused, unless --force
  --force                   replace such files (with merge too)
  --resume DIR              continue the experiment in DIR (may raise --repeats)
  --backend ${BACKEND_NAMES.join('|')}   where the ALM's sweeps run (default cpu: the baselines run on the CPU
                            too, so wall times compare like for like)
  --threads N               worker threads (default: one per core): the baselines' trainings run
                            one per thread, the ALM's runs as one batch over them (CPU); a run's
                            seconds are its own computation, what it takes alone on one core

shards (one experiment over several machines; see deploy/)
  --shard i/N               run only shard i of N (0-based): every N-th method × initialisation
                            cell, with its selection and all its repeats; without the flag the
                            shard comes from JOB_COMPLETION_INDEX (Kubernetes Indexed Job, with
                            --shard-count), SLURM_ARRAY_TASK_ID/COUNT or AWS_BATCH_JOB_ARRAY_INDEX/SIZE
  --shard-count N           the number of shards, where the job array does not say it
  merge [--force] OUT DIR...
                            combine complete shard folders into OUT: the results.json, Table 3
                            and figures of the unsharded run. Refuses a missing or foreign shard,
                            and a shard whose records are not exactly those it recorded on
                            completion (cells, counts, a sha256 of every selection and run):
                            a record missing, extra, duplicated or edited is named
`;

/** `alm-rnn experiment merge OUT DIR...`: combines complete shards into one experiment folder. */
async function runMerge(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [out, ...dirs] = positionals;
  if (out === undefined || dirs.length === 0) throw new UserInputError('usage: alm-rnn experiment merge OUT DIR... (the output folder, then every shard folder)');
  checkPaths({
    reads: dirs.map((dir) => ({ flag: 'merge DIR', path: join(dir, EXPERIMENT_FILES.results) })),
    writes: experimentWrites('merge OUT', out, false),
    folders: [{ flag: 'merge OUT', path: out }],
    force: values.force === true,
  });
  if (existsSync(join(out, EXPERIMENT_FILES.results))) throw new UserInputError(`${out} already holds an experiment: merge into another folder`);
  const merged = mergeShards(dirs);
  mkdirSync(out, { recursive: true });
  writeResults(join(out, EXPERIMENT_FILES.results), merged);
  const { files, figuresSkipped } = await writeReport(merged, out);
  const verdict = almVerdict(merged).filter((l) => l !== '');
  process.stdout.write(`merged ${dirs.length} shards: ${merged.selections.length} selections, ${merged.runs.length} runs in ${out}\n`
    + (verdict.length > 0 ? `${verdict[0]}\n` : '') + `report: ${files.report}\nresults: ${files.results}\n` + figureLines(files, figuresSkipped));
  return 0;
}

/** Runs the experiment command; returns the exit code (0 complete; stopped by a signal, 128 + its number). */
export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'merge') return runMerge(argv.slice(1));
  const { values } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const backendChoice: BackendName = choiceFlag(values, 'backend', BACKEND_NAMES) ?? 'cpu';
  let spec: ExperimentSpec;
  let outDir: string;
  let storedShard: Shard | undefined;
  const resumeDir = stringFlag(values, 'resume');
  if (resumeDir !== undefined) {
    const extra = Object.keys(values).filter((k) => values[k] !== undefined && !RESUME_FLAGS.has(k));
    if (extra.length > 0) {
      throw new UserInputError(`--${extra[0]} cannot be combined with --resume: the settings come from ${join(resumeDir, EXPERIMENT_FILES.results)} (only --repeats and --backend may be given)`);
    }
    const stored = readResults(join(resumeDir, EXPERIMENT_FILES.results));
    const repeats = integerFlag(values, 'repeats');
    if (repeats !== undefined && repeats < stored.spec.repeats) {
      throw new UserInputError(`--repeats ${repeats} is below the stored experiment's ${stored.spec.repeats}; it can only grow`);
    }
    spec = { ...stored.spec, repeats: repeats ?? stored.spec.repeats };
    storedShard = stored.shard && { index: stored.shard.index, count: stored.shard.count };
    outDir = resumeDir;
  } else {
    const dataset = stringFlag(values, 'dataset');
    if (dataset === undefined) throw new UserInputError('--dataset is required (or --resume DIR); see --help');
    const out = stringFlag(values, 'out');
    if (out === undefined) throw new UserInputError('--out DIR is required (or --resume DIR); see --help');
    const reads: ReadPath[] = isDatasetName(dataset) ? [] : [{ flag: '--dataset', path: dataset }];
    checkPaths({ reads, writes: experimentWrites('--out', out, true), folders: [{ flag: '--out', path: out }], force: values.force === true });
    if (existsSync(join(out, EXPERIMENT_FILES.results))) {
      throw new UserInputError(`${out} already holds an experiment: continue it with --resume ${out}, or choose another --out folder`);
    }
    spec = prepareExperiment(inputFromFlags(values, dataset)).spec;
    outDir = out;
  }

  let shard: Shard | undefined;
  const shardFlag = stringFlag(values, 'shard');
  const shardCount = integerFlag(values, 'shard-count');
  if (shardCount !== undefined && shardCount < 1) throw new UserInputError(`--shard-count must be ≥ 1, got ${shardCount}`);
  if (shardFlag !== undefined) shard = parseShard(shardFlag);
  else {
    const fromEnv = shardFromEnvironment(process.env, shardCount);
    if (fromEnv) {
      shard = fromEnv.shard;
      process.stderr.write(`shard ${shard.index}/${shard.count} from ${fromEnv.source}\n`);
    } else if (shardCount !== undefined) {
      throw new UserInputError('--shard-count needs a shard index: --shard i/N, or a job array\'s index variable');
    }
  }
  if (resumeDir !== undefined && shard !== undefined) {
    const stored = readResults(join(resumeDir, EXPERIMENT_FILES.results)).shard;
    if (!stored || stored.index !== shard.index || stored.count !== shard.count) {
      throw new UserInputError(`${resumeDir} holds ${stored ? `shard ${stored.index}/${stored.count}` : 'an unsharded experiment'}, not shard ${shard.index}/${shard.count}`);
    }
  }
  const threads = integerFlag(values, 'threads');
  if (threads !== undefined && !(threads >= 1 && threads <= MAX_WORKERS)) throw new UserInputError(`--threads must be an integer from 1 to ${MAX_WORKERS}, got ${threads}`);
  if (spec.methods.some((m) => m === 'alm' || m === 'alm+gd')) (await createCliBackend(backendChoice, threads)).backend.dispose(); // fail early if unavailable
  const bar = new ExperimentBar(process.stderr);
  // SIGINT, SIGTERM, SIGHUP alike (src/cli/signals.ts); results.json already holds every finished run.
  const stop = listenForStop({
    first: (name) => {
      bar.clear();
      process.stderr.write(`\n${name === 'SIGINT' ? '' : `${name}: `}stopping: the run in flight is dropped, finished runs are kept (${againHint(name)} to quit at once)…\n`);
    },
  });
  const log = (line: string): void => {
    bar.clear();
    process.stderr.write(`${line}\n`);
  };
  log(`experiment ${spec.dataset}: ${spec.methods.length} methods × ${spec.inits.length} initialisations × ${spec.repeats} repeats → ${outDir}`
    + (resumeDir !== undefined ? ' (resuming)' : ''));
  const running = shard ?? storedShard;
  if (running) log(describeShard(spec, running));
  let outcome;
  try {
    outcome = await runExperiment(spec, {
      outDir,
      resume: resumeDir !== undefined,
      signal: stop.signal,
      command: commandLine(argv),
      shard,
      createBackend: async () => (await createCliBackend(backendChoice, threads)).backend,
      threads,
      onProgress: (p) => bar.draw(p),
      onWarning: (text) => log(`warning: ${text}`),
      onSelectionDone: (s, done, total) => log(`[select ${done}/${total}] ${METHOD_LABELS[s.method]} ${INIT_LABELS[s.init]}: `
        + [s.tau !== undefined ? `τ ${s.tau}` : '', s.lr !== undefined ? `lr ${s.lr}` : '', s.clip !== undefined ? `clip ${s.clip}` : ''].filter(Boolean).join(', ')
        + ` (validation error ${s.valErr === null ? 'diverged' : s.valErr.toPrecision(4)}, ${formatSeconds(s.seconds)})`),
      onRunDone: (r, done, total) => log(`[run ${done}/${total}] ${METHOD_LABELS[r.method]} ${INIT_LABELS[r.init]} #${r.repeat + 1}: `
        + `TrainErr ${fmt(r.trainErr)} TestErr ${fmt(r.testErr)} (${r.earlyStop ? `k* ${r.earlyStop.k}${r.almEarlyStop ? ` after the ALM's ${r.almEarlyStop.k}` : ''}, ` : ''}`
        + `${formatSeconds(r.seconds)}${r.stop === 'diverged' ? ', diverged' : ''})`),
    });
  } finally {
    bar.clear();
  }
  const { results, files, stopped, figuresSkipped } = outcome;
  const verdict = almVerdict(results).filter((l) => l !== '');
  process.stdout.write(
    `${stopped ? 'stopped' : 'done'}: ${results.runs.length} runs in ${outDir}\n`
      + (verdict.length > 0 ? `${verdict[0]}\n` : '')
      + `report: ${files.report}\nresults: ${files.results}\n`
      + figureLines(files, figuresSkipped)
      + (stopped ? `continue with: alm-rnn experiment --resume ${outDir}\n` : ''),
  );
  return stop.finish(0);
}

/** The files an experiment (or a merge, without checkpoints) writes into its folder, for checkPaths. */
function experimentWrites(flag: string, dir: string, checkpoints: boolean): WritePath[] {
  const at = (name: string, kind: WritePath['kind']): WritePath => ({ flag, path: join(dir, name), kind, inFolder: true });
  return [
    at(EXPERIMENT_FILES.results, 'experiment-results'), at(EXPERIMENT_FILES.report, 'experiment-report'),
    at(EXPERIMENT_FILES.fig1, 'figure'), at(EXPERIMENT_FILES.fig2, 'figure'),
    ...(checkpoints ? Object.values(ALM_BATCH_CHECKPOINT).map((name) => at(name, 'checkpoint')) : []),
  ];
}

/** The summary's lines on the figures: their paths, or the one line saying why they were skipped. */
function figureLines(files: { fig1?: string; fig2?: string }, figuresSkipped: string | undefined): string {
  if (figuresSkipped !== undefined) return `${figuresSkipped}\n`;
  return (files.fig1 ? `figure 1: ${files.fig1}\n` : '') + (files.fig2 ? `figure 2: ${files.fig2}\n` : '');
}

function inputFromFlags(values: Record<string, string | boolean | undefined>, dataset: string): ExperimentInput {
  const activation = stringFlag(values, 'activation');
  if (activation !== undefined) parseActivation(activation);
  return {
    dataset,
    preset: values.quick ? 'quick' : 'paper',
    methods: choiceList(values, 'methods', EXPERIMENT_METHODS) as ExperimentMethod[] | undefined,
    inits: choiceList(values, 'inits', INITIALIZERS) as Initializer[] | undefined,
    repeats: integerFlag(values, 'repeats'),
    seed: integerFlag(values, 'seed'),
    dataSeed: integerFlag(values, 'data-seed'),
    outer: integerFlag(values, 'outer'),
    inner: integerFlag(values, 'inner'),
    tau: numberFlag(values, 'tau'),
    epochs: integerFlag(values, 'epochs'),
    sgdBatch: integerFlag(values, 'sgd-batch'),
    momentum: numberFlag(values, 'momentum'),
    baselineRegularization: choiceFlag(values, 'baseline-reg', ['none', 'same'] as const),
    baselineLoss: choiceFlag(values, 'baseline-loss', BASELINE_LOSSES),
    lrGrid: numberList(values, 'lr-grid'),
    clipGrid: numberList(values, 'clip-grid'),
    almGrid: stringFlag(values, 'alm-grid') === 'none' ? 'none' : numberList(values, 'alm-grid'),
    selectRepeats: integerFlag(values, 'select-repeats'),
    validationSteps: integerFlag(values, 'validation-steps'),
    ...earlyStopFromFlags(values),
    targets: listFlag(values, 'targets'),
    hidden: integerFlag(values, 'hidden'),
    activation,
    standardize: choiceFlag(values, 'standardize', ['whole', 'train', 'none'] as const),
    testHidden: choiceFlag(values, 'test-hidden', ['carry', 'reset'] as const),
  };
}

/** --early-stop and its settings as the spec's input (none without it: its settings are then refused). */
function earlyStopFromFlags(values: Record<string, string | boolean | undefined>): Pick<ExperimentInput, 'earlyStop'> {
  const flags = readEarlyStopFlags(values);
  const patience = integerFlag(values, 'patience');
  if (flags === undefined) {
    if (patience !== undefined) throw new UserInputError('--patience is a setting of early stopping: it needs --early-stop validation');
    return {};
  }
  if (patience !== undefined && patience < 1) throw new UserInputError(`--patience must be ≥ 1 evaluations, got ${values.patience}`);
  const { restore, minDelta, warmupEvals, every } = flags;
  const given = { patience, restore, minDelta, warmupEvals, every };
  return { earlyStop: Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
}

function choiceList(values: Record<string, string | boolean | undefined>, name: string, choices: readonly string[]): string[] | undefined {
  const list = listFlag(values, name);
  if (list === undefined) return undefined;
  if (list.length === 0) throw new UserInputError(`--${name} needs at least one of ${choices.join(', ')}`);
  for (const x of list) {
    if (!choices.includes(x)) throw new UserInputError(`--${name}: "${excerpt(x)}" is not one of ${choices.join(', ')}`);
  }
  return list;
}

function numberList(values: Record<string, string | boolean | undefined>, name: string): number[] | undefined {
  const list = listFlag(values, name);
  if (list === undefined) return undefined;
  return list.map((t) => {
    const v = Number(t);
    if (t === '' || !Number.isFinite(v) || v <= 0) throw new UserInputError(`--${name}: "${excerpt(t)}" is not a number > 0`);
    return v;
  });
}

/** Flags whose value is a path: the recorded command gives it relative to the working directory. */
const PATH_FLAGS = new Set(['--out', '--resume', '--dataset']);

/**
 * The command line as results.json and the report record it. An absolute path is recorded
 * relative to the working directory (the repository's root, for committed results), so that the
 * record names no folder of the machine it ran on.
 */
export function commandLine(argv: string[], cwd = process.cwd()): string {
  const words = argv.map((a, i) => {
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [undefined, undefined];
    if (flag !== undefined && PATH_FLAGS.has(flag) && isAbsolute(inline!)) return `${flag}=${relative(cwd, inline!) || '.'}`;
    if (i > 0 && PATH_FLAGS.has(argv[i - 1]) && isAbsolute(a)) return relative(cwd, a) || '.';
    return a;
  });
  return ['alm-rnn experiment', ...words.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' ');
}

function fmt(x: number | null): string {
  return x === null ? 'diverged' : x.toPrecision(4);
}

/** The progress bar over the experiment's units, redrawn in place on a terminal (nothing otherwise). */
class ExperimentBar {
  private shown = false;

  constructor(private readonly out: NodeJS.WriteStream) {}

  draw(p: ExperimentProgress): void {
    if (!this.out.isTTY) return;
    const width = 28;
    const overall = p.total > 0 ? Math.min(1, (p.done + p.inFlight * p.fraction) / p.total) : 1;
    const filled = Math.round(overall * width);
    const phase = p.phase === 'select' ? 'selection' : 'runs';
    const left = p.etaSeconds === null ? '?' : `~${formatSeconds(p.etaSeconds)}`;
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${phase} ${p.done}/${p.total}  ${p.label} ${Math.round(p.fraction * 100)}%  `
      + `${formatSeconds(p.elapsedSeconds)} elapsed, ${left} left`;
    const cols = this.out.columns ?? 120;
    this.out.write(`\r\x1b[2K${line.length > cols - 1 ? line.slice(0, cols - 1) : line}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) {
      this.out.write('\r\x1b[2K');
      this.shown = false;
    }
  }
}
