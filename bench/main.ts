// Entry point of `npm run bench` (see bench/README.md): node bin/run-ts.mjs bench/main.ts [options].
import { benchMain } from './cli.ts';

// Exits rather than waits: a WebGPU device left behind by a set-up that ran out of time would
// hold the process until Dawn finished compiling for it (stdout and files are written
// synchronously on Linux, so nothing is lost).
process.exit(await benchMain(process.argv.slice(2)));
