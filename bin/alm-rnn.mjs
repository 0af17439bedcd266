#!/usr/bin/env node
// The `alm-rnn` command: runs the compiled CLI (dist/, built by `npm run build`, which
// `npm ci` runs through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('alm-rnn: the package is not built (dist/cli/main.js is missing); run npm run build in its folder');
  process.exit(2);
}
await import(main.href);
