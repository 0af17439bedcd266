// Writes a TF.js LayersModel's files (Node only: `alm-rnn export --format tfjs`); the artifacts
// themselves come from tfjs-export.ts, which runs anywhere.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFile, ModelFileJson } from '../problem/model-file.ts';
import { toTfjsArtifacts, type TfjsArtifacts, type TfjsExportOptions } from './tfjs-export.ts';

/** Writes model.json and its weights file into `dir` (created if missing); returns their paths. */
export async function writeTfjsModel(
  model: ModelFile | ModelFileJson | unknown, dir: string, options: TfjsExportOptions = {},
): Promise<{ modelPath: string; weightsPath: string }> {
  return writeTfjsArtifacts(toTfjsArtifacts(model, options), dir);
}

/** Writes artifacts (Model.toTfjs) as model.json and its weights file into `dir` (created if missing); returns their paths. */
export async function writeTfjsArtifacts(art: TfjsArtifacts, dir: string): Promise<{ modelPath: string; weightsPath: string }> {
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, 'model.json');
  const weightsPath = join(dir, art.modelJson.weightsManifest[0].paths[0]);
  await writeFile(weightsPath, new Uint8Array(art.weightData));
  await writeFile(modelPath, `${JSON.stringify(art.modelJson, null, 2)}\n`);
  return { modelPath, weightsPath };
}

