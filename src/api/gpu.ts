// A WebGPU device as the engine acquires it (the largest buffers the adapter allows), for callers
// who want to hold one themselves: to pass it as the `backend` option of several calls, to ask
// for optional features such as timestamp queries, or to report what the adapter is. Each entry
// binds acquireGpu to its runtime (Dawn in Node, navigator.gpu in a browser); the checks and the
// description of the result live here, once.
import type { GpuAdapterSummary } from '../backends/webgpu/adapter.ts';
import { describeAdapter, type GpuDeviceHandle } from './backend.ts';
import { checkKnownKeys, checkObject, OptionError } from './errors.ts';

/** Options of acquireGpu() in every runtime. */
export interface GpuAcquireOptions {
  /** The adapter to prefer (default `high-performance`). */
  powerPreference?: 'high-performance' | 'low-power';
  /**
   * WebGPU features to enable where the adapter offers them, e.g. `['timestamp-query']`; those
   * it lacks are left out (read `device.features` to see which were enabled).
   */
  optionalFeatures?: string[];
}

/** Options of acquireGpu() in Node. */
export interface NodeGpuAcquireOptions extends GpuAcquireOptions {
  /** Flags for Dawn's `create()`, e.g. `['backend=vulkan']` (Node only; they apply to the process's first device). */
  dawnFlags?: string[];
}

/** A device the caller owns (it calls `device.destroy()` when done), and what its adapter is. */
export interface AcquiredGpuDevice {
  /** The `GPUDevice` (typed structurally: code without WebGPU type declarations compiles against it). */
  device: GpuDeviceHandle;
  /** The adapter's vendor, architecture, description and fallback flag. */
  adapterInfo: GpuAdapterSummary;
  /** The features the adapter offers (whether or not the device enabled them), sorted. */
  adapterFeatures: string[];
  /** One line, e.g. "google swiftshader SwiftShader driver 5.0.0 (software adapter)". */
  description: string;
}

const POWER = ['high-performance', 'low-power'];

function stringList(option: string, v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) throw new OptionError(option, v, 'must be an array of non-empty strings');
  return v as string[];
}

/** What a runtime's acquisition gives, typed structurally (the declarations reach no WebGPU type). */
interface RuntimeGpu {
  device: object;
  adapter: { readonly features: Iterable<unknown> };
  adapterInfo: GpuAdapterSummary;
}

/** The options a runtime's acquisition takes, once checked. */
interface RuntimeGpuOptions {
  powerPreference?: 'high-performance' | 'low-power';
  optionalFeatures?: string[];
  dawnFlags?: string[];
}

/**
 * Checks acquireGpu()'s options and acquires the device with `acquire` (the runtime's).
 * `dawn`: whether the runtime takes Dawn flags (Node).
 */
export async function acquireGpuWith(
  acquire: (options: RuntimeGpuOptions) => Promise<RuntimeGpu>,
  options: NodeGpuAcquireOptions,
  dawn: boolean,
): Promise<AcquiredGpuDevice> {
  checkObject(options as unknown, 'options');
  checkKnownKeys(options, dawn ? ['powerPreference', 'optionalFeatures', 'dawnFlags'] : ['powerPreference', 'optionalFeatures'], '');
  if (options.powerPreference !== undefined && !POWER.includes(options.powerPreference as string)) {
    throw new OptionError('powerPreference', options.powerPreference, `must be one of ${POWER.join(', ')}`);
  }
  const optionalFeatures = stringList('optionalFeatures', options.optionalFeatures);
  const dawnFlags = stringList('dawnFlags', options.dawnFlags);
  const { device, adapter, adapterInfo } = await acquire({
    ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}),
    ...(optionalFeatures ? { optionalFeatures } : {}),
    ...(dawnFlags ? { dawnFlags } : {}),
  });
  return {
    device: device as GpuDeviceHandle,
    adapterInfo,
    adapterFeatures: [...adapter.features].map(String).sort(),
    description: describeAdapter(adapterInfo),
  };
}
