#!/usr/bin/env node
// The package build (npm run build; `prepare` runs it on npm ci): regenerates the inlined
// sources (bin/build-sources.mjs), compiles src/ to ES modules with declarations in dist/
// (tsconfig.build.json), then writes the Web Worker references as the compiled files name them:
// `new Worker(new URL('./web-pool-worker.ts', import.meta.url), …)` in the source becomes
// `…'./web-pool-worker.js'…` in dist/, the literal form Vite, esbuild and webpack 5 follow.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSources } from './build-sources.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Every file under dir whose name ends with `suffix`. */
function filesEnding(dir, suffix) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesEnding(path, suffix) : name.endsWith(suffix) ? [path] : [];
  });
}

/**
 * Relative `.ts` specifiers in declarations (`from './x.ts'`, `import('./x.ts')`) → `.js`: tsc
 * keeps the source's extensions there, which only TypeScript 5 with its newest settings reads.
 */
export function rewriteDeclarationImports(text) {
  return text.replace(/((?:from\s+|import\()\s*)(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2');
}

/** `new URL('./x.ts', import.meta.url)` → `new URL('./x.js', import.meta.url)`. */
export function rewriteWorkerUrls(text) {
  return text.replace(/new URL\((['"])(\.{1,2}\/[^'"]+)\.ts\1,(\s*)import\.meta\.url\)/g, 'new URL($1$2.js$1,$3import.meta.url)');
}

await buildSources();
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
let rewritten = 0;
for (const file of filesEnding(dist, '.js')) {
  const text = readFileSync(file, 'utf8');
  const out = rewriteWorkerUrls(text);
  if (out !== text) {
    writeFileSync(file, out);
    rewritten++;
  }
}
for (const file of filesEnding(dist, '.d.ts')) {
  const text = readFileSync(file, 'utf8');
  const out = rewriteDeclarationImports(text);
  if (out !== text) writeFileSync(file, out);
}
// A stamp for the test setup (test/setup/build.ts): sources newer than it mean a rebuild.
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
console.log(`dist/: built (${rewritten} file${rewritten === 1 ? '' : 's'} with worker URLs rewritten)`);
