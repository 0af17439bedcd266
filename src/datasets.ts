/**
 * The package's `alm-rnn/datasets` entry: the bundled data sets (the paper's S&P 500 file, the
 * Welch-Goyal volatility file), the synthetic generator of the paper's Table 1, and the CSV
 * reader. Kept apart from the main entry so that a bundle which does not import it does not
 * carry the bundled files. Each loader returns options that spread straight into train():
 *
 * ```ts
 * import { train } from 'alm-rnn';
 * import { loadDataset } from 'alm-rnn/datasets';
 * const result = await train({ ...loadDataset('sp500'), params: { outer: 50, inner: 100 } });
 * ```
 * @module alm-rnn/datasets
 */
import {
  CSV_FILE, csvDatasetInfo, DATASETS, DATASET_NAMES, isDatasetName, loadDataset as loadRegistered, loadDatasetFromCsvText, type DatasetName, type LoadedDataset,
} from './problem/datasets.ts';
import type { RunConfig } from './alm/setup.ts';
import { parseCsvWithReport, type CsvOptions, type CsvReport, type DecimalMark, type MissingPolicy } from './problem/csv.ts';
import { generateSynthetic, SYNTHETIC_PRESETS, type SyntheticPreset, type SyntheticSizes } from './problem/synthetic.ts';
import type { Series } from './problem/types.ts';
import { OptionError } from './api/errors.ts';
import type { MethodParams } from './api/train.ts';
import { paramsFor } from './alm/params.ts';

export { DATASET_NAMES, SYNTHETIC_PRESETS, DATASETS, isDatasetName, csvDatasetInfo };
export type { DatasetInfo, LoadedDataset } from './problem/datasets.ts';
export type { DatasetName, SyntheticPreset, SyntheticSizes, CsvReport, DecimalMark, MissingPolicy };

/** A data set as train() options: the series (raw units) and its names, with the data set's defaults. */
export interface DatasetOptions {
  /** Inputs, T×n row-major. */
  inputs: Float64Array;
  /** Targets, T×m row-major. */
  targets: Float64Array;
  /** Names of the n input columns. */
  inputNames: string[];
  /** Names of the m target columns. */
  targetNames: string[];
  /** The data set's hidden size (the paper's r). */
  hidden: number;
  /** The data set's training share. */
  trainFraction: number;
  /** The method's parameters as `alm-rnn train --dataset NAME` sets them: τ of the data set, the paper's η's for it, everyday caps. */
  params: MethodParams;
  /** Which columns are standardised: all, or the targets only (the synthetic sets' inputs are already U(−1, 1)). */
  standardizeColumns: 'all' | 'targets';
}

function asOptions(series: Series, name: DatasetName): DatasetOptions {
  const info = DATASETS[name];
  const { outer, inner, eta1, eta2, eta3, eta4, tau } = paramsFor(name, { tau: info.tau });
  return {
    inputs: series.x,
    targets: series.y,
    inputNames: [...series.inputNames],
    targetNames: [...series.targetNames],
    hidden: info.r,
    trainFraction: info.trainFraction,
    params: { tau, eta1, eta2, eta3, eta4, outer, inner },
    standardizeColumns: info.standardizeColumns,
  };
}

/** Options of loadDataset. */
export interface LoadDatasetOptions {
  /** Seed of the synthetic generators (default 1; the file data sets ignore it). */
  seed?: number;
}

/**
 * One of the bundled data sets by name (`sp500`, `welch-goyal`, `synthetic-small`,
 * `synthetic-large`), as train() options with the data set's defaults (hidden size, split,
 * standardised columns, τ, the paper's η's and everyday caps): `train({ ...loadDataset(name) })`
 * computes what `alm-rnn train --dataset NAME` does.
 */
