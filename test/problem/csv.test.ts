import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, UserInputError } from '../../src/errors.ts';
import { loadCsvFile } from '../../src/problem/csv-file.ts';
import { detectDelimiter, parseCsv, parseCsvWithReport, parseDecimal, parseDelimiter, splitCsvRecords } from '../../src/problem/csv.ts';

const src = { source: 'data.csv' };

/** Asserts that parsing throws a DataError whose message contains every fragment. */
function expectDataError(text: string, fragments: string[], options: Parameters<typeof parseCsv>[1] = src): void {
  let caught: unknown;
  try {
    parseCsv(text, options);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DataError);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
}

describe('parseCsv: happy paths', () => {
  it('takes the last column as target and the others as inputs, time-major', () => {
    const s = parseCsv('a,b,y\n1,2,3\n4,5,6\n7,8,9\n', src);
    expect(s.T).toBe(3);
    expect(s.n).toBe(2);
    expect(s.m).toBe(1);
    expect(s.inputNames).toEqual(['a', 'b']);
    expect(s.targetNames).toEqual(['y']);
    expect([...s.x]).toEqual([1, 2, 4, 5, 7, 8]);
    expect([...s.y]).toEqual([3, 6, 9]);
    expect(s.labels).toBeUndefined();
  });

  it('keeps a leading date column as labels', () => {
    const s = parseCsv('date,x,y\n1973-02,0.5,1\n1973-03,-1.5e-2,2\n', src);
    expect(s.labels).toEqual(['1973-02', '1973-03']);
    expect(s.inputNames).toEqual(['x']);
    expect([...s.x]).toEqual([0.5, -0.015]);
  });

  it('treats a first column named date as labels even when its values are numbers', () => {
    const s = parseCsv('Date,x,y\n1973,1,2\n1974,3,4\n', src);
    expect(s.labels).toEqual(['1973', '1974']);
    expect(s.n).toBe(1);
  });

  it('drops an unnamed leading index column 0..T-1 or 1..T', () => {
    for (const start of [0, 1]) {
      const s = parseCsv(`,x,y\n${start},1,2\n${start + 1},3,4\n${start + 2},5,6\n`, src);
      expect(s.labels).toBeUndefined();
      expect(s.inputNames).toEqual(['x']);
      expect([...s.y]).toEqual([2, 4, 6]);
    }
  });

  it('keeps an unnamed leading column that is not a plain index as labels', () => {
    const s = parseCsv(',x,y\n3,1,2\n7,3,4\n', src);
    expect(s.labels).toEqual(['3', '7']);
  });

  it('handles CRLF line ends, a BOM, quoted fields with commas and escaped quotes, and blank lines', () => {
    const text = '\uFEFF"when, exactly",x,"y ""1"""\r\n"Feb, 1973",1,2\r\n\r\n"Mar, 1973","3",4\r\n';
    const s = parseCsv(text, src);
    expect(s.labels).toEqual(['Feb, 1973', 'Mar, 1973']);
    expect(s.targetNames).toEqual(['y "1"']);
    expect([...s.x]).toEqual([1, 3]);
    expect([...s.y]).toEqual([2, 4]);
  });

  it('takes several targets in the order given; the rest are inputs in file order', () => {
    const s = parseCsv('a,b,c,d\n1,2,3,4\n5,6,7,8\n', { ...src, targets: ['d', 'b'] });
    expect(s.targetNames).toEqual(['d', 'b']);
    expect(s.inputNames).toEqual(['a', 'c']);
    expect([...s.y]).toEqual([4, 2, 8, 6]);
    expect([...s.x]).toEqual([1, 3, 5, 7]);
  });

  it('accepts signs, exponents, leading dots and surrounding spaces', () => {
    const s = parseCsv('x,y\n +1.5 ,-.25\n2E3,1e-3\n', src);
    expect([...s.x]).toEqual([1.5, 2000]);
    expect([...s.y]).toEqual([-0.25, 0.001]);
  });

  it('counts physical lines across quoted newlines', () => {
    const recs = splitCsvRecords('h1,h2\n"a\nb",1\n2,3\n');
    expect(recs.map((r) => r.line)).toEqual([1, 2, 4]);
    expect(recs[1].fields).toEqual(['a\nb', '1']);
  });
});

