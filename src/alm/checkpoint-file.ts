// Node-only: reading and atomically writing checkpoint files. The file handling is the command
// line's (src/cli/files.ts); this keeps the engine's callers (the experiments, the TF.js export)
// on it under their old names.
import { writeCheckpointFile as writeCheckpointText } from '../cli/checkpoint-files.ts';
import { batchCheckpointToJson, type BatchCheckpoint } from './checkpoint.ts';

export { describeWriteError, writeFileAtomic } from '../cli/files.ts';
export { readCheckpointFile } from '../cli/checkpoint-files.ts';

/** Writes the batch checkpoint to `path` atomically; a failed write is a UserInputError naming the path and the reason. */
export function writeCheckpointFile(path: string, cp: BatchCheckpoint): void {
  writeCheckpointText(path, batchCheckpointToJson(cp));
}
