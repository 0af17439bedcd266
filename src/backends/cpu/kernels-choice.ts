// The choice of the float64 CPU kernels, apart from the kernels themselves (kernels.ts), so that
// the public API's declarations name it without reaching WebAssembly's types.

/** Which kernels the float64 CPU paths (CpuTrial, the BPTT baselines) run: WebAssembly SIMD (`wasm`) or plain JavaScript (`js`). @inline */
export type CpuKernelsChoice = 'wasm' | 'js';
