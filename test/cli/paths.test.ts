// One rule for every command's paths (src/cli/output-paths.ts checkPaths), through the real
// command line in a temporary folder: two paths naming one file (also through a link, `..` or a
// hard link) are refused before any work; an existing file that is not an earlier output of the
// same kind needs --force; a device or FIFO is written in place, never replaced; --out DIR/ and
// --out - for a single run; the hint when no model is saved. Every refusal asserts the exit
// code, the one line, and that no file in the folder was lost, changed or left behind.
import { execFileSync } from 'node:child_process';
import {
  closeSync, constants, copyFileSync, linkSync, openSync, readSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../../src/alm/checkpoint-file.ts';
import { modelFromJson } from '../../src/problem/model-file.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alm-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (...parts: string[]): string => join(dir, ...parts);
const TRAIN = ['train', '--dataset', 'synthetic-small', '--backend', 'cpu', '--outer', '2', '--inner', '2'];
const CSV = 'a,b,c\n1,2,3\n2,3,5\n3,5,8\n4,6,9\n5,8,13\n6,9,15\n';
const cli = (args: string[]): Promise<CliResult> => runCli(args, dir);

/** Every entry under the folder (not following links): type, mode, device numbers, bytes. */
function snapshot(folder = dir): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (sub: string): void => {
    for (const name of readdirSync(join(folder, sub)).sort()) {
      const rel = join(sub, name);
      const st = lstatSync(join(folder, rel));
      const content = st.isFile() ? readFileSync(join(folder, rel)).toString('base64') : '';
      out[rel] = `mode ${st.mode.toString(8)} rdev ${st.rdev} ino ${st.ino} ${content}`;
      if (st.isDirectory()) walk(rel);
    }
  };
  walk('');
  return out;
}

/**
 * Runs commands that must each be refused (concurrently: they stop before any work): exit 2,
 * exactly one line on stderr, nothing on stdout, and no file in the folder touched.
 */
async function expectRefused(...cases: Array<[string[], RegExp]>): Promise<void> {
  const before = snapshot();
  const results = await Promise.all(cases.map(([args]) => cli(args)));
  results.forEach((res, i) => {
    expect(res.stderr.trimEnd()).toMatch(cases[i][1]);
    expect(res.stderr.trimEnd().split('\n'), res.stderr).toHaveLength(1);
    expect(res.stdout).toBe('');
    expect(res.code).toBe(2);
  });
  expect(snapshot()).toEqual(before);
}

beforeAll(async () => {
  // Real outputs of an earlier run: a model, its history and a checkpoint; and the user's data.
  const res = await cli([...TRAIN, '--out', 'm.json', '--history', 'h.json', '--checkpoint', 'ck.json']);
  expect(res.code, res.stderr).toBe(0);
  writeFileSync(at('d.csv'), CSV);
  writeFileSync(at('notes.txt'), 'the user\'s notes\n');
}, 30_000);

