import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package's own name, as the bench and the examples import it, resolves to its source (as
  // tsconfig.json's paths say): the tests run the TypeScript, the package tests the packed build.
  resolve: {
    alias: [
      { find: /^alm-rnn$/, replacement: fileURLToPath(new URL('./src/index.node.ts', import.meta.url)) },
      { find: /^alm-rnn\/datasets$/, replacement: fileURLToPath(new URL('./src/datasets.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ when a source is newer than it, and names the folder the package tests share one tarball in.
    globalSetup: ['test/setup/build.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // GPU (Dawn/SwiftShader) and browser tests hold one device or browser each;
    // running files in parallel on a 2-core machine only makes them slower.
    fileParallelism: false,
  },
});
