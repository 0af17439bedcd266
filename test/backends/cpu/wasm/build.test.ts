// The committed WebAssembly (kernels-wasm.ts) is what its AssemblyScript source compiles to:
// rebuilding gives the same bytes, so the source stays the truth. After editing
// src/backends/cpu/wasm/assembly/kernels.ts, run `node bin/build-wasm.mjs`.
import { describe, expect, it } from 'vitest';
import { buildKernelsWasm, renderKernelsModule } from '../../../../bin/build-wasm.mjs';
import { KERNELS_WASM_BASE64 } from '../../../../src/backends/cpu/wasm/kernels-wasm.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

describe('the wasm kernels build', () => {
  it('rebuilds from the AssemblyScript source to the committed bytes', async () => {
    const bytes = await buildKernelsWasm();
    const committed = Buffer.from(KERNELS_WASM_BASE64, 'base64');
    expect(bytes.length, 'size of the rebuilt module').toBe(committed.length);
    expect(Buffer.from(bytes).equals(committed), 'rebuilt bytes equal the committed ones (run node bin/build-wasm.mjs)').toBe(true);
    const file = readFileSync(fileURLToPath(new URL('../../../../src/backends/cpu/wasm/kernels-wasm.ts', import.meta.url)), 'utf8');
    expect(file).toBe(renderKernelsModule(bytes));
  }, 60_000);
});
