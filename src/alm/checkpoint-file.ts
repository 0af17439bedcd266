// Node-only: reading and atomically writing checkpoint files.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { UserInputError } from '../errors.ts';
import { checkpointFromJson, checkpointToJson, type Checkpoint } from './checkpoint.ts';

/** Writes the checkpoint to `path` atomically: a temporary file beside it, then a rename. */
export function writeCheckpointFile(path: string, cp: Checkpoint): void {
  writeFileAtomic(path, checkpointToJson(cp));
}

/** Writes text to `path` through a temporary file and a rename, so readers never see half a file. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Reads a checkpoint file; a missing file or bad content is a UserInputError naming the path. */
export function readCheckpointFile(path: string): Checkpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserInputError(`cannot read checkpoint ${path}`);
  }
  return checkpointFromJson(text, path);
}
