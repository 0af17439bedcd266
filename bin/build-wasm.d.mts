// Types of build-wasm.mjs for the TypeScript tests that import it.
export const SOURCE: string;
export const OUTPUT: string;
export function buildKernelsWasm(): Promise<Uint8Array>;
export function renderKernelsModule(bytes: Uint8Array): string;
