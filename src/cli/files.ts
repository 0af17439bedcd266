// The command line's file handling (Node only): reading text files with one-line refusals that
// name the path, and writing outputs atomically (a temporary file beside the target, then a
// rename). The engine's Node-only helpers (src/alm/checkpoint-file.ts, src/problem/csv-file.ts)
// re-export these, so that each lives in one place.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { UserInputError } from '../api/errors.ts';

/**
 * Reads a file as UTF-8 text; a missing or unreadable file is a UserInputError naming the path
 * (and, for a folder, what the argument should have been: `kind`, e.g. "model file").
 */
export function readTextFile(path: string, kind = 'CSV file'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserInputError(`file not found: ${path}`);
    if (code === 'EISDIR') throw new UserInputError(`${path} is a directory, not a ${kind}`);
    if (code === 'EACCES' || code === 'EPERM') throw new UserInputError(`permission denied reading ${path}`);
    throw new UserInputError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Why a write failed, in words, from a Node error code. */
export function describeWriteError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'its folder does not exist';
    case 'ENOTDIR': return 'a part of its folder path is a file, not a folder';
    case 'EISDIR': return 'it is a folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'the file system is read-only';
    case 'ENOSPC': return 'the disk is full';
    case 'EDQUOT': return 'the disk quota is exhausted';
    case 'EEXIST': return 'it is not a regular file';
    default: return (err as Error).message;
  }
}

/**
 * Writes text (or bytes) to `path` through a temporary file and a rename, so readers never see
 * half a file; when either step fails the temporary file is removed before the error goes on.
 * An existing path that is not a regular file or a folder (a device, a FIFO, a socket) is never
 * replaced: that is an error (EEXIST) before anything is written.
 */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  let existing: Stats | undefined;
  try {
    existing = statSync(path);
  } catch {
    // Nothing there yet: the usual case.
  }
  if (existing && !existing.isFile() && !existing.isDirectory()) {
    throw Object.assign(new Error(`${path} is not a regular file, and is not replaced`), { code: 'EEXIST' });
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was left to remove (or the folder is gone); the write's own error is what matters.
    }
    throw err;
  }
}
