// Writes a TF.js LayersModel's files (Node only: `alm-rnn export --format tfjs`); the artifacts
// themselves come from the API (Model.toTfjs), which runs anywhere.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TfjsArtifacts } from '../api/public.ts';
import { writeFileAtomic } from './files.ts';

/** The files an export writes into its folder (the CLI checks them before any work). */
export const TFJS_FILES = { model: 'model.json', weights: 'weights.bin' } as const;

/**
 * Writes artifacts (Model.toTfjs) as model.json and its weights file into `dir` (created if
 * missing), each atomically, the weights first so that model.json never points at missing
 * weights; returns their paths.
 */
export async function writeTfjsArtifacts(art: TfjsArtifacts, dir: string): Promise<{ modelPath: string; weightsPath: string }> {
  mkdirSync(dir, { recursive: true });
  const modelPath = join(dir, TFJS_FILES.model);
  const weightsPath = join(dir, art.modelJson.weightsManifest[0].paths[0]);
  writeFileAtomic(weightsPath, new Uint8Array(art.weightData));
  writeFileAtomic(modelPath, `${JSON.stringify(art.modelJson, null, 2)}\n`);
  return { modelPath, weightsPath };
}
