// Node-only: reading CSV files from disk, and resolving a data set name or a .csv path.
import { readFileSync } from 'node:fs';
import { UserInputError } from '../errors.ts';
import { parseCsv, type CsvOptions } from './csv.ts';
import { CSV_FILE, loadDataset, loadDatasetFromCsvText, type LoadDatasetOptions, type LoadedDataset } from './datasets.ts';
import type { Series } from './types.ts';

/**
 * Reads a file as UTF-8 text; a missing or unreadable file is a UserInputError naming the path
 * (and, for a folder, what the argument should have been: `kind`, e.g. "model file").
 */
export function readTextFile(path: string, kind = 'CSV file'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserInputError(`file not found: ${path}`);
    if (code === 'EISDIR') throw new UserInputError(`${path} is a directory, not a ${kind}`);
    if (code === 'EACCES' || code === 'EPERM') throw new UserInputError(`permission denied reading ${path}`);
    throw new UserInputError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

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
