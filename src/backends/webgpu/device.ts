// WebGPU device acquisition from a GPU object: the browser's navigator.gpu, or the one Node's
// `webgpu` package (Dawn) gives (node-gpu.ts, which prepares Vulkan and then calls acquireGpu
// here). Nothing in this file is specific to Node.

import { isSoftwareAdapter, GpuUnavailableError, type GpuAdapterSummary } from './adapter.ts';

export { isSoftwareAdapter, GpuUnavailableError, type GpuAdapterSummary } from './adapter.ts';

/** A device ready for the WebGPU backend, with the adapter it came from. */
export interface AcquiredGpu {
  device: GPUDevice;
  adapter: GPUAdapter;
  adapterInfo: GpuAdapterSummary;
}

/** Options of acquireGpu. */
export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Node only: extra Dawn flags for `create()`, e.g. ['backend=vulkan']. */
  dawnFlags?: string[];
  /** Features to enable where the adapter offers them (the bench asks for 'timestamp-query'); the rest are left out. */
  optionalFeatures?: GPUFeatureName[];
  /** The GPU object to ask (default: navigator.gpu). */
  gpu?: GPU;
}

/** Summarises an adapter's info (fields differ a little between browsers and Dawn). */
export function summarizeAdapter(adapter: GPUAdapter): GpuAdapterSummary {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const fallbackFlag =
    (info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter ??
    (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    false;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description || (info as (GPUAdapterInfo & { device?: string }) | undefined)?.device || '',
    isFallback: Boolean(fallbackFlag),
  };
}

/**
 * Requests an adapter and a device from `options.gpu` or navigator.gpu. The device asks for the
 * adapter's largest buffer sizes, so long series fit; everything else stays at the defaults.
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<AcquiredGpu> {
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    throw new GpuUnavailableError(
      'WebGPU is not available in this runtime (no navigator.gpu); use a browser with WebGPU enabled (in Chromium without a GPU: --enable-unsafe-webgpu, page on http://localhost)',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new GpuUnavailableError('no WebGPU adapter was found; in Chromium without a GPU, start it with --enable-unsafe-webgpu and serve the page from http://localhost');
  }
  return requestDevice(adapter, options);
}

/** Requests the engine's device from an adapter. */
export async function requestDevice(adapter: GPUAdapter, options: Pick<AcquireOptions, 'optionalFeatures'> = {}): Promise<AcquiredGpu> {
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    label: 'alm-rnn device',
    requiredFeatures: (options.optionalFeatures ?? []).filter((f) => adapter.features.has(f)),
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
    },
  });
  return { device, adapter, adapterInfo: summarizeAdapter(adapter) };
}
