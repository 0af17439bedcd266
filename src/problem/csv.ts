// CSV → Series: a pure parser (no fs, so it runs in the browser too) with validation whose
// messages name the source, the 1-based line (header = line 1), the column and the text.
import { DataError } from '../errors.ts';
import type { Series } from './types.ts';

/** Options of parseCsv. */
export interface CsvOptions {
  /** Names of the target columns (default: the last column); every other numeric column is an input. */
  targets?: string[];
  /** Name used in error messages, e.g. the file name. */
  source?: string;
}

/** One CSV record: its fields and the physical line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** Fewest data rows a series may have. */
export const MIN_ROWS = 2;

/** First-column headers that mark a date/time label column even when its values look numeric. */
const LABEL_HEADERS = /^(date|time|datetime|timestamp|period|month|year|quarter)$/i;

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** Splits CSV text into records (RFC 4180: quoted fields, "" escapes, CRLF or LF), skipping blank lines. */
export function splitCsvRecords(text: string, source = 'CSV input'): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false; // inside a quoted field
  let quoteLine = 0;
  let wasQuoted = false; // the current field had quotes (so it is not blank even if empty)
  const endRecord = (): void => {
    fields.push(field);
    const blank = fields.length === 1 && !wasQuoted && field.trim() === '';
    if (!blank) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
    wasQuoted = false;
  };
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field.trim() === '') {
      quoted = true;
      wasQuoted = true;
      quoteLine = line;
      field = '';
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      wasQuoted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
  }
  if (quoted) throw new DataError(`${source} line ${quoteLine}: a quoted field is never closed (missing ")`);
  if (field !== '' || fields.length > 0 || wasQuoted) endRecord();
  return records;
}

/** Parses one numeric cell; returns NaN for text that is not a plain decimal number. */
function parseNumber(text: string): number {
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : NaN;
}

/** Whether a cell's text is a finite number, a NaN/Infinity spelling, or something else. */
function classify(text: string): 'number' | 'nonfinite' | 'text' {
  const t = text.trim();
  if (NUMBER.test(t)) return Number.isFinite(Number(t)) ? 'number' : 'nonfinite';
  return NON_FINITE.test(t) ? 'nonfinite' : 'text';
}

/** Whether the values are the integers 0..T−1 or 1..T in order (a pandas-style row index). */
function isRowIndex(values: string[]): boolean {
  const first = parseNumber(values[0]);
  if (first !== 0 && first !== 1) return false;
  return values.every((v, i) => parseNumber(v) === first + i);
}

