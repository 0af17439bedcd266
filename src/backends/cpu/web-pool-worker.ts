// One module Web Worker of the browser CPU pool (web-pool.ts): serves the pool protocol
// (pool-serve.ts). Its first message names the kernels; every later one is a pool request.
import type { CpuKernelsChoice } from './kernels.ts';
import { servePool, type PoolRequest } from './pool-serve.ts';

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
let handle: ((request: PoolRequest) => void) | undefined;
scope.onmessage = (event) => {
  if (!handle) {
    handle = servePool((event.data as { kernels: CpuKernelsChoice }).kernels, (response) => scope.postMessage(response));
    return;
  }
  handle(event.data as PoolRequest);
};
