// The registry of named data sets, so the CLI, the demo page and the experiments load data
// the same way. Runs in Node and in the browser: the bundled CSV files come in through `?raw`.
import { UserInputError } from '../errors.ts';
import { parseCsvWithReport, type CsvOptions, type CsvReport } from './csv.ts';
import sp500Text from './datasets/sp500/clean_SP500.csv?raw';
import welchGoyalText from './datasets/welch-goyal/sp500_volatility_monthly.csv?raw';
import { splitPoint, standardize } from './standardize.ts';
import { generateSynthetic, type SyntheticPreset } from './synthetic.ts';
import type { Series, Standardization } from './types.ts';

/** Defaults and facts about a data set, for front ends to fill their parameters from. */
export interface DatasetInfo {
  name: string;
  description: string;
  /** Default hidden size r. */
  r: number;
  /** Default fraction of steps used for training (T1 = round(T·fraction)). */
  trainFraction: number;
  /** τ of the regulariser weights λ1…λ5 (docs/method.md §6.2). */
  tau: number;
  /** Whether the stored/generated data are already standardised. */
  standardized: boolean;
  /** Which columns standardisation touches: synthetic inputs stay U(−1, 1). */
  standardizeColumns: 'all' | 'targets';
}

/** How a loaded series is standardised: over the whole series (the paper), the training part, or not at all. */
export type StandardizeChoice = 'whole' | 'train' | 'none';

/** Options of loadDataset. */
export interface LoadDatasetOptions {
  /** Seed of the synthetic generators (ignored by file data sets). */
  seed?: number;
  /** Target columns of a CSV data set (default: the data set's own). */
  targets?: string[];
  /** Fraction of steps used for training (default: the data set's). */
  trainFraction?: number;
  standardize: StandardizeChoice;
  /** How a CSV file is read: its separator (default detected) and missing values (default refused). */
  csv?: Pick<CsvOptions, 'delimiter' | 'missing'>;
}

/** A loaded, split and (optionally) standardised data set. */
export interface LoadedDataset {
  series: Series;
  T1: number;
  /** Present when the series was standardised here. */
  standardization?: Standardization;
  defaults: DatasetInfo;
  /** For CSV data: what became of the file's columns and missing values. */
  csv?: CsvReport;
}

interface DatasetEntry extends DatasetInfo {
  /** Produces the series as stored or generated (and, for CSV data, what the parser made of it). */
  load(options: LoadDatasetOptions): Series | { series: Series; report: CsvReport };
}

/** Generator-backed entry for a Table 1 preset. */
function syntheticEntry(preset: SyntheticPreset, info: Omit<DatasetInfo, 'standardized' | 'standardizeColumns'>): DatasetEntry {
  return {
    ...info,
    standardized: true,
    standardizeColumns: 'targets',
    load(options) {
      if (options.targets && options.targets.length > 0) {
        throw new UserInputError(`${info.name}: targets can only be chosen for CSV data sets`);
      }
      return generateSynthetic(preset, options.seed ?? 0).series;
    },
  };
}

/** CSV-backed entry for a bundled file. */
function csvEntry(text: string, file: string, defaultTargets: string[], info: Omit<DatasetInfo, 'standardizeColumns'>): DatasetEntry {
  return {
    ...info,
    standardizeColumns: 'all',
    load(options) {
      const targets = options.targets && options.targets.length > 0 ? options.targets : defaultTargets;
      return parseCsvWithReport(text, { targets, source: `${info.name} (${file})` });
    },
  };
}

