// One thread of the Node CPU pool (pool.ts): serves the pool protocol (pool-serve.ts) over parentPort.
import { parentPort, workerData } from 'node:worker_threads';
import type { CpuKernelsChoice } from './kernels.ts';
import { servePool, type PoolRequest } from './pool-serve.ts';

const port = parentPort!;
const handle = servePool((workerData as { kernels: CpuKernelsChoice }).kernels, (response) => port.postMessage(response));
port.on('message', (req: PoolRequest) => handle(req));