/** Parses CSV text (header row, optional leading date/index column) into a Series. */
export function parseCsv(text: string, options: CsvOptions = {}): Series {
  const source = options.source ?? 'CSV input';
  const records = splitCsvRecords(text, source);
  if (records.length === 0) throw new DataError(`${source} is empty: expected a header row and at least ${MIN_ROWS} data rows`);

  const header = records[0].fields.map((h) => h.trim());
  const rows = records.slice(1);
  const width = header.length;
  if (rows.length < MIN_ROWS) {
    const have = rows.length === 1 ? '1 data row' : `${rows.length} data rows`;
    throw new DataError(`${source} has ${have} after the header; at least ${MIN_ROWS} are needed`);
  }
  for (const row of rows) {
    if (row.fields.length !== width) {
      throw new DataError(
        `${source} line ${row.line} has ${row.fields.length} fields, expected ${width} (as in the header on line ${records[0].line})`,
      );
    }
  }

  // The optional label column: the first column when its header is empty, is a date/time name,
  // or every value in it is non-numeric text.
  const firstValues = rows.map((r) => r.fields[0]);
  const firstIsLabel =
    width > 1 &&
    (header[0] === '' || LABEL_HEADERS.test(header[0]) || firstValues.every((v) => classify(v) === 'text'));
  let labels: string[] | undefined;
  if (firstIsLabel && !(header[0] === '' && isRowIndex(firstValues))) labels = firstValues.map((v) => v.trim());
  const numericStart = firstIsLabel ? 1 : 0;

  const names = header.slice(numericStart);
  names.forEach((name, k) => {
    if (name === '') {
      throw new DataError(`${source} line ${records[0].line}: column ${k + numericStart + 1} has an empty name in the header`);
    }
  });
  const seen = new Map<string, number>();
  names.forEach((name, k) => {
    const col = k + numericStart + 1;
    const prev = seen.get(name);
    if (prev !== undefined) {
      throw new DataError(`${source}: column name "${name}" appears twice in the header (columns ${prev} and ${col})`);
    }
    seen.set(name, col);
  });
  if (names.length === 0) throw new DataError(`${source} has no numeric columns`);

  const targetNames = options.targets && options.targets.length > 0 ? options.targets : [names[names.length - 1]];
  const targetIdx = targetNames.map((t, i) => {
    if (targetNames.indexOf(t) !== i) throw new DataError(`${source}: target column "${t}" is listed twice`);
    const k = names.indexOf(t);
    if (k < 0) {
      const why = firstIsLabel && t === header[0] && t !== '' ? ` ("${t}" is the date/label column, not numeric)` : '';
      throw new DataError(`${source}: target column "${t}" not found${why}; available columns: ${names.join(', ')}`);
    }
    return k;
  });
  const inputIdx = names.map((_, k) => k).filter((k) => !targetIdx.includes(k));
  if (inputIdx.length === 0) {
    throw new DataError(
      `${source}: no input column is left after taking ${targetNames.map((t) => `"${t}"`).join(', ')} as target; ` +
        'a series needs at least one input column',
    );
  }

  const T = rows.length;
  const n = inputIdx.length;
  const m = targetIdx.length;
  const values = new Float64Array(T * names.length);
  rows.forEach((row, t) => {
    for (let k = 0; k < names.length; k++) {
      const cell = row.fields[k + numericStart];
      const kind = classify(cell);
      if (kind !== 'number') {
        const where = `${source} line ${row.line}, column "${names[k]}"`;
        if (kind === 'nonfinite') throw new DataError(`${where}: "${cell.trim()}" is not a finite number (NaN and Infinity are not allowed)`);
        const what = cell.trim() === '' ? ' (missing value)' : '';
        throw new DataError(`${where}: "${cell.trim()}" is not a number${what}`);
      }
      values[t * names.length + k] = Number(cell.trim());
    }
  });
  checkMagnitudes(values, names, rows, numericStart, source);

  const x = new Float64Array(T * n);
  const y = new Float64Array(T * m);
  for (let t = 0; t < T; t++) {
    const row = t * names.length;
    for (let j = 0; j < n; j++) x[t * n + j] = values[row + inputIdx[j]];
    for (let k = 0; k < m; k++) y[t * m + k] = values[row + targetIdx[k]];
  }
  const series: Series = {
    T, n, m, x, y,
    inputNames: inputIdx.map((k) => names[k]),
    targetNames: targetIdx.map((k) => names[k]),
  };
  if (labels) series.labels = labels;
  return series;
}

/**
 * Refuses a column whose sum of squares overflows float64 (a cell of 1e308, say): its mean and
 * standard deviation, and the Gram products training forms, would be Infinity or NaN. Names the
 * column's largest cell.
 */
function checkMagnitudes(values: Float64Array, names: string[], rows: CsvRecord[], numericStart: number, source: string): void {
  const width = names.length;
  for (let k = 0; k < width; k++) {
    let ss = 0;
    let worst = 0;
    for (let t = 0; t < rows.length; t++) {
      const v = values[t * width + k];
      ss += v * v;
      if (Math.abs(v) > Math.abs(values[worst * width + k])) worst = t;
    }
    if (!Number.isFinite(ss)) {
      const row = rows[worst];
      throw new DataError(
        `${source} line ${row.line}, column "${names[k]}": ${row.fields[k + numericStart].trim()} is too large: the column's squares ` +
          'overflow double precision, so its statistics cannot be computed; rescale the column (e.g. to other units)',
      );
    }
  }
}
