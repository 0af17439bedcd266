// `alm-rnn train` when things go wrong: output paths refused before any work, writes that fail
// after training (the model goes to a fallback file), a second Ctrl-C, a linear-algebra failure
// mid-run, and inputs that used to end in a stack trace. Each asserts the message, the exit
// code and which files exist afterwards.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkpointToJson } from '../../src/alm/checkpoint.ts';
import { readCheckpointFile } from '../../src/alm/checkpoint-file.ts';
import { modelFromJson } from '../../src/problem/model-file.ts';
import { collect, runCli, startCli, type CliResult } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alm-fail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (...parts: string[]): string => join(dir, ...parts);
const QUICK = ['train', '--dataset', 'synthetic-small', '--backend', 'cpu', '--outer', '2', '--inner', '2'];
/** A run long enough to be interrupted: sp500 with r=20, seconds per outer iteration on a small CPU. */
const LONG = ['train', '--dataset', 'sp500', '--backend', 'cpu', '--outer', '1000', '--inner', '50'];

function expectUserError(res: CliResult, message: RegExp): void {
  expect(res.stderr).toMatch(message);
  expect(res.code).toBe(2);
  expect(res.stderr).not.toMatch(/\n\s+at /);
}

const tmpLeftovers = (folder: string): string[] => readdirSync(folder).filter((f) => f.includes('.tmp-'));

/** Starts a long run and calls `act` once the first outer iteration's row is printed. */
async function interrupt(args: string[], act: (child: ReturnType<typeof startCli>) => void): Promise<CliResult> {
  const child = startCli(args);
  let out = '';
  let acted = false;
  child.stdout!.on('data', (d) => {
    out += d;
    if (!acted && /^\s+1\s+\d/m.test(out)) {
      acted = true;
      act(child);
    }
  });
  const res = await collect(child);
  return { ...res, stdout: out };
}

describe('output paths are checked before any work', () => {
  it.each([
    ['--out in a missing folder', ['--out', file('missing', 'm.json')], /--out .*missing\/m\.json: cannot write there, the folder .*missing does not exist/],
    ['--checkpoint that is a folder', ['--checkpoint', dir], /--checkpoint .*: cannot write there, it is a folder/],
    ['--history under a file', ['--history', file('plain.txt', 'h.json')], /--history .*plain\.txt\/h\.json: cannot write there, .*plain\.txt is a file, not a folder/],
  ])('%s', async (_label, args, message) => {
    writeFileSync(file('plain.txt'), '');
    const res = await runCli([...QUICK, ...args]);
    expectUserError(res, message);
    expect(res.stdout).toBe(''); // refused before the data were even loaded
  });

  it('a folder no file can be created in (sysfs as root; a chmod 555 folder otherwise)', async () => {
    let ro = '/sys';
    if (process.getuid?.() !== 0) {
      ro = file('ro');
      mkdirSync(ro);
      (await import('node:fs')).chmodSync(ro, 0o555);
    } else if (!existsSync('/sys/kernel')) return;
    const res = await runCli([...QUICK, '--out', join(ro, 'm.json')]);
    expectUserError(res, /--out .*m\.json: cannot write there, the folder .* is not writable/);
  });
});

describe('a trained model is never lost', () => {
  it('the --out path turned into a folder mid-run: the model goes beside it, exit 2, no temporary file', async () => {
    const out = file('beside', 'm.json');
    mkdirSync(file('beside'));
    const res = await interrupt([...LONG, '--out', out], (child) => {
      mkdirSync(join(out, 'x'), { recursive: true });
      child.kill('SIGINT');
    });
    expect(res.code).toBe(2);
    const fallback = res.stderr.match(/could not write --out .*m\.json \(it is a folder\); the model was written to (\S+) instead/)?.[1];
    expect(fallback, res.stderr).toBe(file('beside', `m.recovered-${fallback?.match(/(\d+)\.json$/)?.[1]}.json`));
    expect(modelFromJson(JSON.parse(readFileSync(fallback!, 'utf8'))).weights.n).toBe(11);
    expect(tmpLeftovers(file('beside'))).toEqual([]);
  });

  it('the --out folder replaced by a file mid-run: the model goes to the temporary folder', async () => {
    mkdirSync(file('gone'));
    const out = file('gone', 'm.json');
    const res = await interrupt([...LONG, '--out', out, '--history', file('gone', 'h.json')], (child) => {
      rmSync(file('gone'), { recursive: true });
      writeFileSync(file('gone'), 'now a file');
      child.kill('SIGINT');
    });
    expect(res.code).toBe(2);
    const fallback = res.stderr.match(/could not write --out .*m\.json \(a part of its folder path is a file, not a folder\); the model was written to (\S+) instead/)?.[1];
    expect(fallback, res.stderr).toMatch(new RegExp(`^${tmpdir()}/m\\.recovered-\\d+\\.json$`));
    expect(modelFromJson(JSON.parse(readFileSync(fallback!, 'utf8'))).weights.r).toBe(20);
    expect(res.stderr).toMatch(/could not write --history .*h\.json .*the history was written to \S+ instead/);
    rmSync(fallback!);
    rmSync(res.stderr.match(/the history was written to (\S+) instead/)![1]);
  });

  it('a second Ctrl-C quits at once and still writes --out from the last completed outer iteration', async () => {
    const out = file('double.json');
    const res = await interrupt([...LONG, '--inner', '400', '--check-every', '400', '--out', out], (child) => {
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGINT'), 50);
    });
    expect(res.code).toBe(130);
    expect(res.stdout).toMatch(/model of outer iteration \d+ written to .*double\.json \(quit at once\)/);
    expect(modelFromJson(JSON.parse(readFileSync(out, 'utf8'))).weights.n).toBe(11);
    expect(tmpLeftovers(dir)).toEqual([]);
  });
});

