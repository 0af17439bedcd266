#!/usr/bin/env node
// Runs a TypeScript entry point of this package under Node: tsx compiles on the fly and the
// raw-loader hook serves `?raw` imports, so nothing needs to be built before running.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register('./raw-loader.mjs', import.meta.url);
registerTsx();

/** Imports `entry` (a path to a .ts file) after the loaders are in place. */
export async function runTs(entry) {
  return import(pathToFileURL(resolve(entry)).href);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [entry, ...rest] = process.argv.slice(2);
  if (!entry) {
    console.error('usage: run-ts.mjs FILE.ts [args…]');
    process.exit(2);
  }
  process.argv = [process.argv[0], entry, ...rest];
  await runTs(entry);
}