describe('two paths naming one file are refused before any work', () => {
  it('--out and --history', () => expectRefused([[...TRAIN, '--out', 'm.json', '--history', 'm.json'], /^alm-rnn: --out m\.json and --history m\.json are the same file: give each its own path$/]));

  it('--checkpoint and --out, and --resume (which goes on writing its checkpoint) and --history', async () => {
    await expectRefused(
      [[...TRAIN, '--checkpoint', 'ck.json', '--out', 'ck.json'], /^alm-rnn: --out ck\.json and --checkpoint ck\.json are the same file/],
      [['train', '--resume', 'ck.json', '--outer', '3', '--history', 'ck.json'], /^alm-rnn: --history ck\.json and --resume ck\.json are the same file/],
    );
  });

  it("the user's data: train --dataset d.csv --out d.csv, predict MODEL d.csv --out d.csv, and MODEL as --out", async () => {
    await expectRefused(
      [['train', '--dataset', 'd.csv', '--outer', '2', '--inner', '2', '--out', 'd.csv'], /^alm-rnn: --out d\.csv would overwrite --dataset d\.csv, the same file: give --out another path$/],
      [['predict', 'm.json', 'd.csv', '--out', 'd.csv'], /^alm-rnn: --out d\.csv would overwrite DATA d\.csv, the same file/],
      [['predict', 'm.json', 'd.csv', '--out', 'm.json'], /^alm-rnn: --out m\.json would overwrite MODEL m\.json, the same file/],
    );
  });

  it('through a symbolic link, `..` and a hard link', async () => {
    mkdirSync(at('sub'), { recursive: true });
    symlinkSync('d.csv', at('link.csv'));
    linkSync(at('d.csv'), at('hard.csv'));
    await expectRefused(
      [['train', '--dataset', 'link.csv', '--outer', '2', '--out', 'sub/../d.csv'], /^alm-rnn: --out sub\/\.\.\/d\.csv would overwrite --dataset link\.csv/],
      [['predict', 'm.json', 'hard.csv', '--out', 'd.csv'], /^alm-rnn: --out d\.csv would overwrite DATA hard\.csv/],
    );
    rmSync(at('link.csv'));
    rmSync(at('hard.csv'));
  });

  it("export: the TF.js model.json over the trained model in the same folder", async () => {
    mkdirSync(at('runs'), { recursive: true });
    copyFileSync(at('m.json'), at('runs', 'model.json'));
    await expectRefused([['export', '--format', 'tfjs', 'runs/model.json', 'runs'], /^alm-rnn: DIR runs\/model\.json would overwrite MODEL runs\/model\.json, the same file: give DIR another path$/]);
  });

  it('a per-trial file of --out DIR/ named by another flag', () => expectRefused([
    [...TRAIN, '--seed', '1,2', '--out', 'runs/', '--history', 'runs/normal-1e-1_tau1_seed2.json'],
    /^alm-rnn: --out runs\/normal-1e-1_tau1_seed2\.json and --history runs\/normal-1e-1_tau1_seed2\.json are the same file/,
  ]));

  it('experiment merge into one of its shards', async () => {
    mkdirSync(at('shard0'), { recursive: true });
    writeFileSync(at('shard0', 'results.json'), '{"format":"alm-rnn/experiment@1"}');
    await expectRefused([['experiment', 'merge', 'shard0', 'shard0', 'shard1'], /^alm-rnn: merge OUT shard0\/results\.json would overwrite merge DIR shard0\/results\.json, the same file/]);
  });
});

