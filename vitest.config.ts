import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/** The Node WebGPU tests (Dawn; SwiftShader without a GPU). */
const GPU_TESTS = 'test/gpu/**/*.test.ts';

/** What both projects run under. */
const common = {
  // The package's own name, as the bench and the examples import it, resolves to its source (as
  // tsconfig.json's paths say): the tests run the TypeScript, the package tests the packed build.
  resolve: {
    alias: [
      { find: /^alm-rnn$/, replacement: fileURLToPath(new URL('./src/index.node.ts', import.meta.url)) },
      { find: /^alm-rnn\/datasets$/, replacement: fileURLToPath(new URL('./src/datasets.ts', import.meta.url)) },
    ],
  },
  test: { testTimeout: 60_000, hookTimeout: 120_000 },
} satisfies TestProjectInlineConfiguration;

export default defineConfig({
  test: {
    // Builds dist/ when a source is newer than it, and names the folder the package tests share
    // one tarball in. Here, not in the projects, so that it runs once per run.
    globalSetup: ['test/setup/build.ts'],
    // GPU (Dawn/SwiftShader) and browser tests hold one device or browser each;
    // running files in parallel on a 2-core machine only makes them slower.
    fileParallelism: false,
    projects: [
      { ...common, test: { ...common.test, name: 'main', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, GPU_TESTS] } },
      // SwiftShader spends most of a GPU test file compiling pipelines for its fresh device. Run
      // in one process (isolate: false), the GPU test files share one device and so compile
      // each pipeline once (test/helpers/gpu.ts).
      { ...common, test: { ...common.test, name: 'gpu', include: [GPU_TESTS], isolate: false } },
    ],
  },
});
