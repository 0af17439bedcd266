// CSV → Series: a pure parser (no fs, so it runs in the browser too) with validation whose
// messages name the source, the 1-based line (header = line 1), the column and the text.
import { DataError, excerpt, excerptList } from '../errors.ts';
import type { Series } from './types.ts';

/** What to do with a missing value (an empty cell, NA, N/A, null): refuse it, drop its row, or repeat the value above. */
export type MissingPolicy = 'error' | 'drop' | 'ffill';

/** The missing-value policies, for flags and forms. */
export const MISSING_POLICIES: readonly MissingPolicy[] = ['error', 'drop', 'ffill'];

/** Options of parseCsv. */
export interface CsvOptions {
  /** Names of the target columns (default: the last column); every other numeric column is an input. */
  targets?: string[];
  /** Name used in error messages, e.g. the file name. */
  source?: string;
  /** Field separator; default: detected from the header row (comma, semicolon or tab). */
  delimiter?: string;
  /** Missing values (default 'error'). */
  missing?: MissingPolicy;
  /**
   * The decimal mark of the numbers: `.` (default) or `,` (as spreadsheets in much of Europe
   * write them, `0,03`; then the field separator must not be a comma).
   */
  decimal?: DecimalMark;
}

/** A decimal mark: the point of `0.03` or the comma of `0,03`. */
export type DecimalMark = '.' | ',';

