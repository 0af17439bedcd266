// Output paths of the commands (--out, --checkpoint, --history, experiment --out, export DIR):
// checked before any work, so that a typo in a folder name costs nothing instead of a trained
// model; and a last-resort writer for results that exist only in memory (a trained model),
// which falls back to a file beside the asked one, then to the OS temporary folder.
import { closeSync, existsSync, openSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { describeWriteError, writeFileAtomic } from '../alm/checkpoint-file.ts';
import { UserInputError } from '../errors.ts';

/**
 * Proves that a file can be created in `dir` by creating and removing one (access(2) says yes
 * to root on a read-only folder, and says nothing about a full disk); returns why not, or null.
 */
function probeDir(dir: string): string | null {
  const probe = join(dir, `.alm-rnn-probe-${process.pid}-${Date.now()}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    // ENOENT inside an existing folder: a pseudo file system (/proc) that creates no files.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no file can be created in it' : describeWriteError(err);
  }
  try {
    unlinkSync(probe);
  } catch {
    // The probe was created, so the folder is writable; a probe that cannot be removed is harmless.
  }
  return null;
}

/** Refuses (UserInputError naming the flag, the path and the reason) a file path that cannot be written. */
export function checkWritableFile(path: string, flag: string): void {
  const refuse = (reason: string): never => {
    throw new UserInputError(`${flag} ${path}: cannot write there, ${reason}`);
  };
  if (path === '' || path.endsWith('/')) refuse('the path names a folder, not a file');
  if (existsSync(path) && statSync(path).isDirectory()) refuse('it is a folder (give a file name inside it)');
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) refuse(`the folder ${dirname(path)} does not exist (create it first)`);
  if (!statSync(dir).isDirectory()) refuse(`${dirname(path)} is a file, not a folder`);
  const why = probeDir(dir);
  if (why !== null) refuse(`the folder ${dirname(path)} is not writable (${why})`);
}

/**
 * Refuses a folder that cannot be written into. A missing folder is fine when it can be
 * created (its nearest existing parent is a writable folder), as these commands create it.
 */
export function checkWritableDir(path: string, flag: string): void {
  const refuse = (reason: string): never => {
    throw new UserInputError(`${flag} ${path}: cannot write there, ${reason}`);
  };
  let dir = resolve(path);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) refuse('it is a file, not a folder');
  } else {
    while (!existsSync(dir)) dir = dirname(dir);
    if (!statSync(dir).isDirectory()) refuse(`${dir} is a file, not a folder`);
  }
  const why = probeDir(dir);
  if (why !== null) refuse(`${dir === resolve(path) ? 'the folder' : `its parent ${dir}`} is not writable (${why})`);
}

/** Where a result was written: the asked path, or a fallback when that failed (with the reason). */
export interface WriteOutcome {
  path: string;
  /** Set when `path` is a fallback: why the asked path could not be written. */
  failure?: string;
}

/**
 * Writes text that exists only in memory (a trained model) atomically to `path`; when that
 * fails, to `NAME.recovered-<pid>.json` beside it, then to the OS temporary folder. Throws
 * only when every place failed. `write` is injectable for tests of the fallback.
 */
export function writeWithFallback(path: string, text: string, write: (p: string, t: string) => void = writeFileAtomic): WriteOutcome {
  let failure: string;
  try {
    write(path, text);
    return { path };
  } catch (err) {
    failure = describeWriteError(err);
  }
  const name = `${basename(path).replace(/\.json$/i, '')}.recovered-${process.pid}.json`;
  const errors: string[] = [];
  for (const candidate of [join(dirname(path), name), join(tmpdir(), name)]) {
    try {
      write(candidate, text);
      return { path: candidate, failure };
    } catch (err) {
      errors.push(`${candidate}: ${describeWriteError(err)}`);
    }
  }
  throw new UserInputError(`cannot write ${path} (${failure}), nor a fallback (${errors.join('; ')})`);
}

/** Checks the output-file flags that are set (e.g. out, checkpoint, history) before any work. */
export function checkOutputFlags(values: Record<string, unknown>, flags: readonly string[]): void {
  for (const flag of flags) {
    const path = values[flag];
    if (typeof path === 'string') checkWritableFile(path, `--${flag}`);
  }
}

/**
 * Saves a result that exists only in memory to `--flag path`, falling back as writeWithFallback
 * does; returns a line for the user when it went to a fallback (else null).
 */
export function saveOutput(flag: string, path: string, text: string, what: string): string | null {
  const outcome = writeWithFallback(path, text);
  return outcome.failure === undefined ? null
    : `could not write --${flag} ${path} (${outcome.failure}); the ${what} was written to ${outcome.path} instead`;
}
