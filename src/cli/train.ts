// `alm-rnn train`: trains an Elman RNN with the ALM on a data set and reports progress, the
// final errors and (optionally) the model, the history and checkpoints.
import { writeFileSync } from 'node:fs';
import { runAlm, summarizeResult, type AlmResult, type AlmTrial } from '../alm/alm.ts';
import { readCheckpointFile, writeCheckpointFile, writeFileAtomic } from '../alm/checkpoint-file.ts';
import { paramsFor, type AlmParams } from '../alm/params.ts';
import { describeRun, prepareRun, type RunConfig } from '../alm/setup.ts';
import { BACKEND_CHOICES, createBackend } from '../backends/select.ts';
import { CPU_KERNELS_CHOICES, setDefaultCpuKernels } from '../backends/cpu/kernels.ts';
import { UserInputError } from '../errors.ts';
import { formatActivation, parseActivation } from '../problem/activations.ts';
import { loadDatasetOrFile, readTextFile } from '../problem/csv-file.ts';
import { csvDatasetInfo, DATASET_NAMES, DATASETS, isDatasetName } from '../problem/datasets.ts';
import { INITIALIZERS, parseInitializer } from '../problem/init.ts';
import { modelFromJson, modelToJson } from '../problem/model-file.ts';
import type { RnnWeights } from '../problem/types.ts';
import { choiceFlag, integerFlag, listFlag, numberFlag, parseCommandLine, stringFlag, type OptionSpec } from './args.ts';
import { formatSeconds, ProgressPrinter } from './progress.ts';

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
  checkpoint: { type: 'string' }, resume: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  'cpu-kernels': { type: 'string' },
};

/** Flags that may accompany --resume: everything else comes from the checkpoint. */
const RESUME_FLAGS = new Set(['resume', 'outer', 'backend', 'out', 'history', 'json', 'checkpoint']);

const HELP = `usage: alm-rnn train [options]

Trains an Elman RNN with the augmented Lagrangian method (ALM + BCD).

data and model
  --dataset NAME|FILE.csv   ${DATASET_NAMES.join(', ')}, or a CSV file (default ${DEFAULT_DATASET})
  --targets A,B             target columns of a CSV (default: the last column); the rest are inputs
  --train-fraction F        share of steps used for training, in (0,1) (default 0.9)
  --standardize whole|train statistics over the whole series (paper) or the training part only
  --no-standardize          use the data as given
  --hidden r                hidden units (default: the data set's, e.g. 20 for sp500)
  --activation A            relu (default), leaky:ω with 0<ω<1, or elu
  --init NAME               ${INITIALIZERS.join(', ')} (default normal-1e-1)
  --init-from model.json    start from a saved model instead
  --seed N                  seed for synthetic data and initial weights (default 1)
  --test-hidden carry|reset TestErr with the hidden state carried from training (paper) or reset to 0

method (defaults: the paper's Table 2 for the data set)
  --outer N  --inner N      outer iterations and sweeps per iteration (quick caps by default)
  --paper                   use the paper's caps (synthetic-small 50×10, sp500 200×500, synthetic-large 100×500)
  --tau τ                   regularisation scale: λ1=τ/(rm), λ2=τ/r², λ3=τ/(rn), λ4=τ/r, λ5=τ/m
  --gamma0 --mu --Gamma --eps0 --lambda6
  --eta1 --eta2 --eta4      in (0,1)
  --eta3 E                  exponent of the penalty rule itself (1.01; 1.015 for synthetic-large)
  --gamma-max G             cap on γ (the authors' code uses 1e4; default none)
  --feas-floor F            violation treated as 0, γ held there (default 1e-10; on WebGPU
                            at least 4 f32 roundings of ||u||, its rounding floor)
  --inner-stop cap|certificate   stop sweeps at the cap (paper's runs) or when the ∂L certificate ≤ ε
  --check-every N           sweeps between read-backs of the stopping test (default 10)

running and output
  --backend ${BACKEND_CHOICES.join('|')}   where the sweeps run (default auto)
  --cpu-kernels wasm|js     the CPU backend's kernels: WebAssembly SIMD (default) or plain TypeScript
  --out model.json          write the trained model (also when stopped with Ctrl-C)
  --history run.json        write the per-iteration history
  --checkpoint state.json   write the whole ALM state after every outer iteration (atomically)
  --resume state.json       continue a checkpointed run (bit-identical to an unbroken run)
  --json                    print the final summary as one JSON object on stdout (progress to stderr)
`;

