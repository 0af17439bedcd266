// Writing a TF.js export to disk (Node only; `alm-rnn export --format tfjs`). Kept apart from
// tfjs-export.ts, which the browser entry reaches through Model.toTfjs(), so that no bundle of
// the browser entry meets a node: import.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toTfjsArtifacts, type TfjsExportOptions } from './tfjs-export.ts';
import type { ModelFile, ModelFileJson } from '../problem/model-file.ts';

/** Writes model.json and its weights file into `dir` (created if missing); returns their paths. */
export async function writeTfjsModel(
  model: ModelFile | ModelFileJson | unknown, dir: string, options: TfjsExportOptions = {},
): Promise<{ modelPath: string; weightsPath: string }> {
  const art = toTfjsArtifacts(model, options);
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, 'model.json');
  const weightsPath = join(dir, art.modelJson.weightsManifest[0].paths[0]);
  await writeFile(weightsPath, new Uint8Array(art.weightData));
  await writeFile(modelPath, `${JSON.stringify(art.modelJson, null, 2)}\n`);
  return { modelPath, weightsPath };
}