/** What parseCsv made of a file, for front ends to tell the user. */
export interface CsvReport {
  /** The field separator used (given or detected). */
  delimiter: string;
  /** The decimal mark the numbers were read with. */
  decimal: DecimalMark;
  /** The input columns, by header. */
  inputs: string[];
  /** The target columns, by header. */
  targets: string[];
  /**
   * The leading date/label column kept as labels, or the unnamed row index dropped.
   * @property __type.name its header
   * @property __type.kind `labels` (kept) or `index` (dropped)
   */
  labelColumn?: { name: string; kind: 'labels' | 'index' };
  /** The label column's values, one per row of the series (after dropped rows), when labelColumn.kind is `labels`. */
  labels?: string[];
  /** Rows dropped for missing values (--missing drop). */
  droppedRows: number;
  /** Cells filled from the row above (--missing ffill). */
  filledCells: number;
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
/** A number written with a decimal comma (0,03 or -1,5e3); with a comma separator it could not be told from two fields. */
const DECIMAL_COMMA = /^[+-]?\d*,\d+(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/** Cells that mean "no value here": empty, or the spellings of pandas, R and SQL exports. */
const MISSING = /^(?:|na|n\/a|null|nan)$/i;

/** Field separators detected in a header row, in order of preference on a tie. */
const DELIMITERS = [',', ';', '\t'] as const;

/** The separator of the first non-blank line: whichever of comma, semicolon and tab occurs most outside quotes. */
export function detectDelimiter(text: string): string {
  const line = text.replace(/^\ufeff/, '').split(/\r?\n|\r/).find((l) => l.trim() !== '') ?? '';
  const unquoted = line.replace(/"[^"]*"/g, '');
  let best: string = ',';
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const count = unquoted.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Reads a delimiter as given on a command line or a form: a character, or comma, semicolon, tab. */
export function parseDelimiter(text: string): string {
  const names: Record<string, string> = { comma: ',', semicolon: ';', tab: '\t', '\\t': '\t', space: ' ', pipe: '|' };
  const d = names[text.toLowerCase()] ?? text;
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') {
    throw new DataError(`--delimiter must be one character (or comma, semicolon, tab), got "${excerpt(text)}"`);
  }
  return d;
}

/** Reads a decimal mark as given on a command line or a form: `.` or `,` (or point, comma). */
export function parseDecimal(text: string): DecimalMark {
  const names: Record<string, DecimalMark> = { '.': '.', ',': ',', point: '.', dot: '.', comma: ',' };
  const d = names[text.toLowerCase()];
  if (d === undefined) throw new DataError(`--decimal must be "." or "," (or point, comma), got "${excerpt(text)}"`);
  return d;
}

/** Splits CSV text into records (RFC 4180: quoted fields, "" escapes, CRLF or LF), skipping blank lines. */
export function splitCsvRecords(text: string, source = 'CSV input', delimiter = ','): CsvRecord[] {
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
    } else if (ch === delimiter) {
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
  return parseCsvWithReport(text, options).series;
}

/** parseCsv, with what it made of the file: separator, inputs, targets, label column, missing values. */
export function parseCsvWithReport(text: string, options: CsvOptions = {}): { series: Series; report: CsvReport } {
  const source = options.source ?? 'CSV input';
  const delimiter = options.delimiter ?? detectDelimiter(text);
  const decimal = options.decimal ?? '.';
  if (decimal !== '.' && decimal !== ',') throw new DataError(`decimal must be "." or ",", got "${excerpt(String(decimal))}"`);
  if (decimal === ',' && delimiter === ',') {
    throw new DataError(`${source}: --decimal , needs fields separated by something other than a comma (${options.delimiter === undefined ? 'the header row is' : 'the file is read as'} comma-separated); give the separator with --delimiter`);
  }
  const records = splitCsvRecords(text, source, delimiter);
  if (records.length === 0) throw new DataError(`${source} is empty: expected a header row and at least ${MIN_ROWS} data rows`);

  const header = records[0].fields.map((h) => h.trim());
  if (header.every((h) => classify(h) === 'number')) {
    throw new DataError(
      `${source} line ${records[0].line}: the first row is all numbers (${excerpt(header.slice(0, 3).join(delimiter === '\t' ? ' ' : delimiter))}${header.length > 3 ? '…' : ''}); ` +
        'no header row? The first row must name the columns, e.g. "x1,x2,y"',
    );
  }
  let rows = records.slice(1);
  const width = header.length;
  if (rows.length < MIN_ROWS) {
    const have = rows.length === 1 ? '1 data row' : `${rows.length} data rows`;
    throw new DataError(`${source} has ${have} after the header; at least ${MIN_ROWS} are needed`);
  }
  for (const row of rows) {
    if (row.fields.length !== width) {
      const hint = width === 1 && options.delimiter === undefined ? ' (is the separator something other than comma, semicolon or tab? see --delimiter)' : '';
      throw new DataError(
        `${source} line ${row.line} has ${row.fields.length} fields, expected ${width} (as in the header on line ${records[0].line})${hint}`,
      );
    }
  }

  rows = readDecimalCommas(rows, header, decimal, delimiter, source);

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
      throw new DataError(`${source}: column name "${excerpt(name)}" appears twice in the header (columns ${prev} and ${col})`);
    }
    seen.set(name, col);
  });
  if (names.length === 0) throw new DataError(`${source} has no numeric columns`);

  const targetNames = options.targets && options.targets.length > 0 ? options.targets : [names[names.length - 1]];
  const targetIdx = targetNames.map((t, i) => {
    if (targetNames.indexOf(t) !== i) throw new DataError(`${source}: target column "${excerpt(t)}" is listed twice`);
    const k = names.indexOf(t);
    if (k < 0) {
      const why = firstIsLabel && t === header[0] && t !== '' ? ` ("${excerpt(t)}" is the date/label column, not numeric)` : '';
      throw new DataError(`${source}: target column "${excerpt(t)}" not found${why}; available columns: ${excerptList(names)}`);
    }
    return k;
  });
  const inputIdx = names.map((_, k) => k).filter((k) => !targetIdx.includes(k));
  if (inputIdx.length === 0) {
    throw new DataError(
      `${source}: no input column is left after taking ${excerptList(targetNames, true)} as target; ` +
        'a series needs at least one input column',
    );
  }

  const missing = options.missing ?? 'error';
  let droppedRows = 0;
  let filledCells = 0;
  if (missing === 'drop') {
    const kept = rows.filter((row) => !row.fields.slice(numericStart).some((cell) => MISSING.test(cell.trim())));
    droppedRows = rows.length - kept.length;
    if (kept.length < MIN_ROWS) {
      throw new DataError(`${source}: ${kept.length} of ${rows.length} rows are left after dropping those with missing values; at least ${MIN_ROWS} are needed`);
    }
    rows = kept;
  } else if (missing === 'ffill') {
    rows = rows.map((row, t) => {
      const fields = row.fields.slice();
      for (let k = numericStart; k < width; k++) {
        if (!MISSING.test(fields[k].trim())) continue;
        if (t === 0) {
          throw new DataError(`${source} line ${row.line}, column "${excerpt(header[k])}": a missing value in the first data row cannot be filled from above; use --missing drop`);
        }
        fields[k] = rows[t - 1].fields[k];
        filledCells++;
      }
      rows[t] = { ...row, fields };
      return rows[t];
    });
  } else if (missing !== 'error') {
    throw new DataError(`missing must be one of ${MISSING_POLICIES.join(', ')}, got "${excerpt(String(missing))}"`);
  }
  if (labels && droppedRows > 0) labels = rows.map((r) => r.fields[0].trim());

  const T = rows.length;
  const n = inputIdx.length;
  const m = targetIdx.length;
  const values = new Float64Array(T * names.length);
  rows.forEach((row, t) => {
    for (let k = 0; k < names.length; k++) {
      const cell = row.fields[k + numericStart];
      const kind = classify(cell);
      if (kind !== 'number') {
        const where = `${source} line ${row.line}, column "${excerpt(names[k])}"`;
        const quoted = `"${excerpt(cell.trim())}"`;
        if (MISSING.test(cell.trim())) {
          throw new DataError(`${where}: ${quoted} is a missing value; drop such rows with --missing drop, or repeat the value above with --missing ffill`);
        }
        if (kind === 'nonfinite') throw new DataError(`${where}: ${quoted} is not a finite number (NaN and Infinity are not allowed)`);
        throw new DataError(`${where}: ${quoted} is not a number`);
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
  const report: CsvReport = { delimiter, decimal, inputs: series.inputNames, targets: series.targetNames, droppedRows, filledCells };
  if (firstIsLabel) report.labelColumn = { name: header[0], kind: labels ? 'labels' : 'index' };
  if (labels) report.labels = labels;
  return { series, report };
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
        `${source} line ${row.line}, column "${excerpt(names[k])}": ${excerpt(row.fields[k + numericStart].trim())} is too large: the column's squares ` +
          'overflow double precision, so its statistics cannot be computed; rescale the column (e.g. to other units)',
      );
    }
  }
}

/**
 * With decimal commas, the data rows with `0,03` read as `0.03`. Without, a number written with
 * a decimal comma is refused, naming its line and column: read as text, it would make its
 * column a label column or "not a number".
 */
function readDecimalCommas(rows: CsvRecord[], header: string[], decimal: DecimalMark, delimiter: string, source: string): CsvRecord[] {
  if (decimal === ',') {
    return rows.map((row) => ({ ...row, fields: row.fields.map((f) => (DECIMAL_COMMA.test(f.trim()) ? f.trim().replace(',', '.') : f)) }));
  }
  if (delimiter === ',') return rows;
  for (const row of rows) {
    const k = row.fields.findIndex((f) => DECIMAL_COMMA.test(f.trim()));
    if (k >= 0) {
      throw new DataError(
        `${source} line ${row.line}, column "${excerpt(header[k])}": "${excerpt(row.fields[k].trim())}" has a decimal comma; ` +
          'read the file with --decimal , (or write the numbers with a decimal point)',
      );
    }
  }
  return rows;
}
