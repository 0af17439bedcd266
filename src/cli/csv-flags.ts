// The flags that say how to read a CSV file (--delimiter, --decimal, --missing), shared by train and
// predict, and the line that tells the user what became of the file's columns.
import type { CsvOptions } from '../api/runs.ts';
import { MISSING_POLICIES, parseDecimal, parseDelimiter } from '../api/settings.ts';
import type { CsvReport } from '../datasets.ts';
import { choiceFlag, stringFlag, type OptionSpec, type ParsedArgs } from './args.ts';

/** The options table entries. */
export const CSV_OPTIONS: OptionSpec = { delimiter: { type: 'string' }, decimal: { type: 'string' }, missing: { type: 'string' } };

/** Their --help lines. */
export const CSV_HELP = `  --delimiter D             CSV field separator: comma, semicolon, tab or one character
                            (default: detected from the header row)
  --decimal . | ,           the numbers' decimal mark: 0.03 (default) or 0,03, as spreadsheets
                            write them in much of Europe (then the separator is not a comma)
  --missing error|drop|ffill  missing values (empty, NA, N/A, null, NaN): refuse them (default),
                            drop their rows, or repeat the value above
`;

/** The CSV reading options that flags set. */
export type CsvFlagOptions = Pick<CsvOptions, 'delimiter' | 'decimal' | 'missing'>;

/** Whether any of the CSV flags was given. */
export function hasCsvFlags(values: ParsedArgs['values']): boolean {
  return Object.keys(CSV_OPTIONS).some((name) => values[name] !== undefined);
}

/** The CSV reading options the flags give (absent ones left out, so a run description stays as before). */
export function csvOptionsFromFlags(values: ParsedArgs['values']): CsvFlagOptions {
  const out: CsvFlagOptions = {};
  const delimiter = stringFlag(values, 'delimiter');
  if (delimiter !== undefined) out.delimiter = parseDelimiter(delimiter);
  const decimal = stringFlag(values, 'decimal');
  if (decimal !== undefined) out.decimal = parseDecimal(decimal);
  const missing = choiceFlag(values, 'missing', MISSING_POLICIES);
  if (missing !== undefined) out.missing = missing;
  return out;
}

/** One line: which columns became inputs and targets, and what was dropped or filled. */
export function describeColumns(report: CsvReport): string {
  const sep = (report.delimiter === ',' ? '' : report.delimiter === '\t' ? ', tab-separated' : `, separated by "${report.delimiter}"`)
    + (report.decimal === ',' ? ', decimal commas' : '');
  const parts = [`inputs ${report.inputs.join(', ')}`, `target${report.targets.length === 1 ? '' : 's'} ${report.targets.join(', ')}`];
  if (report.labelColumn) {
    const name = report.labelColumn.name === '' ? 'the unnamed first column' : `"${report.labelColumn.name}"`;
    parts.push(`dropped ${name} (${report.labelColumn.kind === 'labels' ? 'kept as row labels' : 'a row index'})`);
  }
  if (report.droppedRows > 0) parts.push(`${report.droppedRows} row${report.droppedRows === 1 ? '' : 's'} with missing values dropped`);
  if (report.filledCells > 0) parts.push(`${report.filledCells} missing value${report.filledCells === 1 ? '' : 's'} filled from above`);
  return `columns${sep}: ${parts.join('; ')}`;
}
