import { defineConfig } from 'vitest/config';

export default defineConfig({
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
