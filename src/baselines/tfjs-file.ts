// Writes a TF.js LayersModel's files (Node only: `alm-rnn export --format tfjs`); the artifacts
// themselves come from tfjs-export.ts, which runs anywhere.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../alm/checkpoint-file.ts';
import type { ModelFile, ModelFileJson } from '../problem/model-file.ts';
import { toTfjsArtifacts, type TfjsArtifacts, type TfjsExportOptions } from './tfjs-export.ts';

/** The files an export writes into its folder (the CLI checks them before any work). */
export const TFJS_FILES = { model: 'model.json', weights: 'weights.bin' } as const;

/**
 * Writes model.json and its weights file into `dir` (created if missing), each atomically, the
 * weights first so that model.json never points at missing weights; returns their paths.
 */
export async function writeTfjsModel(
  model: ModelFile | ModelFileJson | unknown, dir: string, options: TfjsExportOptions = {},
): Promise<{ modelPath: string; weightsPath: string }> {
  return writeTfjsArtifacts(toTfjsArtifacts(model, { weightsFile: TFJS_FILES.weights, ...options }), dir);
}

/**
 * Writes artifacts (Model.toTfjs) as model.json and its weights file into `dir` (created if
 * missing), each atomically, the weights first; returns their paths.
 */
export async function writeTfjsArtifacts(art: TfjsArtifacts, dir: string): Promise<{ modelPath: string; weightsPath: string }> {
  mkdirSync(dir, { recursive: true });
  const modelPath = join(dir, TFJS_FILES.model);
  const weightsPath = join(dir, art.modelJson.weightsManifest[0].paths[0]);
  writeFileAtomic(weightsPath, new Uint8Array(art.weightData));
  writeFileAtomic(modelPath, `${JSON.stringify(art.modelJson, null, 2)}\n`);
  return { modelPath, weightsPath };
}
