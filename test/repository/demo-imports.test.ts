// The demo page is built on the package's public API, as a user's app would be: every module of
// demo/src imports the engine by the package's names ('alm-rnn', 'alm-rnn/datasets'), its own
// files, and dev dependencies (uplot); never a path into src/. What the page needs and the API
// lacks is a gap in the API, and this test keeps the page from drifting back into the internals.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO_SRC = join(ROOT, 'demo', 'src');
const PACKAGE_NAMES = new Set(['alm-rnn', 'alm-rnn/datasets']);
const DEV_DEPENDENCIES = new Set(Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies));

/** Every module specifier of a source text: static and dynamic imports, re-exports, and `new URL(…, import.meta.url)` (workers). */
export function moduleSpecifiers(text: string): string[] {
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\sfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`]+)\1/g,
    /\bnew\s+URL\s*\(\s*(['"`])([^'"`]+)\1\s*,\s*import\.meta\.url/g,
  ];
  return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[2]));
}

/** The specifiers of a module in `dir` that the page may not use: anything but the package, its own folder's files and dev dependencies. */
export function disallowedSpecifiers(text: string, dir: string): string[] {
  return moduleSpecifiers(text).filter((spec) => {
    if (PACKAGE_NAMES.has(spec)) return false;
    if (spec.startsWith('.')) {
      const rel = relative(DEMO_SRC, resolve(dir, spec));
      return rel === '..' || rel.startsWith(`..${sep}`);
    }
    const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
    return !DEV_DEPENDENCIES.has(name);
  });
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|js|mjs)$/.test(e.name) ? [join(dir, e.name)] : []);
}

describe('the demo page imports only the public API', () => {
  it('finds a path into src/, a deep package path and an unknown package, and lets the allowed ones through', () => {
    const text = [
      "import { train } from 'alm-rnn';",
      "import { prepareDataset } from 'alm-rnn/datasets';",
      "import uPlot from 'uplot';",
      "import type { RunProblemInfo } from './protocol.ts';",
      "import './style.css';",
      "const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });",
      "import { runAlmBatch } from '../../src/alm/alm.ts';",
      "export { forward } from '../../src/problem/model.ts';",
      "const m = await import('../../src/problem/memory.ts');",
      "const u = new URL('../../src/backends/cpu/web-pool-worker.ts', import.meta.url);",
      "import { x } from 'alm-rnn/dist/alm/alm.js';",
      "import lodash from 'lodash';",
    ].join('\n');
    expect(disallowedSpecifiers(text, DEMO_SRC)).toEqual([
      '../../src/alm/alm.ts', '../../src/problem/model.ts', 'alm-rnn/dist/alm/alm.js', 'lodash',
      '../../src/problem/memory.ts', '../../src/backends/cpu/web-pool-worker.ts',
    ]);
  });

  it('demo/src names nothing but alm-rnn, alm-rnn/datasets, its own files and dev dependencies', () => {
    const files = sources(DEMO_SRC);
    expect(files.length).toBeGreaterThan(5);
    const found = files.flatMap((file) =>
      disallowedSpecifiers(readFileSync(file, 'utf8'), dirname(file)).map((spec) => `${relative(ROOT, file)}: ${spec}`));
    expect(found).toEqual([]);
  });
});
