// The bench's WebGPU device: the package's acquireGpu (Dawn in Node, navigator.gpu in a browser:
// whichever entry of 'alm-rnn' this runtime resolves) with 'timestamp-query' asked for where
// the adapter offers it (per-kernel GPU times), and a report of what the adapter has.
import { acquireGpu, isSoftwareAdapter, type NodeGpuAcquireOptions } from 'alm-rnn';
import { instrumentDevice, PassTimer } from './gpu-timer.ts';

/** What the report says about the adapter. */
export interface AdapterReport {
  /** E.g. "node: Dawn (webgpu package)" or "browser: Mozilla/5.0 …". */
  runtime: string;
  vendor: string;
  architecture: string;
  description: string;
  isFallback: boolean;
  software: boolean;
  /** One line, e.g. "google swiftshader SwiftShader driver 5.0.0 (software adapter)". */
  line: string;
  features: string[];
  /** Whether per-pass GPU timestamps are taken. */
  timestampQuery: boolean;
  /** Why per-kernel GPU times are missing, or how they were taken. */
  timestampNote: string;
  limits: Record<string, number>;
}

/** A device for the benchmark and what it is. */
export interface BenchGpu {
  /** The device the backends get: instrumented with the pass timer when there is one. */
  device: GPUDevice;
  /** The device itself (for work the bench records without timing). */
  rawDevice: GPUDevice;
  report: AdapterReport;
  /** Null when the adapter lacks 'timestamp-query'. */
  timer: PassTimer | null;
  /** Destroys the timer's buffers and the device. */
  release(): void;
}

const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage',
] as const;

/** The sentence the table and the JSON carry when the adapter has no timestamps. */
export const NO_TIMESTAMPS = 'per-kernel times unavailable: adapter lacks timestamp-query';

/**
 * Acquires a device as the engine does (acquireGpu), with timestamp queries when offered.
 * `runtime` describes the runtime for the report; it is called once the device exists (in Node,
 * after the Vulkan driver was chosen). `options` go to acquireGpu (Dawn flags in Node).
 */
export async function openBenchGpu(runtime: () => string, options: Omit<NodeGpuAcquireOptions, 'optionalFeatures'> = {}): Promise<BenchGpu> {
  const acquired = await acquireGpu({ ...options, optionalFeatures: ['timestamp-query'] });
  // The handle is the GPUDevice itself, typed structurally by the API; the bench has WebGPU's types.
  const device = acquired.device as unknown as GPUDevice;
  const info = acquired.adapterInfo;
  const features = acquired.adapterFeatures;
  const timestampQuery = device.features.has('timestamp-query');
  const limits: Record<string, number> = {};
  for (const k of LIMITS) limits[k] = Number(device.limits[k]);
  const timer = timestampQuery ? new PassTimer(device) : null;
  const where = runtime();
  const report: AdapterReport = {
    runtime: where,
    ...info,
    software: isSoftwareAdapter(info),
    line: acquired.description,
    features,
    timestampQuery,
    timestampNote: timestampQuery
      ? 'per-kernel GPU times from timestamp queries written at the beginning and end of each compute pass' +
        (where.startsWith('browser') ? ' (Chrome rounds them to 100 µs unless started with --enable-webgpu-developer-features)' : '')
      : NO_TIMESTAMPS,
    limits,
  };
  return {
    device: timer ? instrumentDevice(device, timer) : device,
    rawDevice: device,
    report,
    timer,
    release() {
      timer?.destroy();
      device.destroy();
    },
  };
}
