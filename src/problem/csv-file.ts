// Node-only: reading CSV files from disk, and resolving a data set name or a .csv path. Files are
// read as the command line reads them (src/cli/files.ts).
import { readTextFile } from '../cli/files.ts';
import { parseCsv, type CsvOptions } from './csv.ts';
import { CSV_FILE, loadDataset, loadDatasetFromCsvText, type LoadDatasetOptions, type LoadedDataset } from './datasets.ts';
import type { Series } from './types.ts';

export { readTextFile };

/** Reads and parses a CSV file into a Series; error messages name the path. */
export function loadCsvFile(path: string, options: Omit<CsvOptions, 'source'> & { source?: string } = {}): Series {
  return parseCsv(readTextFile(path), { ...options, source: options.source ?? path });
}

/** Loads a CSV file as a data set (split and standardised as asked), through loadDatasetFromCsvText. */
export function loadDatasetFile(path: string, options: LoadDatasetOptions): LoadedDataset {
  return loadDatasetFromCsvText(readTextFile(path), path, options);
}

/** Loads a registered data set by name, or a CSV file when the argument ends in .csv, .tsv or .txt. */
export function loadDatasetOrFile(nameOrPath: string, options: LoadDatasetOptions): LoadedDataset {
  return CSV_FILE.test(nameOrPath) ? loadDatasetFile(nameOrPath, options) : loadDataset(nameOrPath, options);
}
