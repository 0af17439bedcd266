#!/usr/bin/env node
// Runs a TypeScript file of this repository under Node without building it (development only:
// the bench's scripts, and the CPU pools' threads when the source itself runs, as under vitest).
// tsx compiles on the fly; it is a dev dependency, and the published package never loads it.
import { register as registerTsx } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

registerTsx();

/** Imports `entry` (a path to a .ts file) after the loader is in place. */
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
