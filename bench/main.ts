// Entry point of `npm run bench` (see bench/README.md): node bin/run-ts.mjs bench/main.ts [options].
import { benchMain } from './cli.ts';

process.exitCode = await benchMain(process.argv.slice(2));
