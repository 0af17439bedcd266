// WebGPU device acquisition for both runtimes the engine supports: a browser (navigator.gpu)
// and Node through the `webgpu` npm package (Dawn). On a Node machine without a GPU driver,
// Dawn runs on SwiftShader when VK_ICD_FILENAMES names Chromium's SwiftShader ICD.

/** What the engine reports about the adapter it computes on. */
export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  /** True when the adapter says it is a fallback (software) adapter. */
  isFallback: boolean;
}

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
}

/** No WebGPU adapter could be obtained; the message says why and what to try. */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** Chromium's SwiftShader Vulkan ICD on Debian/Ubuntu. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Device nodes whose presence means a hardware GPU driver may be usable. */
const GPU_DEVICE_NODES = ['/dev/dri', '/dev/nvidiactl', '/dev/nvidia0', '/dev/kfd'];

export function isSoftwareAdapter(info: Partial<GpuAdapterSummary> | undefined): boolean {
  if (!info) return false;
  if (info.isFallback) return true;
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|warp|software/.test(text);
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

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

type NodeEnv = Record<string, string | undefined>;

function nodeEnv(): NodeEnv {
  return (globalThis as unknown as { process: { env: NodeEnv } }).process.env;
}

async function nodeFs(): Promise<typeof import('node:fs')> {
  const name = 'node:fs';
  return (await import(/* @vite-ignore */ name)) as typeof import('node:fs');
}

/** Node: whether Vulkan may be pointed at SwiftShader (no ICD chosen by the user, and the ICD exists). */
async function canUseSwiftShader(): Promise<boolean> {
  const env = nodeEnv();
  if (env.VK_ICD_FILENAMES !== undefined || env.VK_DRIVER_FILES !== undefined) return false;
  return (await nodeFs()).existsSync(SWIFTSHADER_ICD);
}

/** Where NVIDIA's driver installs its Vulkan ICD description (distribution and container layouts). */
const NVIDIA_ICD_FILES = [
  '/usr/share/vulkan/icd.d/nvidia_icd.json',
  '/etc/vulkan/icd.d/nvidia_icd.json',
  '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json',
];

/**
 * Node: picks the Vulkan driver before Dawn starts. Without GPU device nodes, SwiftShader. On a
 * headless NVIDIA machine (no DISPLAY), NVIDIA's ICD names libGLX_nvidia, which gives no
 * device without an X server; the same driver loads through libEGL_nvidia, so a copy of the
 * ICD that names it is written to the temporary directory and used instead.
 */
async function prepareNodeVulkan(): Promise<void> {
  const env = nodeEnv();
  const fs = await nodeFs();
  if (env.XDG_RUNTIME_DIR === undefined) {
    // Vulkan's window-system probing complains on stderr without one; a private empty dir will do.
    const dir = `${env.TMPDIR ?? '/tmp'}/alm-rnn-runtime-${process.getuid?.() ?? 0}`;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      env.XDG_RUNTIME_DIR = dir;
    } catch {
      // Only cosmetic: the warning stays.
    }
  }
  if (env.VK_ICD_FILENAMES !== undefined || env.VK_DRIVER_FILES !== undefined) return;
  const hasGpuNode = GPU_DEVICE_NODES.some((p) => fs.existsSync(p));
  if (!hasGpuNode) {
    if (fs.existsSync(SWIFTSHADER_ICD)) env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    return;
  }
  if (env.DISPLAY || !fs.existsSync('/dev/nvidiactl')) return;
  for (const file of NVIDIA_ICD_FILES) {
    if (!fs.existsSync(file)) continue;
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (!text.includes('libGLX_nvidia')) return;
      const dir = `${env.TMPDIR ?? '/tmp'}/alm-rnn-vulkan-${process.pid}`;
      fs.mkdirSync(dir, { recursive: true });
      const egl = `${dir}/nvidia_icd_egl.json`;
      fs.writeFileSync(egl, text.replace(/libGLX_nvidia\.so\.0/g, 'libEGL_nvidia.so.0'));
      env.VK_ICD_FILENAMES = egl;
    } catch {
      // Leave Vulkan's own choice in place; acquireGpu reports if no adapter results.
    }
    return;
  }
}

type DawnModule = { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
let dawn: DawnModule | undefined;
let nodeGpu: GPU | undefined;

/** Node: the `webgpu` package's GPU object (created once per process), with its globals installed. */
async function nodeNavigatorGpu(flags: string[], fresh = false): Promise<GPU> {
  if (nodeGpu && !fresh) return nodeGpu;
  if (!dawn) {
    await prepareNodeVulkan();
    const name = 'webgpu';
    try {
      dawn = (await import(/* @vite-ignore */ name)) as DawnModule;
    } catch (e) {
      throw new GpuUnavailableError(`the "webgpu" package (Dawn for Node) could not be loaded: ${(e as Error).message}`);
    }
    Object.assign(globalThis, dawn.globals);
  }
  nodeGpu = dawn.create(flags);
  return nodeGpu;
}

/**
 * Requests an adapter and a device in the current runtime (browser or Node). The device asks for
 * the adapter's largest buffer sizes, so long series fit; everything else stays at the defaults.
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<AcquiredGpu> {
  let gpu: GPU | undefined;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) gpu = nav.gpu;
  else if (isNode()) gpu = await nodeNavigatorGpu(options.dawnFlags ?? []);
  if (!gpu) {
    throw new GpuUnavailableError(
      'WebGPU is not available in this runtime (no navigator.gpu); use a browser with WebGPU enabled or Node with the "webgpu" package',
    );
  }
  let adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter && !nav?.gpu && isNode() && (await canUseSwiftShader())) {
    // The installed Vulkan drivers gave no usable adapter: retry on SwiftShader.
    nodeEnv().VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    gpu = await nodeNavigatorGpu(options.dawnFlags ?? [], true);
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  }
  if (!adapter) {
    const hint = isNode()
      ? `; on a machine without a GPU driver install chromium (for ${SWIFTSHADER_ICD}) and libvulkan1, or set VK_ICD_FILENAMES`
      : '; in Chromium without a GPU, start it with --enable-unsafe-webgpu and serve the page from http://localhost';
    throw new GpuUnavailableError(`no WebGPU adapter was found${hint}`);
  }
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
