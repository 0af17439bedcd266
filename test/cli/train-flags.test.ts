// `alm-rnn train`'s flags as a user meets them: out-of-range seeds and caps are one line and
// exit 2 with nothing written; grid headers summarise their lists and tables mark the best
// trial; --init-from says where the weights come from; --resume compares only the flags
// given; --quiet; and Dawn's native warnings kept off the terminal when WebGPU falls back.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect, runCli, type CliResult } from '../helpers/cli.ts';

const small = ['train', '--dataset', 'synthetic-small', '--backend', 'cpu', '--outer', '2', '--inner', '2'];

/** A fresh empty folder to run in (so that "nothing is left behind" can be checked). */
function folder(): string {
  return mkdtempSync(join(tmpdir(), 'alm-flags-'));
}

/** The run failed as bad input: exit 2, one line on stderr matching `message`, nothing on stdout, no file in `cwd`. */
function expectRefused(res: CliResult, message: RegExp, cwd: string): void {
  expect(res.code, res.stderr).toBe(2);
  expect(res.stderr).toMatch(new RegExp(`^alm-rnn: ${message.source}\n$`));
  expect(res.stdout).toBe('');
  expect(readdirSync(cwd)).toEqual([]);
}

describe('alm-rnn train: flags, headers and terminal output', () => {
  it('refuses a seed outside 0…2³¹−2, quoting the text given (9007199254740993 is not read exactly)', async () => {
    const cwd = folder();
    const res = await runCli([...small, '--seed', '9007199254740993', '--out', 'm.json'], cwd);
    expectRefused(res, /--seed 9007199254740993 is out of range: a seed is an integer from 0 to 2147483646/, cwd);
    const negative = await runCli([...small, '--seed', '2,-1', '--out', 'm.json'], cwd);
    expectRefused(negative, /--seed -1 is out of range: a seed is an integer from 0 to 2147483646/, cwd);
  });

  it('caps have stated maxima: --inner 1e12, a 20 000-trial grid and --threads 1e6 are refused at once, and --help states them', async () => {
    const cwd = folder();
    const inner = await runCli(['train', '--dataset', 'synthetic-small', '--inner', '1e12', '--out', 'm.json'], cwd);
    expectRefused(inner, /inner = 1000000000000 is out of range: an integer from 1 to 100000/, cwd);
    const grid = await runCli([...small, '--seed', '1-10000', '--init', 'he,lecun', '--out', 'runs/'], cwd);
    expectRefused(grid, /20000 trials \(2 init × 1 tau × 10000 seed\) are more than the 10000 one grid may hold: run the grid in parts, e\.g\. split the seed list/, cwd);
    const threads = await runCli([...small, '--threads', '1e6', '--out', 'm.json'], cwd);
    expectRefused(threads, /--threads must be an integer from 1 to 256, got 1e6/, cwd);
    const help = await runCli(['train', '--help']);
    expect(help.stdout).toContain('at most 100000 and 100000');
    expect(help.stdout).toContain('integers from 0 to\n                            2147483646');
    expect(help.stdout).toContain('at most 10000 trials');
    expect(help.stdout).toContain('one per core; at most 256');
  });

  it('a grid header summarises its lists, and the table marks the lowest TrainErr ★ and says so', async () => {
    const res = await runCli([...small, '--seed', '1-4', '--init', 'he,lecun', '--tau', '0.3,1', '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('\n16 trials: init he, lecun × τ 0.3, 1 × seed 1–4\n');
    expect(res.stderr).not.toMatch(/relu, init/); // the data line no longer names the first trial alone
    const trainErrs = (JSON.parse(res.stdout) as { trials: { trainErr: number }[] }).trials.map((t) => t.trainErr);
    const best = trainErrs.indexOf(Math.min(...trainErrs));
    const marked = res.stderr.split('\n').filter((line) => line.startsWith('★ '));
    expect(marked).toEqual([expect.stringMatching(new RegExp(`^★ +${best} `)), expect.stringMatching(/^★ best: the lowest TrainErr/)]);
  });

  it('--init-from: a seed list that changes nothing is refused; the header says where the weights come from', async () => {
    const cwd = folder();
    const sp500 = ['train', '--dataset', 'sp500', '--hidden', '2', '--backend', 'cpu', '--outer', '1', '--inner', '1'];
    const made = await runCli([...sp500, '--out', 'm.json'], cwd);
    expect(made.code, made.stderr).toBe(0);
    const listed = await runCli([...sp500, '--init-from', 'm.json', '--seed', '1-3', '--out', 'runs/'], cwd);
    expect(listed.code, listed.stderr).toBe(2);
    expect(listed.stderr).toBe('alm-rnn: --seed lists 3 seeds, but with --init-from the seed only draws synthetic data, and sp500 does not depend on it: the trials would be identical (give one seed)\n');
    expect(readdirSync(cwd)).toEqual(['m.json']);
    const from = await runCli([...sp500, '--init-from', 'm.json'], cwd);
    expect(from.code, from.stderr).toBe(0);
    expect(from.stdout).toMatch(/^sp500: T=437 .*, relu, initial weights from m\.json, seed 1$/m);
    expect(from.stdout).not.toContain('normal-1e-1');
    // A τ list does change the run: its trials are labelled by where their weights come from.
    const taus = await runCli([...sp500, '--init-from', 'm.json', '--tau', '0.5,1'], cwd);
    expect(taus.code, taus.stderr).toBe(0);
    expect(taus.stdout).toContain('\n2 trials: init from m.json × τ 0.5, 1 × seed 1\n');
    expect(taus.stdout).toMatch(/^[ ★] +1 +from m\.json +1 +1 /m);
    // --out DIR/ names each file by where its weights come from, not by an initialiser that drew none.
    const out = await runCli([...sp500, '--init-from', 'm.json', '--tau', '0.5,1', '--out', 'runs/'], cwd);
    expect(out.code, out.stderr).toBe(0);
    expect(readdirSync(join(cwd, 'runs')).sort()).toEqual(['from-m_tau0.5_seed1.json', 'from-m_tau1_seed1.json']);
  });

  it('--resume compares only the flags given: a default is not a flag (--seed 1 resumes; --seed 2 is named)', async () => {
    const cwd = folder();
    const first = await runCli([...small, '--checkpoint', 'ck.json'], cwd);
    expect(first.code, first.stderr).toBe(0);
    // The checkpoint's data set is synthetic-small; the default --dataset (sp500) must not count.
    const resumed = await runCli(['train', '--backend', 'cpu', '--seed', '1', '--outer', '3', '--resume', 'ck.json'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('resuming after outer iteration 2');
    const other = await runCli(['train', '--seed', '2', '--outer', '4', '--resume', 'ck.json'], cwd);
    expect(other.code).toBe(2);
    expect(other.stderr).toBe('alm-rnn: --resume ck.json: --seed disagrees with the checkpoint: the checkpoint has 1, the command line gives 2\n');
  });

  it('--quiet prints the final line alone: the errors of a run, the best trial of a grid', async () => {
    const single = await runCli([...small, '--quiet']);
    expect(single.code, single.stderr).toBe(0);
    expect(single.stderr).toBe('');
    expect(single.stdout).toMatch(/^TrainErr \S+ {2}TestErr \S+ {2}FeasVio \S+ {2}γ \S+\n$/);
    const grid = await runCli([...small, '--quiet', '--seed', '1-3']);
    expect(grid.code, grid.stderr).toBe(0);
    expect(grid.stderr).toBe('');
    expect(grid.stdout).toMatch(/^best of 3 trials \(lowest TrainErr\): trial \d, init normal-1e-1, τ 1, seed \d: TrainErr \S+ {2}TestErr \S+ {2}FeasVio \S+\n$/);
  });

  it("keeps Dawn's native warnings off the terminal when WebGPU falls back to the CPU, and shows them with --verbose", async () => {
    const bin = fileURLToPath(new URL('../../bin/alm-rnn.mjs', import.meta.url));
    const args = ['train', '--dataset', 'synthetic-small', '--outer', '1', '--inner', '1'];
    const run = (extra: string[], icd = '/nonexistent.json') => collect(spawn(process.execPath, [bin, ...args, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VK_ICD_FILENAMES: icd },
    }));
    const plain = await run([]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toMatch(/^backend: cpu .*; auto: no WebGPU adapter: VK_ICD_FILENAMES names no existing Vulkan driver file \(\/nonexistent\.json\): point it at a driver's \.json file, or unset it\n/);
    const verbose = await run(['--verbose']);
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toContain('vkCreateInstance');
    expect(verbose.stdout).toMatch(/^backend: cpu .*; auto: no WebGPU adapter was found/);
    // A driver description whose library is not installed (the loader would print "cannot open
    // shared object file" and vkCreateInstance's failure): as quiet, the library named.
    const cwd = folder();
    writeFileSync(join(cwd, 'broken_icd.json'), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: '/nonexistent/libvk_broken.so', api_version: '1.3.0' } }));
    const broken = await run([], join(cwd, 'broken_icd.json'));
    expect(broken.code, broken.stderr).toBe(0);
    expect(broken.stderr).toBe('');
    expect(broken.stdout).toMatch(/^backend: cpu .*; auto: no WebGPU adapter: the Vulkan driver that VK_ICD_FILENAMES names has no library installed \(\/nonexistent\/libvk_broken\.so\): install the driver, or point VK_ICD_FILENAMES at another\n/);
  });
});
