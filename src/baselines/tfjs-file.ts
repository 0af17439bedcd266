// Writes a TF.js LayersModel's files from a model file (Node only). The writing is the command
// line's (src/cli/tfjs-files.ts, `alm-rnn export --format tfjs`); the artifacts come from
// tfjs-export.ts, which runs anywhere.
import type { ModelFile, ModelFileJson } from '../problem/model-file.ts';
import { TFJS_FILES, writeTfjsArtifacts } from '../cli/tfjs-files.ts';
import { toTfjsArtifacts, type TfjsExportOptions } from './tfjs-export.ts';

export { TFJS_FILES, writeTfjsArtifacts };

/**
 * Writes model.json and its weights file into `dir` (created if missing), each atomically, the
 * weights first so that model.json never points at missing weights; returns their paths.
 */
export async function writeTfjsModel(
  model: ModelFile | ModelFileJson | unknown, dir: string, options: TfjsExportOptions = {},
): Promise<{ modelPath: string; weightsPath: string }> {
  return writeTfjsArtifacts(toTfjsArtifacts(model, { weightsFile: TFJS_FILES.weights, ...options }), dir);
}
