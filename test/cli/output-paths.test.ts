// Output paths: checked before any work (missing folder, a folder given as the file, a folder no
// file can be created in), and a model that only exists in memory is never lost: when the
// asked path cannot be written it goes beside it, then to the temporary folder, and no
// temporary file of the atomic write is left behind.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/alm/checkpoint-file.ts';
import { checkPaths, checkWritableDir, checkWritableFile, sameFile, writeWithFallback } from '../../src/cli/output-paths.ts';
import { UserInputError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'alm-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder no file can be created in: as root, chmod does not stop writes, but sysfs refuses everyone. */
function unwritableDir(): string | undefined {
  if (process.getuid?.() !== 0) {
    const d = join(dir, 'ro');
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o555);
    return d;
  }
  return existsSync('/sys/kernel') ? '/sys' : undefined;
}

describe('checkWritableFile', () => {
  it('accepts a new file in a writable folder and leaves nothing there', () => {
    checkWritableFile(join(dir, 'ok.json'), '--out');
    expect(readdirSync(dir).filter((f) => f.startsWith('.alm-rnn-probe') || f === 'ok.json')).toEqual([]);
  });

  it.each([
    ['a missing folder', () => join(dir, 'nope', 'm.json'), /--out .*nope\/m\.json: cannot write there, the folder .*nope does not exist \(create it first\)/],
    ['a folder given as the file', () => dir, /cannot write there, it is a folder \(give a file name inside it\)/],
    ['a file used as a folder', () => { writeFileSync(join(dir, 'plain'), ''); return join(dir, 'plain', 'm.json'); }, /plain is a file, not a folder/],
  ])('refuses %s, naming the path and the reason', (_label, path, message) => {
    expect(() => checkWritableFile(path(), '--out')).toThrow(UserInputError);
    expect(() => checkWritableFile(path(), '--out')).toThrow(message);
  });

  it('refuses a folder no file can be created in', () => {
    const ro = unwritableDir();
    if (ro === undefined) return; // no such folder on this system
    expect(() => checkWritableFile(join(ro, 'm.json'), '--history')).toThrow(/--history .*m\.json: cannot write there, the folder .* is not writable/);
  });
});

describe('checkWritableDir', () => {
  it('accepts a folder that can be created, and refuses a file or an unwritable parent', () => {
    checkWritableDir(join(dir, 'new', 'deeper'), '--out');
    expect(existsSync(join(dir, 'new'))).toBe(false);
    writeFileSync(join(dir, 'afile'), '');
    expect(() => checkWritableDir(join(dir, 'afile'), 'DIR')).toThrow(/DIR .*afile: cannot write there, it is a file, not a folder/);
    const ro = unwritableDir();
    if (ro !== undefined) expect(() => checkWritableDir(join(ro, 'out'), '--out')).toThrow(/is not writable/);
  });
});

describe('writeFileAtomic and writeWithFallback', () => {
  it('a failed rename leaves no temporary file', () => {
    const target = join(dir, 'target-is-dir');
    mkdirSync(join(target, 'inside'), { recursive: true }); // a non-empty folder where the file should go
    expect(() => writeFileAtomic(target, 'x')).toThrow();
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes beside the asked path when only that path fails, and says why', () => {
    const target = join(dir, 'model.json');
    mkdirSync(join(target, 'x'), { recursive: true });
    const outcome = writeWithFallback(target, 'model');
    expect(outcome.failure).toBe('it is a folder');
    expect(outcome.path).toBe(join(dir, `model.recovered-${process.pid}.json`));
    expect(readFileSync(outcome.path, 'utf8')).toBe('model');
  });

  it('falls back to the temporary folder when the asked folder is gone (an injected writer that fails there)', () => {
    const gone = join(dir, 'gone');
    const write = (p: string, t: string): void => {
      if (p.startsWith(gone)) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      writeFileAtomic(p, t);
    };
    const outcome = writeWithFallback(join(gone, 'm.json'), 'model', write);
    expect(outcome).toEqual({ path: join(tmpdir(), `m.recovered-${process.pid}.json`), failure: 'the disk is full' });
    expect(readFileSync(outcome.path, 'utf8')).toBe('model');
    rmSync(outcome.path);
  });

  it('throws a UserInputError naming every place when nothing can be written', () => {
    const write = (): void => {
      throw Object.assign(new Error('EROFS'), { code: 'EROFS' });
    };
    expect(() => writeWithFallback('/x/m.json', 'model', write)).toThrow(/cannot write \/x\/m\.json \(the file system is read-only\), nor a fallback/);
  });
});

describe('checkPaths (the CLI tests in paths.test.ts run it through every command)', () => {
  const plan = (path: string, kind: 'model' | 'history' = 'history', force = false) => ({ reads: [], writes: [{ flag: '--history', path, kind }], force });

  it('lets an empty file or a history written before the "format" field be replaced without --force, not a foreign one', () => {
    writeFileSync(join(dir, 'empty.json'), '');
    writeFileSync(join(dir, 'old-history.json'), '{\n "config": {\n  "dataset": "sp500"}, "history": []}\n');
    writeFileSync(join(dir, 'data.json'), '{"config": 1}');
    checkPaths(plan(join(dir, 'empty.json')));
    checkPaths(plan(join(dir, 'old-history.json')));
    expect(() => checkPaths(plan(join(dir, 'data.json')))).toThrow(/--history .*data\.json: the file exists and is not an alm-rnn history file: pass --force/);
    checkPaths(plan(join(dir, 'data.json'), 'history', true));
  });

  it('sees one file through a link to a folder and `..`, for files still to be written', () => {
    mkdirSync(join(dir, 'real', 'deep'), { recursive: true });
    symlinkSync(join(dir, 'real', 'deep'), join(dir, 'deeplink'));
    // deeplink/.. is real/ (the kernel's reading), not dir/ (the lexical one).
    expect(sameFile(join(dir, 'deeplink') + '/../x.json', join(dir, 'real', 'x.json'))).toBe(true);
    expect(sameFile(join(dir, 'deeplink') + '/../x.json', join(dir, 'x.json'))).toBe(false);
    expect(sameFile(join(dir, 'a.json'), join(dir, 'b.json'))).toBe(false);
  });
});
