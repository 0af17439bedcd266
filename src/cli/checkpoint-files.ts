// Checkpoint files of `alm-rnn train --checkpoint/--resume` (Node only): the API's checkpoint text
// (trainRuns' onCheckpoint, batchCheckpointFromJson) written atomically and read back, every
// refusal naming the path.
import { readFileSync } from 'node:fs';
import { batchCheckpointFromJson, type BatchCheckpoint } from '../api/runs.ts';
import { UserInputError } from '../api/errors.ts';
import { describeWriteError, writeFileAtomic } from './files.ts';

/**
 * Writes a checkpoint's JSON text (trainRuns' onCheckpoint) to `path` atomically. A failed write
 * is a UserInputError naming the path and the reason (the run's front end then saves what it can).
 */
export function writeCheckpointFile(path: string, json: string): void {
  try {
    writeFileAtomic(path, json);
  } catch (err) {
    throw new UserInputError(`cannot write checkpoint ${path}: ${describeWriteError(err)}`);
  }
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
