// The repository stands alone: no file under src/, test/, bench/ or demo/ names a path outside
// it (such as the steering workspace's folder beside the clone), so a clone in any folder runs everything.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FOLDERS = ['src', 'test', 'bench', 'demo', 'bin'];
const SKIP = new Set(['node_modules', 'dist', 'results']);
const SOURCE = /\.(ts|mts|mjs|js|html|json|wgsl)$/;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (SOURCE.test(name)) out.push(path);
  }
  return out;
}

/** Relative paths in string literals ('…', "…", `…`) that climb with ../, and where they lead. */
export function pathsOutside(text: string, fileDir: string, root: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(['"`])((?:\.\.?\/)+[^'"`\s]*)\1/g)) {
    const target = resolve(fileDir, match[2].replace(/\?.*$/, ''));
    const rel = relative(root, target);
    if (rel === '..' || rel.startsWith(`..${sep}`)) found.push(match[2]);
  }
  // new URL('…', import.meta.url) and fileURLToPath(new URL(…)) resolve against the file too (caught above);
  // an absolute path into the workspace's shared folder is caught here.
  for (const match of text.matchAll(/['"`]\/[^'"`]*\/shared\/(golden|data|spec|paper)\b[^'"`]*['"`]/g)) found.push(match[0]);
  return found;
}

describe('the repository is self-contained', () => {
  it('finds a path that leaves the repository (the check can fail)', () => {
    const dir = join(ROOT, 'test', 'helpers');
    // The offending paths are assembled here so that this file does not name one itself.
    const outside = ['..', '..', '..', 'shared', 'golden', 'x.json'].join('/');
    expect(pathsOutside(`readFileSync(new URL('${outside}', import.meta.url))`, dir, ROOT)).toHaveLength(1);
    expect(pathsOutside(`import x from '../fixtures/golden/a.json'`, dir, ROOT)).toHaveLength(0);
    const absolute = ['', 'work', 'shared', 'data', 'x.csv'].join('/');
    expect(pathsOutside(`const p = "${absolute}"`, dir, ROOT)).toHaveLength(1);
  });

  it('no file under src/, test/, bench/, demo/ or bin/ names a path outside the repository', () => {
    const offenders: string[] = [];
    for (const folder of FOLDERS) {
      for (const file of files(join(ROOT, folder))) {
        for (const p of pathsOutside(readFileSync(file, 'utf8'), dirname(file), ROOT)) offenders.push(`${relative(ROOT, file)}: ${p}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
