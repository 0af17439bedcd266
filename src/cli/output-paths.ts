// The paths of the commands (--out, --checkpoint, --history, experiment --out, export DIR, and
// what they read): checked before any work, so that a typo in a folder name or two flags naming
// one file cost nothing instead of a trained model or the user's data (checkPaths, below); the
// writer of every output (writeOutput); and a last-resort writer for results that exist only in
// memory (a trained model), which falls back to a file beside the asked one, then to the OS
// temporary folder.
import { closeSync, existsSync, lstatSync, openSync, readSync, realpathSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { UserInputError } from '../api/errors.ts';
import { describeWriteError, writeFileAtomic } from './files.ts';

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
  // dirname of the path as given: the kernel resolves `missing/..` as an error, not as `.`.
  const dir = dirname(path);
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
 * Writes text that exists only in memory (a trained model) to `path` as writeOutput does; when
 * that fails, to `NAME.recovered-<pid>.json` beside it (not beside a device or FIFO: its folder
 * is /dev or the like), then to the OS temporary folder. Throws only when every place failed.
 * `write` is injectable for tests of the fallback.
 */
export function writeWithFallback(path: string, text: string, write: (p: string, t: string) => void = writeOutput): WriteOutcome {
  let failure: string;
  try {
    write(path, text);
    return { path };
  } catch (err) {
    failure = describeWriteError(err);
  }
  const name = `${basename(path).replace(/\.json$/i, '')}.recovered-${process.pid}.json`;
  const errors: string[] = [];
  const places = isStream(path) ? [tmpdir()] : [dirname(path), tmpdir()];
  for (const candidate of places.map((dir) => join(dir, name))) {
    try {
      write(candidate, text);
      return { path: candidate, failure };
    } catch (err) {
      errors.push(`${candidate}: ${describeWriteError(err)}`);
    }
  }
  throw new UserInputError(`cannot write ${path} (${failure}), nor a fallback (${errors.join('; ')})`);
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

// ---------------------------------------------------------------------------------------------
// One rule for every command's paths. Before any work a command lists what it reads and what it
// writes (a folder output expanded into the files it puts there); checkPaths then refuses, with
// one line naming both flags, any two that are the same file (after links and `..`), a write
// over an existing file that is not recognisably alm-rnn's own output of that kind (unless
// --force), and a write that would replace a special file. Writes go through writeOutput:
// atomic (temporary file + rename) for regular files, in place for standard output, character
// devices and FIFOs, which are never replaced.
// ---------------------------------------------------------------------------------------------

/** A file a command reads, named by the flag (or positional) that gave it. */
export interface ReadPath {
  flag: string;
  path: string;
}

/** What an output file holds: how an earlier output of the same kind is recognised (see OWN_OUTPUT). */
export type OutputKind =
  | 'model' | 'history' | 'checkpoint' | 'predictions' | 'tfjs-model' | 'tfjs-weights'
  | 'experiment-results' | 'experiment-report' | 'figure';

/** A file a command writes. */
export interface WritePath {
  flag: string;
  path: string;
  kind: OutputKind;
  /** Standard output (`-`), a character device or a FIFO may take it: written in place, once. */
  streamable?: boolean;
  /** Inside a folder output that checkPaths has checked and the command creates: its folder need not exist yet. */
  inFolder?: boolean;
}

/** Everything a command reads and writes, checked together before any work by checkPaths. */
export interface PathPlan {
  reads: ReadPath[];
  writes: WritePath[];
  /** Output folders (--out DIR/, export DIR, experiment --out): each must be a folder or creatable. */
  folders?: ReadPath[];
  /** What else writes standard output (e.g. "--json"), so that no output is streamed into it too. */
  stdoutTakenBy?: string;
  /** --force: an existing file that is not this command's own kind of output may be replaced. */
  force: boolean;
}

/** Names of standard output: written to the process's stdout, never opened or replaced. */
const STDOUT_NAMES = new Set(['-', '/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);

/** Whether `path` names standard output. */
export function isStdout(path: string): boolean {
  return STDOUT_NAMES.has(path);
}

/** Bytes read from the head of an existing file to recognise its format. */
const HEAD_BYTES = 4096;

function head(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, HEAD_BYTES, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** A "format" field near the top of a JSON file. */
const jsonFormat = (format: RegExp) => (text: string): boolean => new RegExp(`^\\s*\\{[^]*?"format"\\s*:\\s*"${format.source}"`).test(text);

/**
 * How an existing file is recognised as an earlier output of each kind (its first 4 KB), so
 * that a rerun replaces its own model, history or predictions without --force, while a data
 * file, a checkpoint given as --out or anything else needs it.
 */
const OWN_OUTPUT: Record<OutputKind, { what: string; is: (text: string, path: string) => boolean }> = {
  model: { what: 'an alm-rnn model file', is: jsonFormat(/alm-rnn\/elman@\d+/) },
  // History files before the "format" field began with their config or backend.
  history: { what: 'an alm-rnn history file', is: (t) => jsonFormat(/alm-rnn\/history@\d+/)(t) || /^\{\s*"(config|backend)"\s*:\s*\{/.test(t) },
  checkpoint: { what: 'an alm-rnn checkpoint', is: jsonFormat(/alm-rnn\/checkpoint@\d+/) },
  predictions: { what: 'a predictions file of alm-rnn predict', is: (t) => /^[^\n]*_pred"?(,|\r?\n|$)/.test(t) },
  'tfjs-model': { what: 'a TF.js model exported by alm-rnn', is: (t) => /"format"\s*:\s*"layers-model"/.test(t) && /"generatedBy"\s*:\s*"alm-rnn"/.test(t) },
  // The weights are binary: they are alm-rnn's when the model.json beside them is.
  'tfjs-weights': { what: 'the weights of a TF.js model exported by alm-rnn', is: (_t, p) => isOwnOutput(join(dirname(p), 'model.json'), 'tfjs-model') },
  'experiment-results': { what: "an alm-rnn experiment's results", is: jsonFormat(/alm-rnn\/experiment@\d+/) },
  'experiment-report': { what: "an alm-rnn experiment's report", is: (t) => t.startsWith('# Experiment: ') },
  figure: { what: "an alm-rnn experiment's figure", is: (t) => t.startsWith('<svg') && t.includes('class="marks"') },
};

/** Whether the existing regular file at `path` is empty or an earlier alm-rnn output of `kind`. */
function isOwnOutput(path: string, kind: OutputKind): boolean {
  try {
    if (statSync(path).size === 0) return true; // nothing to lose
    return OWN_OUTPUT[kind].is(head(path), path);
  } catch {
    return false;
  }
}

/**
 * The path with links and `..` resolved: realpath(3) of its longest existing prefix, then the
 * rest (which does not exist yet) appended.
 */
export function canonicalPath(path: string): string {
  const rest: string[] = [];
  let prefix = isAbsolute(path) ? path : `${process.cwd()}/${path}`;
  for (;;) {
    try {
      return resolve(realpathSync.native(prefix), ...rest);
    } catch {
      const up = dirname(prefix);
      if (up === prefix) return resolve(path);
      rest.unshift(basename(prefix));
      prefix = up;
    }
  }
}

/** The kind of an existing non-regular, non-folder file, in words; null for a regular file, a folder or nothing. */
function specialKind(st: Stats): string | null {
  if (st.isFile() || st.isDirectory()) return null;
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * What makes two paths the same file: "stdout" for standard output, the device and inode of an
 * existing file (hard links included), the canonical path of one still to be created; null for
 * a character device (writing /dev/null twice loses nothing).
 */
function identity(path: string): string | null {
  if (isStdout(path)) return 'stdout';
  const st = statOrNull(path);
  if (st?.isCharacterDevice()) return null;
  return st ? `inode ${st.dev}:${st.ino}` : canonicalPath(path);
}

/** Whether two paths name the same file (see identity). */
export function sameFile(a: string, b: string): boolean {
  const id = identity(a);
  return id !== null && id === identity(b);
}

/** Refuses (one line, naming the flag) an output path whose existing file must not be written. */
function checkExisting(w: WritePath, force: boolean): void {
  const refuse = (reason: string): never => {
    throw new UserInputError(`${w.flag} ${w.path}: ${reason}`);
  };
  if (isStdout(w.path)) {
    if (!w.streamable) refuse('standard output cannot take it (it is rewritten and read back): give a regular file');
    return;
  }
  const st = statOrNull(w.path);
  if (st === null) return;
  if (st.isDirectory()) refuse('cannot write there, it is a folder (give a file name inside it)');
  const special = specialKind(st);
  if (special !== null) {
    if (w.streamable && (st.isCharacterDevice() || st.isFIFO())) return;
    refuse(`it is ${special}, not a regular file${w.streamable ? ' (only a character device such as /dev/null or a FIFO is written in place)' : ' (it is rewritten and read back): give a regular file'}`);
  }
  if (!force && !isOwnOutput(w.path, w.kind)) {
    refuse(`the file exists and is not ${OWN_OUTPUT[w.kind].what}: pass --force to replace it, or choose another path`);
  }
}

/**
 * Checks a command's paths before any work (see PathPlan): output folders, each output's folder
 * and existing file, then every pair of paths for the same file. Throws a UserInputError with
 * one line naming the flag (both flags for a pair).
 */
export function checkPaths(plan: PathPlan): void {
  for (const f of plan.folders ?? []) checkWritableDir(f.path, f.flag);
  for (const w of plan.writes) {
    if (!isStdout(w.path) && !w.inFolder) {
      const st = statOrNull(w.path);
      if (!(st && (st.isCharacterDevice() || st.isFIFO()) && w.streamable)) checkWritableFile(w.path, w.flag);
    }
  }
  const seen = new Map<string, ReadPath & { writes: boolean }>();
  if (plan.stdoutTakenBy !== undefined) seen.set('stdout', { flag: plan.stdoutTakenBy, path: '-', writes: true });
  const name = (p: ReadPath): string => (p.path === '-' ? p.flag : `${p.flag} ${p.path}`);
  const add = (p: ReadPath, writes: boolean): void => {
    const id = identity(p.path);
    if (id === null) return;
    const other = seen.get(id);
    if (other === undefined) {
      seen.set(id, { ...p, writes });
      return;
    }
    if (!writes && !other.writes) return; // a file read twice loses nothing
    if (id === 'stdout') throw new UserInputError(`${name(other)} and ${name(p)} both write to standard output: send one of them to a file`);
    if (!other.writes) throw new UserInputError(`${name(p)} would overwrite ${name(other)}, the same file: give ${p.flag} another path`);
    if (!writes) throw new UserInputError(`${name(other)} would overwrite ${name(p)}, the same file: give ${other.flag} another path`);
    throw new UserInputError(`${name(other)} and ${name(p)} are the same file: give each its own path`);
  };
  for (const r of plan.reads) add(r, false);
  for (const w of plan.writes) add(w, true);
  for (const w of plan.writes) checkExisting(w, plan.force);
}

/** The file a write to `path` goes to: a symbolic link's target, so that the link stays a link. */
function linkTarget(path: string): string {
  try {
    return lstatSync(path).isSymbolicLink() ? realpathSync.native(path) : path;
  } catch {
    return path; // missing, or a dangling link: written (and replaced) as named
  }
}

/**
 * Writes an output: to standard output for `-`, in place for an existing character device or
 * FIFO (never replaced), atomically (temporary file + rename, through a link to its target)
 * for anything else.
 */
export function writeOutput(path: string, data: string | Uint8Array): void {
  if (isStdout(path)) {
    process.stdout.write(data);
    return;
  }
  const st = statOrNull(path);
  if (st && (st.isCharacterDevice() || st.isFIFO())) writeFileSync(path, data);
  else writeFileAtomic(linkTarget(path), data);
}

/** Whether a write to `path` goes somewhere other than a regular file (standard output, a device, a FIFO). */
export function isStream(path: string): boolean {
  if (isStdout(path)) return true;
  const st = statOrNull(path);
  return st !== null && (st.isCharacterDevice() || st.isFIFO());
}
