// `alm-rnn predict` end to end, `alm-rnn --version`, and the CSV handling `train` reports.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alm-predict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => join(dir, name);
const DATA = 'src/problem/datasets/welch-goyal/sp500_volatility_monthly.csv';

describe('alm-rnn predict', () => {
  it('predicts in raw units; its standardised error over the series is what train reported', async () => {
    const trained = await runCli(['train', '--dataset', DATA, '--targets', 'log_rvol', '--backend', 'cpu', '--outer', '3', '--inner', '5', '--hidden', '8', '--out', file('m.json'), '--json']);
    expect(trained.code, trained.stderr).toBe(0);
    const summary = JSON.parse(trained.stdout);
    const res = await runCli(['predict', file('m.json'), DATA, '--out', file('p.csv')]);
    expect(res.code, res.stderr).toBe(0);
    const lines = readFileSync(file('p.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('date,log_rvol_pred,log_rvol');
    expect(lines).toHaveLength(438);
    expect(lines[1]).toMatch(/^1973-02,-\d\.\d+,-3\.336501939719$/); // raw units: log volatility near -3
    const standardized = Number(res.stdout.match(/standardised units \(as TrainErr\/TestErr\) (\S+)/)![1]);
    const { T1, T, trainErr, testErr } = summary;
    expect(standardized).toBeCloseTo((T1 * trainErr + (T - T1) * testErr) / T, 5);
    expect(res.stdout).toMatch(/437 steps predicted from h₀ = 0/);
  });

  it('--warmup predicts the rest of the series; without --out the CSV goes to stdout', async () => {
    const res = await runCli(['predict', file('m.json'), DATA, '--warmup', '393']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim().split('\n')).toHaveLength(45);
    expect(res.stderr).toMatch(/44 steps predicted after a warm-up of 393/);
  });

  it.each([
    [['predict', 'MODEL'], /expected a model file and a data file .* got 1 argument/],
    [['predict', 'MODEL', 'NOCOL'], /nocol\.csv has no column "dp", "ep", .* that the model takes as input; its columns: a, b/],
    [['predict', 'MODEL', DATA, '--warmup', '437'], /--warmup must be an integer in \[0, 436\]/],
    [['predict', 'MODEL', DATA, '--out', '/nonexistent-dir/p.csv'], /--out \/nonexistent-dir\/p\.csv: cannot write there, the folder \/nonexistent-dir does not exist/],
    [['predict', DATA, DATA], /is not a model file: not valid JSON/],
  ])('refuses %j in one line, exit 2', async (args, message) => {
    writeFileSync(file('nocol.csv'), 'a,b\n1,2\n3,4\n');
    const res = await runCli(args.map((a) => (a === 'MODEL' ? file('m.json') : a === 'NOCOL' ? file('nocol.csv') : a)));
    expect(res.stderr).toMatch(message);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('alm-rnn predict: model files and data that would mislead', () => {
  /** The folder's files and their bytes, to show that a refusal changed and left nothing. */
  const snapshot = (): Record<string, string> =>
    Object.fromEntries(readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => [e.name, readFileSync(file(e.name), 'latin1')]));
  // h_t = relu(w h_{t−1} + x_t), ŷ_t = 2 h_t + 1: with w = 1e200 the state overflows at step 3 of a series of ones.
  const tiny = (w: number): string => JSON.stringify({
    format: 'alm-rnn/elman@1', activation: 'relu', r: 1, n: 1, m: 1, W: [[w]], V: [[1]], b: [0], A: [[2]], c: [1], columns: { inputs: ['a'], targets: ['y'] },
  });

  it.each([
    ['a folder as the model', () => [dir, DATA], /^alm-rnn: \S+ is a directory, not a model file$/],
    ['a model file naming one input column twice', () => {
      const m = JSON.parse(readFileSync(file('m.json'), 'utf8'));
      m.columns.inputs[1] = m.columns.inputs[0];
      writeFileSync(file('dup.json'), JSON.stringify(m));
      return [file('dup.json'), DATA];
    }, /^alm-rnn: \S+dup\.json: model file: field "columns\.inputs" names the column "dp" twice \(entries 0 and 1\): each input must be a column of its own; .*$/],
    ['a model whose predictions overflow', () => {
      writeFileSync(file('overflow.json'), tiny(1e200));
      writeFileSync(file('ones.csv'), 'a,y\n1,0\n1,0\n1,0\n1,0\n');
      return [file('overflow.json'), file('ones.csv')];
    }, /^alm-rnn: \S+ones\.csv: the model's prediction of "y" is Infinity at step 3 \(2 of 4 predictions are not finite\): its hidden state overflows on these inputs; check .*$/],
    ['decimal commas without --decimal ,', () => {
      writeFileSync(file('tiny.json'), tiny(0.5));
      writeFileSync(file('comma.csv'), 'a;y\n0,5;1\n1,5;2\n');
      return [file('tiny.json'), file('comma.csv')];
    }, /^alm-rnn: \S+comma\.csv line 2, column "a": "0,5" has a decimal comma; read the file with --decimal , \(or write the numbers with a decimal point\)$/],
    ['a 256 kB cell', () => {
      writeFileSync(file('big.csv'), `a,y\n1,2\n${'x'.repeat(1 << 18)},3\n`);
      return [file('tiny.json'), file('big.csv')];
    }, /^alm-rnn: \S+big\.csv line 3, column "a": "x{40}…" is not a number$/],
  ])('refuses %s in one line, exit 2, writing nothing', async (_, prepare, message) => {
    const args = prepare();
    const before = snapshot();
    const res = await runCli(['predict', ...args, '--out', file('out.csv')]);
    expect(res.stderr.trimEnd()).toMatch(message); // one line: the patterns match no newline
    expect(res.stderr.length).toBeLessThan(400);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(existsSync(file('out.csv'))).toBe(false);
    expect(snapshot()).toEqual(before);
  });

  it('reads decimal commas with --decimal ,', async () => {
    const res = await runCli(['predict', file('tiny.json'), file('comma.csv'), '--decimal', ',']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('y_pred,y\n2,1\n4.5,2\n'); // h = 0.5, then relu(0.25 + 1.5)
  });
});

describe('alm-rnn --version', () => {
  it('prints the version of package.json', async () => {
    const res = await runCli(['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe(`alm-rnn ${JSON.parse(readFileSync('package.json', 'utf8')).version}`);
  });
});

describe('alm-rnn train reads CSV files as people have them', () => {
  const QUICK = ['train', '--backend', 'cpu', '--outer', '1', '--inner', '1'];
  const rows = Array.from({ length: 12 }, (_, t) => [`2001-${String(t + 1).padStart(2, '0')}`, Math.sin(t), Math.cos(t), (t * 7) % 5]);

  it('tells which columns became inputs, targets and labels, for a semicolon .txt and a tab .tsv', async () => {
    writeFileSync(file('semi.txt'), ['date;a;b;y', ...rows.map((r) => r.join(';'))].join('\n'));
    writeFileSync(file('tabs.tsv'), ['date\ta\tb\ty', ...rows.map((r) => r.join('\t'))].join('\n'));
    const semi = await runCli([...QUICK, '--dataset', file('semi.txt')]);
    expect(semi.code, semi.stderr).toBe(0);
    expect(semi.stdout).toContain('columns, separated by ";": inputs a, b; target y; dropped "date" (kept as row labels)');
    const tabs = await runCli([...QUICK, '--dataset', file('tabs.tsv'), '--targets', 'a']);
    expect(tabs.code, tabs.stderr).toBe(0);
    expect(tabs.stdout).toContain('columns, tab-separated: inputs b, y; target a; dropped "date"');
  });

  it('--missing drop and ffill, and the default refusal', async () => {
    const holes = rows.map((r, t) => (t === 4 ? [r[0], '', r[2], r[3]] : r));
    writeFileSync(file('holes.csv'), ['date,a,b,y', ...holes.map((r) => r.join(','))].join('\n'));
    const refused = await runCli([...QUICK, '--dataset', file('holes.csv')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holes\.csv line 6, column "a": "" is a missing value; drop such rows with --missing drop, or repeat the value above with --missing ffill/);
    const dropped = await runCli([...QUICK, '--dataset', file('holes.csv'), '--missing', 'drop']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stdout).toMatch(/T=11 .*\n.*1 row with missing values dropped/);
    const filled = await runCli([...QUICK, '--dataset', file('holes.csv'), '--missing', 'ffill']);
    expect(filled.stdout).toMatch(/T=12 .*\n.*1 missing value filled from above/);
    const bad = await runCli([...QUICK, '--dataset', file('holes.csv'), '--missing', 'zero']);
    expect(bad.stderr).toMatch(/--missing must be one of error, drop, ffill, got "zero"/);
  });

  it('a first row of numbers gets "no header row?"', async () => {
    writeFileSync(file('nohead.csv'), rows.map((r) => r.slice(1).join(',')).join('\n'));
    const res = await runCli([...QUICK, '--dataset', file('nohead.csv')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/nohead\.csv line 1: the first row is all numbers \(0,1,0\); no header row\?/);
  });

  it('--standardize none is --no-standardize, as the experiment has it', async () => {
    const res = await runCli([...QUICK, '--dataset', 'welch-goyal', '--standardize', 'none', '--json']);
    const res2 = await runCli([...QUICK, '--dataset', 'welch-goyal', '--no-standardize', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout).trainErr).toBe(JSON.parse(res2.stdout).trainErr);
  });
});
