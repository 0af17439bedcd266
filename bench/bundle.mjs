#!/usr/bin/env node
// Bundles the bench (bench/main.ts and everything it imports, WGSL and CSV `?raw` files
// inlined) into one ES module for a machine without npm: run it there with
// `node bench.mjs [options]`, with the `webgpu` package (Dawn) in a node_modules folder beside it.
// Usage: node bench/bundle.mjs [OUT_FILE]   (default dist/bench/bench.mjs)
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = resolve(process.argv[2] ?? resolve(root, 'dist/bench/bench.mjs'));

/** Serves `import text from './file?raw'` as the file's text, as Vite and bin/raw-loader.mjs do. */
const rawPlugin = {
  name: 'raw',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path.slice(0, -'?raw'.length)),
      namespace: 'raw',
    }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({ contents: readFileSync(args.path, 'utf8'), loader: 'text' }));
  },
};

await build({
  entryPoints: [resolve(root, 'bench/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Dawn is a native addon: it stays a package beside the bundle.
  external: ['webgpu'],
  plugins: [rawPlugin],
  // Some bundled CommonJS code calls require(); give the ES module one.
  banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`wrote ${outfile}`);