export function loadDataset(name: DatasetName, options: LoadDatasetOptions = {}): DatasetOptions {
  if (typeof name !== 'string' || !isDatasetName(name)) throw new OptionError('name', name, `must be one of ${DATASET_NAMES.join(', ')}`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new OptionError('seed', seed, 'must be an integer ≥ 0');
  const loaded = loadRegistered(name, { seed, standardize: 'none' });
  return asOptions(loaded.series, name);
}

/**
 * Whether a data set argument names a CSV file rather than a bundled data set: it ends in .csv,
 * .tsv or .txt (as `alm-rnn train --dataset` tells them apart); read its text and pass it to
 * prepareDataset.
 */
export function isCsvFileName(name: string): boolean {
  return typeof name === 'string' && CSV_FILE.test(name);
}

/** A description of each bundled data set, by name. */
export function describeDatasets(): Record<DatasetName, string> {
  return Object.fromEntries(DATASET_NAMES.map((n) => [n, DATASETS[n].description])) as Record<DatasetName, string>;
}

/** Options of readCsv. */
export interface ReadCsvOptions {
  /** Target columns by name (default: the last numeric column); every other numeric column is an input. */
  targets?: string[];
  /** Field separator (default: detected among comma, semicolon, tab). */
  delimiter?: string;
  /**
   * Decimal mark: `.` (default) or `,` for numbers written `0,03` (the separator then must not
   * be a comma). Without it, a number with a decimal comma is refused with a DataError.
   */
  decimal?: DecimalMark;
  /** Missing values (empty, NA, N/A, null, NaN): refused (`error`, default), their rows dropped, or the value above repeated (`ffill`). */
  missing?: MissingPolicy;
  /** A name for the text in messages (default "CSV input"). */
  source?: string;
}

/** A CSV file's series as train() options. */
export type CsvData = Pick<DatasetOptions, 'inputs' | 'targets' | 'inputNames' | 'targetNames'>;

/**
 * Reads CSV text (a header row, then one row per time step) into train() options; a date or
 * label column is set aside. A malformed cell throws a DataError naming its line and column.
 * `onReport` receives what became of the columns and the missing values.
 */
export function readCsv(text: string, options: ReadCsvOptions = {}, onReport?: (report: CsvReport) => void): CsvData {
  if (typeof text !== 'string') throw new OptionError('text', text, 'must be the CSV text');
  if (options.decimal !== undefined && options.decimal !== '.' && options.decimal !== ',') throw new OptionError('decimal', options.decimal, 'must be "." or ","');
  const csv: CsvOptions = { targets: options.targets, delimiter: options.delimiter, decimal: options.decimal, missing: options.missing, source: options.source ?? 'CSV input' };
  const { series, report } = parseCsvWithReport(text, csv);
  onReport?.(report);
  return { inputs: series.x, targets: series.y, inputNames: series.inputNames, targetNames: series.targetNames };
}

/**
 * A synthetic series of the paper's Table 1 (`small`: T=10, n=5, m=3; `large`: T=500, n=80,
 * m=30; or custom sizes), generated by a random ReLU RNN from `seed`; as train() options.
 */
export function syntheticDataset(spec: SyntheticPreset | SyntheticSizes, seed = 1): Omit<DatasetOptions, 'hidden' | 'trainFraction' | 'params' | 'standardizeColumns'> {
  if (!Number.isInteger(seed) || seed < 0) throw new OptionError('seed', seed, 'must be an integer ≥ 0');
  const { series } = generateSynthetic(spec, seed);
  return { inputs: series.x, targets: series.y, inputNames: [...series.inputNames], targetNames: [...series.targetNames] };
}

/** What prepareDataset reads of a run's description: which data, which seed, how to split and standardise. */
export type DatasetSettings = Pick<RunConfig, 'dataset' | 'seed' | 'targets' | 'trainFraction' | 'standardize' | 'csv'>;

/** A CSV file's name and text (e.g. a file picked in a page), for a run whose data set is that file. */
export interface CsvFile {
  /** The file's name, used in messages and as the data set's name. */
  name: string;
  /** The file's text. */
  text: string;
}

/**
 * The data of a run as `alm-rnn train` prepares it: a bundled data set by name (each seed draws
 * its own synthetic series), or the CSV file given, split at the training fraction and
 * standardised as `settings.standardize` says, with the data set's defaults; what trainRuns and
 * trainBaselineRun train on, in the units their TrainErr and fits are in. A bad setting or a
 * malformed CSV cell throws a UserInputError naming it.
 */
export function prepareDataset(settings: DatasetSettings, csv?: CsvFile): LoadedDataset {
  if (typeof settings !== 'object' || settings === null) throw new OptionError('settings', settings, 'must be a run description ({ dataset, seed, standardize, … })');
  if (!Number.isInteger(settings.seed) || settings.seed < 0) throw new OptionError('seed', settings.seed, 'must be an integer ≥ 0');
  const options = { seed: settings.seed, targets: settings.targets, trainFraction: settings.trainFraction, standardize: settings.standardize, csv: settings.csv };
  if (csv !== undefined) {
    if (typeof csv !== 'object' || csv === null || typeof csv.name !== 'string' || typeof csv.text !== 'string') throw new OptionError('csv', csv, 'must be { name, text } of a CSV file');
    return loadDatasetFromCsvText(csv.text, csv.name, options);
  }
  return loadRegistered(settings.dataset, options);
}
