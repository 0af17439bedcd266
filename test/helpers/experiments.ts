// What the experiment tests share: temporary output folders (removed after the file's tests)
// and results without the fields that legitimately differ between two runs (the clocks).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { ExperimentResults } from '../../src/experiments/results.ts';

/** A maker of temporary folders named `prefix…`, all removed after the calling file's tests. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

/** Selections and runs without their seconds (wall-clock fields differ between runs); runs in key order. */
export function timeless(results: ExperimentResults): unknown {
  return {
    selections: results.selections.map(({ seconds: _s, ...rest }) => rest),
    runs: [...results.runs]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map(({ seconds: _s, curve, ...rest }) => ({ ...rest, curve: curve.map(({ seconds: _t, ...p }) => p) })),
  };
}