/** Runs the train command; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(argv, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }

  let config: RunConfig;
  let initial: RnnWeights | undefined;
  let resume: AlmTrial['resume'];
  const resumePath = stringFlag(values, 'resume');
  if (resumePath !== undefined) {
    const extra = Object.keys(values).filter((k) => values[k] !== undefined && !RESUME_FLAGS.has(k));
    if (extra.length > 0) {
      throw new UserInputError(`--${extra[0]} cannot be combined with --resume: the run's settings come from the checkpoint (only --outer, --backend, --out, --history, --checkpoint, --json may be given)`);
    }
    const cp = readCheckpointFile(resumePath);
    const outer = integerFlag(values, 'outer');
    config = outer === undefined ? cp.config : { ...cp.config, params: { ...cp.config.params, outer } };
    initial = cp.initial;
    resume = { loop: cp.loop, state: cp.state };
  } else {
    config = configFromFlags(values);
    const initFrom = stringFlag(values, 'init-from');
    if (initFrom !== undefined) initial = readModel(initFrom).weights;
  }

  const loaded = loadDatasetOrFile(config.dataset, {
    seed: config.seed, targets: config.targets, trainFraction: config.trainFraction, standardize: config.standardize,
  });
  const prepared = prepareRun(config, loaded, initial);
  const { problem } = prepared;
  if (resume && resume.state.h.length !== problem.T1 * problem.r) {
    throw new UserInputError(`checkpoint ${resumePath} holds ${resume.state.h.length / problem.r} training steps, but the data set now gives ${problem.T1}`);
  }

  const json = values.json === true;
  const log = json ? process.stderr : process.stdout;
  setDefaultCpuKernels(choiceFlag(values, 'cpu-kernels', CPU_KERNELS_CHOICES) ?? 'wasm');
  const selected = await createBackend(choiceFlag(values, 'backend', BACKEND_CHOICES) ?? 'auto');
  const { backend } = selected;
  log.write(`${selected.line}\n${describeRun(config, problem)}\n`);
  const p = config.params;
  log.write(`ALM: ${p.outer} outer × ${p.inner} inner (${p.innerStop}), γ0=${p.gamma0}, τ=${p.tau}, μ=${p.mu}, η=(${p.eta1}, ${fmt(p.eta2)}, ${p.eta3}, ${fmt(p.eta4)})${resume ? `, resuming after outer iteration ${resume.loop.k}` : ''}\n`);

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    progress.clearBar();
    log.write('\nstopping after the current batch of sweeps (Ctrl-C again to quit at once)…\n');
  };
  process.on('SIGINT', onSigint);

  const progress = new ProgressPrinter(log, p.outer, p.inner);
  progress.header();
  const checkpointPath = stringFlag(values, 'checkpoint') ?? resumePath;
  let result: AlmResult;
  try {
    result = await runAlm(backend, problem, p, prepared.initial, {
      resume,
      signal: controller.signal,
      testHidden: config.testHidden,
      onSweeps: (k, done) => progress.sweeps(k, done),
      onIteration: (it) => progress.iteration(it),
      onCheckpoint: checkpointPath === undefined ? undefined
        : ([loop], [state]) => writeCheckpointFile(checkpointPath, { config, initial: prepared.initial, loop, state }),
    });
  } finally {
    process.off('SIGINT', onSigint);
    progress.clearBar();
    backend.dispose();
  }

  const outPath = stringFlag(values, 'out');
  if (outPath !== undefined) {
    writeFileAtomic(outPath, JSON.stringify(modelToJson(result.weights, problem.activation, problem.standardization)) + '\n');
  }
  const historyPath = stringFlag(values, 'history');
  if (historyPath !== undefined) {
    writeFileSync(historyPath, JSON.stringify({ config, backend: backend.info, history: result.history }, jsonNumbers, 1) + '\n');
  }

  const summary = {
    ...summarizeResult(result),
    backend: backend.info.description,
    dataset: config.dataset,
    T: problem.series.T, T1: problem.T1, n: problem.series.n, m: problem.series.m, r: problem.r,
    activation: formatActivation(problem.activation),
  };
  const stopNote = result.stopReason === 'stopped' ? ' (stopped by the user)' : result.stopReason === 'converged' ? ' (converged)' : '';
  log.write(
    `done: ${result.outerIterations} outer iterations, ${result.sweeps} sweeps in ${formatSeconds(result.seconds)}${stopNote}\n` +
      `TrainErr ${result.trainErr.toPrecision(6)}  TestErr ${result.testErr.toPrecision(6)}  FeasVio ${result.feasVio.toExponential(3)}  γ ${result.loopState.gamma.toPrecision(4)}\n` +
      (outPath ? `model written to ${outPath}\n` : '') + (historyPath ? `history written to ${historyPath}\n` : '') +
      (checkpointPath ? `checkpoint in ${checkpointPath}\n` : ''),
  );
  if (json) process.stdout.write(JSON.stringify(summary, jsonNumbers) + '\n');
  return result.stopReason === 'stopped' ? 130 : 0;
}

/** Builds the run description from flags, with the paper's presets for the data set underneath. */
function configFromFlags(values: Record<string, string | boolean | undefined>): RunConfig {
  const dataset = stringFlag(values, 'dataset') ?? DEFAULT_DATASET;
  const activation = stringFlag(values, 'activation') ?? 'relu';
  parseActivation(activation);
  const init = parseInitializer(stringFlag(values, 'init') ?? DEFAULT_INIT);
  if (values['no-standardize'] && values.standardize !== undefined) {
    throw new UserInputError('--no-standardize and --standardize cannot be used together');
  }
  const standardize = values['no-standardize'] ? 'none' : choiceFlag(values, 'standardize', ['whole', 'train'] as const) ?? 'whole';
  const overrides: Partial<AlmParams> = {
    outer: integerFlag(values, 'outer'), inner: integerFlag(values, 'inner'),
    gamma0: numberFlag(values, 'gamma0'), mu: numberFlag(values, 'mu'), Gamma: numberFlag(values, 'Gamma'),
    eta1: numberFlag(values, 'eta1'), eta2: numberFlag(values, 'eta2'), eta3: numberFlag(values, 'eta3'), eta4: numberFlag(values, 'eta4'),
    eps0: numberFlag(values, 'eps0'), lambda6: numberFlag(values, 'lambda6'),
    gammaMax: numberFlag(values, 'gamma-max'), feasFloor: numberFlag(values, 'feas-floor'),
    innerStop: choiceFlag(values, 'inner-stop', ['cap', 'certificate'] as const),
    checkEvery: integerFlag(values, 'check-every'),
  };
  const tau = numberFlag(values, 'tau') ?? tauFor(dataset);
  return {
    dataset,
    targets: listFlag(values, 'targets'),
    hidden: integerFlag(values, 'hidden'),
    activation,
    init,
    seed: integerFlag(values, 'seed') ?? 1,
    trainFraction: numberFlag(values, 'train-fraction'),
    standardize,
    testHidden: choiceFlag(values, 'test-hidden', ['carry', 'reset'] as const) ?? 'carry',
    params: paramsFor(dataset, { tau, paperCaps: values.paper === true, overrides }),
  };
}

/** τ of a registered data set; a CSV file gets the generic default. */
function tauFor(dataset: string): number {
  return isDatasetName(dataset) ? DATASETS[dataset].tau : csvDatasetInfo(dataset).tau;
}

/** Reads a model file for --init-from. */
function readModel(path: string): ReturnType<typeof modelFromJson> {
  let obj: unknown;
  try {
    obj = JSON.parse(readTextFile(path));
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    throw new UserInputError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  return modelFromJson(obj);
}

function fmt(v: number): string {
  return Number.isInteger(v * 1000) ? String(v) : v.toPrecision(4);
}

function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}