describe('parseCsv: errors', () => {
  it('names the line, column and text of a non-number', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${i}`);
    rows[15] = 'abc,3'; // line 17 (header = line 1)
    const text = `TB,y\n${rows.join('\n')}\n`;
    expectDataError(text, ['data.csv line 17, column "TB": "abc" is not a number']);
  });

  it('reports an empty cell as a missing value, with the --missing choices', () => {
    expectDataError('x,y\n1,2\n3,\n', ['data.csv line 3, column "y": "" is a missing value; drop such rows with --missing drop, or repeat the value above with --missing ffill']);
  });

  it('rejects NaN (a missing value) and Infinity with line and column', () => {
    expectDataError('x,y\n1,2\nNaN,3\n', ['data.csv line 3, column "x"', '"NaN" is a missing value']);
    expectDataError('x,y\n1,2\n4,-Infinity\n', ['line 3, column "y"', '"-Infinity"']);
    expectDataError('x,y\n1,inf\n4,5\n', ['line 2, column "y"']);
    expectDataError('x,y\n1,1e400\n4,5\n', ['line 2, column "y"', '"1e400"', 'not a finite number']);
  });

  it('reports ragged rows with expected and actual field counts', () => {
    expectDataError('a,b,y\n1,2,3\n4,5\n6,7,8\n', ['data.csv line 3 has 2 fields, expected 3']);
    expectDataError('a,b,y\n1,2,3\n4,5,6,7\n', ['line 3 has 4 fields, expected 3']);
  });

  it('reports an empty file', () => {
    expectDataError('', ['data.csv is empty']);
    expectDataError('\n\r\n  \n', ['data.csv is empty']);
  });

  it('reports a header without enough rows, saying how many there are and are needed', () => {
    expectDataError('x,y\n', ['data.csv has 0 data rows', 'at least 2 are needed']);
    expectDataError('x,y\n1,2\n', ['data.csv has 1 data row after the header', 'at least 2 are needed']);
  });

  it('names a missing target column and lists the available ones', () => {
    expectDataError('a,b,y\n1,2,3\n4,5,6\n', ['data.csv: target column "RV" not found', 'available columns: a, b, y'], {
      ...src,
      targets: ['RV'],
    });
  });

  it('explains that the date column cannot be a target', () => {
    expectDataError('date,x,y\n1973-02,1,2\n1973-03,3,4\n', ['target column "date" not found', 'date/label column'], {
      ...src,
      targets: ['date'],
    });
  });

  it('rejects duplicate column names', () => {
    expectDataError('a,b,a\n1,2,3\n4,5,6\n', ['column name "a" appears twice', 'columns 1 and 3']);
  });

  it('rejects a target listed twice', () => {
    expectDataError('a,b,c\n1,2,3\n4,5,6\n', ['target column "c" is listed twice'], { ...src, targets: ['c', 'c'] });
  });

  it('rejects a file with no input column left', () => {
    expectDataError('a,b\n1,2\n3,4\n', ['no input column is left', '"a", "b"'], { ...src, targets: ['a', 'b'] });
    expectDataError('date,y\n1973-02,2\n1973-03,4\n', ['no input column is left']);
  });

  it('rejects an empty header name after the first column', () => {
    expectDataError('a,,y\n1,2,3\n4,5,6\n', ['line 1: column 2 has an empty name']);
  });

  it('reports an unclosed quote with the line it opens on', () => {
    expectDataError('x,y\n1,2\n"3,4\n', ['data.csv line 3: a quoted field is never closed']);
  });

  it('uses a generic source name when none is given', () => {
    expect(() => parseCsv('x,y\n1,2\n', {})).toThrow(/^CSV input has 1 data row/);
  });
});

describe('loadCsvFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alm-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file and names it in errors', () => {
    const good = join(dir, 'good.csv');
    writeFileSync(good, 'x,y\n1,2\n3,4\n');
    expect(loadCsvFile(good).T).toBe(2);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'x,y\n1,2\n3,oops\n');
    expect(() => loadCsvFile(bad)).toThrow(`${bad} line 3, column "y": "oops" is not a number`);
  });

  it('reports a missing file as a UserInputError naming the path', () => {
    const missing = join(dir, 'missing.csv');
    expect(() => loadCsvFile(missing)).toThrow(UserInputError);
    expect(() => loadCsvFile(missing)).toThrow(`file not found: ${missing}`);
  });
});

describe('parseCsv: files as people have them', () => {
  it('detects semicolon- and tab-separated files, or takes --delimiter', () => {
    for (const [text, d] of [['a;b;y\n1;2;3\n4;5;6\n', ';'], ['a\tb\ty\n1\t2\t3\n4\t5\t6\n', '\t']] as const) {
      const { series, report } = parseCsvWithReport(text, src);
      expect(report.delimiter).toBe(d);
      expect(series.inputNames).toEqual(['a', 'b']);
      expect([...series.y]).toEqual([3, 6]);
    }
    expect(detectDelimiter('"a;b",c,d\n')).toBe(',');
    expect([...parseCsv('a|y\n1|2\n3|4\n', { ...src, delimiter: parseDelimiter('|') }).y]).toEqual([2, 4]);
    expect(parseDelimiter('tab')).toBe('\t');
    expect(() => parseDelimiter('ab')).toThrow(/--delimiter must be one character/);
  });

  it('says "no header row?" when the first row is all numbers', () => {
    expectDataError('1,2,3\n4,5,6\n7,8,9\n', ['data.csv line 1: the first row is all numbers (1,2,3); no header row?']);
  });

  it('reports which columns became inputs, targets and labels', () => {
    const { report } = parseCsvWithReport('date,a,b,y\n2001-01,1,2,3\n2001-02,4,5,6\n', src);
    expect(report).toMatchObject({ inputs: ['a', 'b'], targets: ['y'], labelColumn: { name: 'date', kind: 'labels' }, droppedRows: 0 });
    expect(parseCsvWithReport(',a,y\n0,1,2\n1,3,4\n', src).report.labelColumn).toEqual({ name: '', kind: 'index' });
  });

  it('--missing drop drops the rows with a missing value (labels too), ffill repeats the value above', () => {
    const text = 'date,a,y\nd1,1,2\nd2,NA,3\nd3,4,\nd4,5,6\n';
    const dropped = parseCsvWithReport(text, { ...src, missing: 'drop' });
    expect(dropped.report.droppedRows).toBe(2);
    expect(dropped.series.labels).toEqual(['d1', 'd4']);
    expect([...dropped.series.x]).toEqual([1, 5]);
    const filled = parseCsvWithReport(text, { ...src, missing: 'ffill' });
    expect(filled.report.filledCells).toBe(2);
    expect([...filled.series.x]).toEqual([1, 1, 4, 5]);
    expect([...filled.series.y]).toEqual([2, 3, 3, 6]);
    expectDataError('a,y\n,1\n2,3\n4,5\n', ['line 2, column "a": a missing value in the first data row cannot be filled from above; use --missing drop'], { ...src, missing: 'ffill' });
    expectDataError('a,y\n,1\n2,\n4,5\n', ['1 of 3 rows are left after dropping'], { ...src, missing: 'drop' });
  });

  it('refuses a value whose square overflows, naming its line and column', () => {
    expectDataError('a,b,y\n1,2,3\n4,-1e308,6\n7,8,9\n', ['data.csv line 3, column "b": -1e308 is too large', 'rescale the column']);
    expect(() => parseCsv('a,b,y\n1,2,3\n4,1e150,6\n', src)).not.toThrow();
  });

  it('refuses decimal commas (which would make "0,03" text, and its column row labels) unless --decimal , reads them', () => {
    const text = 'a;b;y\n0,03;1;-1,5\n,5;2;2e-3\n1,25e2;3;4\n';
    expectDataError(text, ['data.csv line 2, column "a": "0,03" has a decimal comma; read the file with --decimal ,']);
    const { series, report } = parseCsvWithReport(text, { ...src, decimal: parseDecimal(',') });
    expect(report).toMatchObject({ delimiter: ';', decimal: ',', inputs: ['a', 'b'], targets: ['y'] });
    expect(report.labelColumn).toBeUndefined();
    expect([...series.x]).toEqual([0.03, 1, 0.5, 2, 125, 3]);
    expect([...series.y]).toEqual([-1.5, 2e-3, 4]);
    // Labels keep their commas; a comma-separated file cannot have decimal commas.
    expect(parseCsv('date;a;y\n"May 1, 2001";1,5;2\n"May 2, 2001";2;3\n', { decimal: ',' }).labels).toEqual(['May 1, 2001', 'May 2, 2001']);
    expectDataError('a,y\n1,2\n3,4\n', ['--decimal , needs fields separated by something other than a comma'], { ...src, decimal: ',' });
    expect(() => parseDecimal(';')).toThrow(/^--decimal must be "\." or ","/);
  });

  it('quotes at most an excerpt of an offending cell or name, never a whole 100 kB cell', () => {
    const huge = 'x'.repeat(100_000);
    const cases: [string, string[] | undefined, string][] = [
      [`a,y\n1,2\n${huge},3\n`, undefined, `line 3, column "a": "${'x'.repeat(40)}…" is not a number`],
      ['a,y\n1,2\n3,4\n', [huge], `target column "${'x'.repeat(40)}…" not found`],
      [`a,y\n1,2\n3,1${'0'.repeat(100_000)}\n`, undefined, `column "y": "1${'0'.repeat(39)}…" is not a finite number`],
    ];
    for (const [text, targets, fragment] of cases) {
      let message = '';
      try {
        parseCsv(text, { ...src, targets });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(fragment);
      expect(message.length).toBeLessThan(300);
    }
  });
});
