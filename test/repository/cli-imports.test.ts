// The command line is built on the package's public API, as a user's tool would be (issue 20):
// its modules import Node's built-ins, each other, and from src/ only the API (src/api/, the
// entries src/index.*.ts, src/datasets.ts and src/experiments.ts: `alm-rnn/datasets` and
// `alm-rnn/experiments`), and every name they take from there is one the entries export. What
// the CLI needs and the API lacks is a gap in the API; this test keeps the CLI from drifting back
// into the engine's internals.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');
const CLI = join(SRC, 'cli');
/** The package's entries: what they export is the public API. */
const ENTRIES = ['index.node.ts', 'index.browser.ts', 'datasets.ts', 'experiments.ts'].map((f) => join(SRC, f));

/** Every import and re-export of a module: its specifier and the names it takes (undefined: a side-effect import or `* as`). */
export function importsOf(text: string): { spec: string; names?: string[] }[] {
  const out: { spec: string; names?: string[] }[] = [];
  for (const m of text.matchAll(/\b(?:import|export)\s+(?:type\s+)?([^'"`;]*?)\s*from\s*(['"])([^'"]+)\2/g)) {
    const braces = /\{([^}]*)\}/.exec(m[1]);
    const names = braces
      ? braces[1].split(',').map((s) => s.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]).filter((s) => s !== '')
      : undefined;
    out.push({ spec: m[3], names: braces ? names : /^\w+$/.test(m[1]) ? ['default'] : undefined });
  }
  for (const m of text.matchAll(/\bimport\s*(['"])([^'"]+)\1/g)) out.push({ spec: m[2] });
  for (const m of text.matchAll(/\bimport\s*\(\s*(['"`])([^'"`]+)\1/g)) out.push({ spec: m[2] });
  return out;
}

/** The names a module exports: its declarations, its export lists, and what its `export *` modules export. */
export function exportedNames(file: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(file)) return names;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/\bexport\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+(\w+)/g)) names.add(m[1]);
  for (const m of text.matchAll(/\bexport\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of m[1].split(',')) {
      const name = item.trim().replace(/^type\s+/, '').split(/\s+as\s+/).pop()!;
      if (name !== '') names.add(name);
    }
  }
  for (const m of text.matchAll(/\bexport\s+\*\s+from\s*(['"])([^'"]+)\1/g)) {
    for (const name of exportedNames(resolve(dirname(file), m[2]), seen)) names.add(name);
  }
  return names;
}

const PUBLIC = new Set(ENTRIES.flatMap((entry) => [...exportedNames(entry)]));

/** Why an import of a CLI module in `dir` leaves the public API, or undefined when it does not. */
export function disallowed(imp: { spec: string; names?: string[] }, dir: string, publicNames: Set<string> = PUBLIC): string | undefined {
  if (imp.spec.startsWith('node:')) return undefined;
  if (!imp.spec.startsWith('.')) return `${imp.spec}: a package (the CLI needs none)`;
  const target = resolve(dir, imp.spec);
  const rel = relative(SRC, target);
  if (rel.startsWith(`..${sep}`)) return `${imp.spec}: outside src/`;
  if (relative(CLI, target).split(sep).length === 1 && !relative(CLI, target).startsWith('..')) return undefined;
  const api = rel.startsWith(`api${sep}`) || ENTRIES.includes(target);
  if (!api) return `${imp.spec}: an internal module of the engine (src/${rel.split(sep).join('/')})`;
  if (imp.names === undefined) return `${imp.spec}: takes the whole module; name what it uses`;
  const internal = imp.names.filter((name) => !publicNames.has(name));
  return internal.length > 0 ? `${imp.spec}: ${internal.join(', ')} not exported by the package's entries` : undefined;
}

describe('the CLI imports only the public API', () => {
  it('finds internal modules, internal names, packages and whole-module imports, and lets the allowed ones through', () => {
    const text = [
      "import { readFileSync } from 'node:fs';",
      "import { parseCommandLine, type OptionSpec } from './args.ts';",
      "import { trainRuns, type RunOutcome } from '../index.node.ts';",
      "import { prepareDataset } from '../datasets.ts';",
      "import { UserInputError } from '../api/errors.ts';",
      "import { runAlmBatch } from '../alm/alm.ts';",
      "export { modelToJson } from '../problem/model-file.ts';",
      "import { prepareData } from '../api/train.ts';",
      "import * as api from '../api/public.ts';",
      "const m = await import('../problem/memory.ts');",
      "import chalk from 'chalk';",
      "import { x } from '../../bench/x.ts';",
    ].join('\n');
    const found = importsOf(text).map((imp) => disallowed(imp, CLI)).filter((why) => why !== undefined);
    expect(found).toEqual([
      '../alm/alm.ts: an internal module of the engine (src/alm/alm.ts)',
      '../problem/model-file.ts: an internal module of the engine (src/problem/model-file.ts)',
      '../api/train.ts: prepareData not exported by the package\'s entries',
      '../api/public.ts: takes the whole module; name what it uses',
      'chalk: a package (the CLI needs none)',
      '../../bench/x.ts: outside src/',
      '../problem/memory.ts: an internal module of the engine (src/problem/memory.ts)',
    ]);
    expect(PUBLIC.has('trainRuns') && PUBLIC.has('RunOutcome') && PUBLIC.has('prepareDataset') && PUBLIC.has('UserInputError')).toBe(true);
  });

  it('src/cli/ (every command, its helpers and main) names nothing of src/ but the public API', () => {
    const files = readdirSync(CLI).filter((f) => f.endsWith('.ts'));
    expect(files).toEqual(expect.arrayContaining(['train.ts', 'experiment.ts', 'predict.ts', 'export.ts', 'read-model.ts', 'main.ts']));
    const found = files.flatMap((f) =>
      importsOf(readFileSync(join(CLI, f), 'utf8')).map((imp) => disallowed(imp, CLI)).filter((why) => why !== undefined).map((why) => `src/cli/${f}: ${why}`));
    expect(found).toEqual([]);
  });
});
