// The generated modules that carry the shaders and the bundled CSV files as strings
// (bin/build-sources.mjs) are what their files generate: after editing a .wgsl or .csv file,
// `npm run build:sources` (or any build) regenerates them, and this test says when it was not run.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSources, GENERATED, renderModule, stripWgsl } from '../../bin/build-sources.mjs';
import { REPO } from '../helpers/package.ts';

describe('generated sources', () => {
  it('are up to date with shaders/ and the bundled CSV files', async () => {
    expect(await buildSources({ check: true })).toEqual([]);
    for (const entry of GENERATED) {
      expect(readFileSync(join(REPO, entry.output), 'utf8')).toBe(await renderModule(entry));
    }
  });

  it('strip WGSL comments and indentation, line for line', () => {
    const wgsl = '// header\n  let a = 1; // why\n/** doc */\nfn f() {}\n';
    expect(stripWgsl(wgsl)).toBe('\nlet a = 1;\n\nfn f() {}\n');
    const cholesky = readFileSync(join(REPO, 'shaders/cholesky.wgsl'), 'utf8');
    expect(stripWgsl(cholesky).split('\n')).toHaveLength(cholesky.split('\n').length);
  });

  it('no file under src/ imports with ?raw (which only Vite and a loader understand)', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|mjs|js)$/.test(name) && /from\s+['"][^'"]+\?raw['"]/.test(readFileSync(path, 'utf8'))) offenders.push(path);
      }
    };
    walk(join(REPO, 'src'));
    expect(offenders).toEqual([]);
  });
});
