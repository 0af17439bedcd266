// Entry of a baseline pool thread (pool.ts): a worker starts without the TypeScript loader the
// main thread registered, so register it here, then load the worker's code.
import { register } from 'tsx/esm/api';

register();
await import('./pool-worker.ts');
