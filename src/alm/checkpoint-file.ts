// Node-only: reading and atomically writing checkpoint files.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { UserInputError } from '../errors.ts';
import { batchCheckpointFromJson, batchCheckpointToJson, type BatchCheckpoint } from './checkpoint.ts';

/** Writes the batch checkpoint to `path` atomically: a temporary file beside it, then a rename. */
export function writeCheckpointFile(path: string, cp: BatchCheckpoint): void {
  writeFileAtomic(path, batchCheckpointToJson(cp));
}

/** Writes text to `path` through a temporary file and a rename, so readers never see half a file. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Reads a checkpoint file (a batch, or a single run as a batch of one); a missing file or bad content is a UserInputError naming the path. */
export function readCheckpointFile(path: string): BatchCheckpoint {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserInputError(`cannot read checkpoint ${path}`);
  }
  return batchCheckpointFromJson(text, path);
}