describe('an existing file that is not an earlier output of the same kind needs --force', () => {
  it('is refused without --force (train, predict, export, experiment)', async () => {
    mkdirSync(at('tf'), { recursive: true });
    writeFileSync(at('tf', 'weights.bin'), 'not ours');
    mkdirSync(at('exp'), { recursive: true });
    writeFileSync(at('exp', 'README.md'), '# my project\n');
    await expectRefused(
      [[...TRAIN, '--out', 'notes.txt'], /^alm-rnn: --out notes\.txt: the file exists and is not an alm-rnn model file: pass --force to replace it, or choose another path$/],
      [[...TRAIN, '--history', 'm.json'], /^alm-rnn: --history m\.json: the file exists and is not an alm-rnn history file: pass --force/],
      [['predict', 'm.json', 'd.csv', '--out', 'notes.txt'], /^alm-rnn: --out notes\.txt: the file exists and is not a predictions file of alm-rnn predict/],
      [['export', '--format', 'tfjs', 'm.json', 'tf'], /^alm-rnn: DIR tf\/weights\.bin: the file exists and is not the weights of a TF\.js model exported by alm-rnn/],
      [['experiment', '--dataset', 'synthetic-small', '--quick', '--out', 'exp'], /^alm-rnn: --out exp\/README\.md: the file exists and is not an alm-rnn experiment's report: pass --force/],
    );
  });

  it("a rerun replaces its own model and history; --force replaces the user's file", async () => {
    const model = readFileSync(at('m.json'), 'utf8');
    const res = await cli([...TRAIN, '--outer', '3', '--out', 'm.json', '--history', 'h.json', '--checkpoint', 'notes.txt', '--force']);
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(at('m.json'), 'utf8')).not.toBe(model);
    expect(JSON.parse(readFileSync(at('h.json'), 'utf8'))).toMatchObject({ format: 'alm-rnn/history@1', history: { length: 3 } });
    expect(readCheckpointFile(at('notes.txt')).trials[0].loop.k).toBe(3);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('special files are written in place or refused, never replaced', () => {
  let server: Server;
  beforeAll(async () => {
    execFileSync('mknod', [at('null'), 'c', '1', '3']);
    execFileSync('mknod', [at('full'), 'c', '1', '7']);
    execFileSync('mkfifo', [at('fifo')]);
    server = createServer();
    await new Promise<void>((resolve) => server.listen(at('sock'), resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a character device and a FIFO take the model in place and stay what they were', async () => {
    const before = snapshot();
    const toNull = await cli([...TRAIN, '--out', 'null', '--history', 'null']);
    expect(toNull.code, toNull.stderr).toBe(0);
    expect(toNull.stdout).toContain('model written to null');
    // A reader holds the FIFO open (non-blocking, so that a failed run cannot hang the test); the model fits its buffer.
    const reader = openSync(at('fifo'), constants.O_RDONLY | constants.O_NONBLOCK);
    const res = await runCli([...TRAIN, '--out', 'fifo'], dir);
    expect(res.code, res.stderr).toBe(0);
    const buf = Buffer.alloc(1 << 16);
    const model = buf.subarray(0, readSync(reader, buf)).toString('utf8');
    closeSync(reader);
    expect(modelFromJson(JSON.parse(model)).weights.r).toBe(4);
    expect(snapshot()).toEqual(before);
  });

  it('a device that fails the write (/dev/full): the model goes to the temporary folder, the device stays', async () => {
    const before = snapshot();
    const res = await cli([...TRAIN, '--out', 'full']);
    const fallback = res.stderr.match(/^alm-rnn: could not write --out full \(the disk is full\); the model was written to (\S+) instead$/m)?.[1];
    expect(fallback, res.stderr).toMatch(new RegExp(`^${tmpdir()}/full\\.recovered-\\d+\\.json$`));
    expect(res.code).toBe(2);
    expect(modelFromJson(JSON.parse(readFileSync(fallback!, 'utf8'))).weights.r).toBe(4);
    rmSync(fallback!);
    expect(snapshot()).toEqual(before);
  });

  it('a checkpoint on a device, and a socket, are refused', async () => {
    await expectRefused(
      [[...TRAIN, '--checkpoint', 'null'], /^alm-rnn: --checkpoint null: it is a character device, not a regular file \(it is rewritten and read back\): give a regular file$/],
      [[...TRAIN, '--out', 'sock'], /^alm-rnn: --out sock: it is a socket, not a regular file/],
      [[...TRAIN, '--checkpoint', 'fifo'], /^alm-rnn: --checkpoint fifo: it is a FIFO, not a regular file/],
    );
  });

  it('--out - streams the model to standard output, the progress to standard error; --json there too is refused', async () => {
    const res = await cli([...TRAIN, '--out', '-']);
    expect(res.code, res.stderr).toBe(0);
    expect(modelFromJson(JSON.parse(res.stdout)).weights.r).toBe(4);
    expect(res.stderr).toMatch(/^\s+2\s/m);
    await expectRefused([[...TRAIN, '--out', '-', '--json'], /^alm-rnn: --json and --out both write to standard output: send one of them to a file$/]);
  });
});

describe('a single run', () => {
  it('--out DIR/ writes one model file named by its settings', async () => {
    const res = await cli([...TRAIN, '--seed', '3', '--out', 'single/']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('model written to single/normal-1e-1_tau1_seed3.json');
    expect(readdirSync(at('single'))).toEqual(['normal-1e-1_tau1_seed3.json']);
    // Without --out nothing is saved, and the summary says how to keep the model.
    const bare = await cli(TRAIN);
    expect(bare.stdout.trimEnd().split('\n').at(-1)).toBe('no model was saved: add --out model.json to keep it');
  });
});