const ENTRIES: DatasetEntry[] = [
  syntheticEntry('small', {
    name: 'synthetic-small',
    description: 'Table 1 synthetic set: T=10, n=5, m=3, ReLU RNN with r=4, N(0, 0.8) weights, noise N(0, 1e-3)',
    r: 4,
    trainFraction: 0.9,
    tau: 1,
  }),
  syntheticEntry('large', {
    name: 'synthetic-large',
    description: 'Table 1 synthetic set: T=500, n=80, m=30, ReLU RNN with r=100, N(0, 0.05) weights, noise N(0, 1e-5)',
    r: 100,
    trainFraction: 0.9,
    tau: 500,
  }),
  csvEntry(sp500Text, 'clean_SP500.csv', ['RV_SP500'], {
    name: 'sp500',
    description: "The paper's S&P 500 realized-volatility file (1973-02..2009-06, T=437): inputs DP..IP, target RV_SP500",
    r: 20,
    trainFraction: 0.9,
    tau: 1,
    standardized: true,
  }),
  csvEntry(welchGoyalText, 'sp500_volatility_monthly.csv', ['log_rvol'], {
    name: 'welch-goyal',
    description: 'S&P 500 log realized volatility from 11 Welch-Goyal predictors (1973-02..2009-06, T=437), raw',
    r: 20,
    trainFraction: 0.9,
    tau: 1,
    standardized: false,
  }),
];

/** File names read as CSV data: .csv, and the .tsv and .txt that spreadsheets and R export (the separator is detected). */
export const CSV_FILE = /\.(csv|tsv|txt)$/i;

/** Name of a registered data set. */
export type DatasetName = 'synthetic-small' | 'synthetic-large' | 'sp500' | 'welch-goyal';

/** Names of the registered data sets, in display order. */
export const DATASET_NAMES = ENTRIES.map((e) => e.name) as readonly DatasetName[];

/** The registered data sets and their defaults, by name. */
export const DATASETS = Object.fromEntries(
  ENTRIES.map(({ load: _load, ...info }) => [info.name, info]),
) as Readonly<Record<DatasetName, DatasetInfo>>;

/** Whether `name` is a registered data set. */
export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/** Defaults used for a user's CSV file. */
export function csvDatasetInfo(source: string): DatasetInfo {
  return {
    name: source,
    description: `CSV file ${source}`,
    r: 20,
    trainFraction: 0.9,
    tau: 1,
    standardized: false,
    standardizeColumns: 'all',
  };
}

/** Splits and standardises a series as the options say. */
function prepare(series: Series, info: DatasetInfo, options: LoadDatasetOptions): LoadedDataset {
  const T1 = splitPoint(series.T, options.trainFraction ?? info.trainFraction);
  if (options.standardize === 'none') return { series, T1, defaults: info };
  if (options.standardize !== 'whole' && options.standardize !== 'train') {
    throw new UserInputError(`standardize must be one of whole, train, none; got "${String(options.standardize)}"`);
  }
  const result = standardize(series, { mode: options.standardize, T1, columns: info.standardizeColumns });
  return { series: result.series, T1, standardization: result.standardization, defaults: info };
}

/** Loads a registered data set by name, split and standardised as asked. */
export function loadDataset(name: string, options: LoadDatasetOptions): LoadedDataset {
  const entry = ENTRIES.find((e) => e.name === name);
  if (!entry) {
    const hint = CSV_FILE.test(name) ? ' (CSV files are read by loadDatasetFile in Node or loadDatasetFromCsvText)' : '';
    throw new UserInputError(`unknown data set "${name}"${hint}; available: ${DATASET_NAMES.join(', ')}, or a path ending in .csv, .tsv or .txt`);
  }
  const { load, ...info } = entry;
  const loaded = load(options);
  if (!('report' in loaded)) return prepare(loaded, info, options);
  return { ...prepare(loaded.series, info, options), csv: loaded.report };
}

/** Loads a user's CSV text (e.g. a file picked in the browser), split and standardised as asked. */
export function loadDatasetFromCsvText(text: string, source: string, options: LoadDatasetOptions): LoadedDataset {
  const { series, report } = parseCsvWithReport(text, { ...options.csv, targets: options.targets, source });
  return { ...prepare(series, csvDatasetInfo(source), options), csv: report };
}
