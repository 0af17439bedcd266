// Vite configuration of the demo page: `npm run demo` serves it, `npm run demo:build` writes
// static files to demo/dist that any web server can serve (relative URLs, no server code).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const demoRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: demoRoot,
  base: './',
  // The page imports the engine as a user's app imports the package, by its name ('alm-rnn',
  // 'alm-rnn/datasets'); here those names are built from the repository's source (the browser
  // entry), not from a packed tarball, so the page always runs the code beside it. Exact-match
  // aliases: 'alm-rnn' must not also catch 'alm-rnn/datasets'. tsconfig.json's "paths" resolve
  // the same names for type checking.
  resolve: {
    alias: [
      { find: /^alm-rnn\/datasets$/, replacement: `${repoRoot}src/datasets.ts` },
      { find: /^alm-rnn$/, replacement: `${repoRoot}src/index.browser.ts` },
    ],
  },
  // The page imports the engine from ../src and the WGSL kernels from ../shaders.
  server: { fs: { allow: [repoRoot] } },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The bundled data sets (CSV text) and the engine make one large chunk; that is expected.
    chunkSizeWarningLimit: 2048,
    // Two pages: the demo, and the benchmark (bench.html, the harness of bench/ in the browser).
    rolldownOptions: { input: { main: `${demoRoot}index.html`, bench: `${demoRoot}bench.html` } },
  },
});