describe('a linear-algebra failure mid-run', () => {
  it('is one line with the cause and the remedy, exit 2, and --out holds the last completed iterate', async () => {
    // τ this small leaves γPPᵀ + 2Λ_w numerically singular (K = r+n+1 = 10 > T1 = 9) once γ has grown: iteration 12 (js kernels) or 15 (wasm) fails.
    const out = file('numerical.json');
    const res = await runCli([...QUICK, '--outer', '30', '--inner', '5', '--tau', '1e-15', '--eta2', '0.5', '--out', out]);
    expectUserError(res, /^alm-rnn: the w-block matrix γPPᵀ \+ 2Λ_w is not positive definite \(pivot 10 of 10 is -\S+\)\. The regularisation is too weak for this data: raise τ \(--tau, .*\) or μ \(--mu\), lower γ0 \(--gamma0\), and check the data for constant or duplicated input columns$/m);
    expect(res.stdout).toMatch(/model of outer iteration \d+ written to .*numerical\.json \(the run failed\)/);
    expect(modelFromJson(JSON.parse(readFileSync(out, 'utf8'))).weights.r).toBe(4);
  });
});

describe('inputs that used to end in a stack trace', () => {
  const csv = (name: string, text: string): string => {
    writeFileSync(file(name), text);
    return file(name);
  };
  const cases: [string, string[], RegExp][] = [
    ['--tau 0', ['--tau', '0'], /tau = 0 is out of range: a finite number > 0 \(with τ = 0 the w-block matrix γPPᵀ \+ 2Λ_w can be singular\)/],
    ['--tau -1 (a negative flag value)', ['--tau', '-1'], /tau = -1 is out of range: a finite number > 0/],
    ['--hidden -3', ['--hidden', '-3'], /hidden = -3 is out of range: an integer from 1 to 10000/],
    ['--gamma0 -2 given as two words', ['--gamma0', '-2'], /gamma0 = -2 is out of range/],
    ['--hidden 100000', ['--hidden', '100000'], /hidden = 100000 is out of range: an integer from 1 to 10000/],
    ['a CSV cell of 1e308', ['--dataset', csv('huge.csv', 'a,b,y\n1,2,3\n4,1e308,6\n7,8,9\n1,2,1\n')], /huge\.csv line 3, column "b": 1e308 is too large/],
    ['a CSV cell of 1e308 with --no-standardize', ['--no-standardize', '--dataset', csv('huge2.csv', 'a,b,y\n1,2,3\n4,1e308,6\n7,8,9\n1,2,1\n')], /huge2\.csv line 3, column "b": 1e308 is too large/],
  ];
  it.each(cases)('%s', async (_label, args, message) => {
    expectUserError(await runCli([...QUICK, ...args]), message);
  });

});

describe('checkpoints are validated field by field', () => {
  it.each([
    ['γ = −5', (cp: Record<string, any>) => { cp.loop.gamma = -5; }, /field "loop\.gamma" must be a finite number > 0, got -5/],
    ['a string inside state.u', (cp: Record<string, any>) => { cp.state.u[3] = 'abc'; }, /field "state\.u" entry 3 must be a finite number, got "abc"/],
    ['a short h', (cp: Record<string, any>) => { cp.state.h = cp.state.h.slice(1); }, /field "state\.h" must hold 180 numbers, not 179/],
    ['a parameter out of range', (cp: Record<string, any>) => { cp.config.params.eta1 = 2; }, /field "config\.params" is out of range: eta1 = 2/],
    ['a missing loop', (cp: Record<string, any>) => { delete cp.loop; }, /field "loop" must be an object, got nothing \(the field is missing\)/],
  ])('%s', async (_label, edit, message) => {
    const cpPath = file('cp-base.json');
    if (!existsSync(cpPath)) {
      const res = await runCli(['train', '--dataset', 'sp500', '--backend', 'cpu', '--outer', '1', '--inner', '1', '--hidden', '20', '--train-fraction', '0.0206', '--checkpoint', cpPath]);
      expect(res.code, res.stderr).toBe(0);
    }
    const cp = JSON.parse(checkpointToJson(readCheckpointFile(cpPath).trials[0]));
    edit(cp);
    const bad = file('cp-bad.json');
    writeFileSync(bad, JSON.stringify(cp));
    expectUserError(await runCli(['train', '--resume', bad, '--backend', 'cpu']), message);
  });
});
