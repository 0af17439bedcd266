// `alm-rnn predict MODEL.json DATA.csv`: a trained model (the file `train --out` writes) run
// over a series, per-step predictions in raw units as CSV, and the errors against the targets
// when the file has them.
import { OptionError, UserInputError } from '../api/errors.ts';
import { predictionsToCsv, type Model, type TablePrediction } from '../api/model.ts';
import { readCsv, type CsvData, type CsvReport } from '../datasets.ts';
import { integerFlag, parseCommandLine, stringFlag, type OptionSpec } from './args.ts';
import { csvOptionsFromFlags, CSV_HELP, CSV_OPTIONS } from './csv-flags.ts';
import { readTextFile } from './files.ts';
import { checkPaths, isStdout, writeOutput } from './output-paths.ts';
import { readModelFile } from './read-model.ts';
import { againHint, listenForStop } from './signals.ts';

const OPTIONS: OptionSpec = {
  out: { type: 'string' }, warmup: { type: 'string' }, force: { type: 'boolean' }, ...CSV_OPTIONS, help: { type: 'boolean', short: 'h' },
};

const HELP = `usage: alm-rnn predict MODEL.json DATA.csv [--out predictions.csv] [--warmup N] [--force]

Runs a trained model (written by \`alm-rnn train --out\`) over the series in DATA.csv, from the
hidden state h₀ = 0, and writes one row per step: the predictions in the data's own (raw) units,
with the model's standardisation undone, next to the targets when the file has them. The errors
against the targets (mean squared, raw units; and in the standardised units TrainErr and TestErr
use) are printed.

The model's input and target columns are found in DATA.csv by name (a model file of an older
version, without names, takes the numeric columns in order: its n inputs, then its m targets).
Predictions that are not finite (a hidden state that overflows on these inputs) stop the
command with the first step and column; nothing is written.

  --out FILE.csv   write the predictions there (default, or -: to standard output); an existing
                   file must be an earlier predictions file (else --force), never MODEL or DATA
  --force          replace an existing --out file that is not an earlier predictions file
  --warmup N       run the first N rows only to carry the hidden state in; predict from row N+1
${CSV_HELP}
Ctrl-C, SIGTERM or SIGHUP lets the predictions be written first (a second one quits at once);
the exit code is then 128 + the signal's number (130, 143, 129).
`;

/** Runs the predict command; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, OPTIONS, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 2) {
    throw new UserInputError(`expected a model file and a data file (alm-rnn predict MODEL.json DATA.csv), got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}; see --help`);
  }
  const [modelPath, dataPath] = positionals;
  const outPath = stringFlag(values, 'out');
  checkPaths({
    reads: [{ flag: 'MODEL', path: modelPath }, { flag: 'DATA', path: dataPath }],
    writes: outPath === undefined ? [] : [{ flag: '--out', path: outPath, kind: 'predictions', streamable: true }],
    force: values.force === true,
  });
  // A signal waits for the predictions to be written (src/cli/signals.ts); a second quits at once.
  const stop = listenForStop({ first: (name) => process.stderr.write(`${name}: stopping once the predictions are written (${againHint(name)} to quit at once)\n`) });
  const model = readModelFile(modelPath);
  let report: CsvReport | undefined;
  const table = readCsv(readTextFile(dataPath), { ...csvOptionsFromFlags(values), source: dataPath }, (r) => { report = r; });
  const p = predictFile(model, table, dataPath, integerFlag(values, 'warmup') ?? 0);
  const labels = report?.labels && { name: report.labelColumn?.name || 'label', values: report.labels.slice(p.warmup) };
  const csv = predictionsToCsv(p, labels);
  const toStdout = outPath === undefined || isStdout(outPath);
  const log = toStdout ? process.stderr : process.stdout;
  writeOutput(outPath ?? '-', csv);
  const { r, n, m } = model.weights;
  log.write(`${modelPath}: r=${r}, n=${n} inputs, m=${m} target${m === 1 ? '' : 's'}${model.standardization ? ', standardised inputs and targets' : ''}; `
    + `${p.steps} steps predicted${p.warmup > 0 ? ` after a warm-up of ${p.warmup}` : ' from h₀ = 0'}\n`);
  const e = p.evaluation;
  if (e) {
    const per = p.targetNames.map((name, k) => `${name} ${e.perTarget[k].toPrecision(6)}`).join(', ');
    log.write(`MSE (raw units): ${per}${m > 1 ? `; sum ${e.mse.toPrecision(6)}` : ''}`
      + `${model.standardization ? `; standardised units (as TrainErr/TestErr) ${e.mseStandardized.toPrecision(6)}` : ''}\n`);
  } else {
    log.write(`no target column (${p.targetNames.join(', ')}) in ${dataPath}: predictions only\n`);
  }
  if (!toStdout) log.write(`predictions written to ${outPath}\n`);
  return stop.finish(0);
}

/** The model over the file's columns, the API's option names given as this command's flags. */
function predictFile(model: Model, table: CsvData, source: string, warmup: number): TablePrediction {
  try {
    return model.predictTable(table, { warmup, source });
  } catch (err) {
    if (err instanceof OptionError && err.option === 'warmup') throw new UserInputError(`--${err.message}`);
    throw err;
  }
}
