#!/usr/bin/env node
// The `alm-rnn` command: runs the TypeScript CLI directly (see run-ts.mjs).
import { fileURLToPath } from 'node:url';
import { runTs } from './run-ts.mjs';

await runTs(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
