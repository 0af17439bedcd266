// The settings vocabulary of the command line, for front ends that take the same settings as
// text or form fields (the demo page, a user's own page): names parsed and refused with the
// CLI's messages, the method's parameters for a data set and their checks, the memory a run
// needs, and what a WebGPU adapter is. One implementation each, shared with the CLI, so that a
// value means the same thing, and is refused with the same message, everywhere.
import type { GpuAdapterSummary } from '../backends/webgpu/adapter.ts';
import { summarizeAdapter as summarizeGpuAdapter } from '../backends/webgpu/device.ts';
import { OptionError } from './errors.ts';

export { parseActivation, formatActivation } from '../problem/activations.ts';
export { parseInitializer } from '../problem/init.ts';
export { parseListValues } from '../lists.ts';
export { MISSING_POLICIES, parseDecimal, parseDelimiter } from '../problem/csv.ts';
export { PAPER_PRESETS, paramsFor, validateParams, validateHidden, MAX_OUTER, MAX_INNER, MAX_HIDDEN } from '../alm/params.ts';
export { checkMemory, estimateCpuMemory, estimateHostMemory } from '../problem/memory.ts';
export type { RunShape, MemoryEstimate } from '../problem/memory.ts';

/**
 * Summarises a WebGPU adapter (what `navigator.gpu.requestAdapter()` gives) as its vendor,
 * architecture, description and whether it is a fallback adapter; browsers and Dawn fill these
 * fields a little differently. Typed loosely so that declarations need no WebGPU types.
 */
export function summarizeAdapter(adapter: object): GpuAdapterSummary {
  if (typeof adapter !== 'object' || adapter === null) throw new OptionError('adapter', adapter, 'must be a GPUAdapter');
  return summarizeGpuAdapter(adapter as GPUAdapter);
}

