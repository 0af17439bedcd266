// What the engine knows of a WebGPU adapter, free of WebGPU's own types (so that code which only
// reports on adapters, like the public API's backend line, needs no WebGPU declarations).

/** What the engine reports about the adapter it computes on. */
export interface GpuAdapterSummary {
  /** The adapter's vendor, e.g. "nvidia" (may be empty). */
  vendor: string;
  /** The adapter's architecture, e.g. "hopper" (may be empty). */
  architecture: string;
  /** The adapter's own description (may be empty). */
  description: string;
  /** True when the adapter says it is a fallback (software) adapter. */
  isFallback: boolean;
}

/** No WebGPU adapter could be obtained; the message says why and what to try. */
export class GpuUnavailableError extends Error {
  /** The error's name. */
  override name = 'GpuUnavailableError';
}

/** Whether an adapter is a software rasteriser (SwiftShader, llvmpipe, WARP…), slower than the CPU backend. */
export function isSoftwareAdapter(info: Partial<GpuAdapterSummary> | undefined): boolean {
  if (!info) return false;
  if (info.isFallback) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|warp|software/.test(text);
}

