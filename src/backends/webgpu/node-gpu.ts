// WebGPU in Node through the optional `webgpu` package (Dawn). Before Dawn starts, Vulkan is
// pointed at a usable driver: on a machine without a GPU, Chromium's SwiftShader ICD; on a
// headless NVIDIA machine, the driver through EGL. Node only: the browser needs none of this.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acquireGpu as acquireFrom, GpuUnavailableError, requestDevice, type AcquiredGpu, type AcquireOptions } from './device.ts';

/** Chromium's SwiftShader Vulkan ICD on Debian/Ubuntu. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Device nodes whose presence means a hardware GPU driver may be usable. */
const GPU_DEVICE_NODES = ['/dev/dri', '/dev/nvidiactl', '/dev/nvidia0', '/dev/kfd'];


/** Node: whether Vulkan may be pointed at SwiftShader (no ICD chosen by the user, and the ICD exists). */
function canUseSwiftShader(): boolean {
  const env = process.env;
  if (env.VK_ICD_FILENAMES !== undefined || env.VK_DRIVER_FILES !== undefined) return false;
  return fs.existsSync(SWIFTSHADER_ICD);
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
function prepareNodeVulkan(): void {
  const env = process.env;
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

/** Where the Vulkan loader looks for driver descriptions when no variable names them (Linux), besides the XDG folders. */
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d', '/etc/xdg/vulkan/icd.d'];

let nativeMessages = false;

/**
 * Whether Dawn may start when no Vulkan driver can be found (default false). Dawn and the
 * Vulkan loader then write their warnings and a native source location straight to file
 * descriptor 2, which the process cannot take back; `alm-rnn train --verbose` asks to see them.
 */
export function showNativeGpuMessages(show: boolean): void {
  nativeMessages = show;
}

/**
 * Why Vulkan can have no driver here, judged from files alone before Dawn starts; undefined
 * when one may exist. Catches the cases that make Dawn print its warnings: a VK_ICD_FILENAMES
 * (or VK_DRIVER_FILES) naming no existing file, or (on Linux) no driver description anywhere.
 */
function missingVulkanDriver(): string | undefined {
  // Elsewhere Dawn runs on Metal or Direct3D, not Vulkan.
  if (process.platform !== 'linux') return undefined;
  const env = process.env;
  // Drivers added to the search may be anywhere: leave the judgement to Vulkan.
  if (env.VK_ADD_DRIVER_FILES !== undefined) return undefined;
  const named = env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES;
  if (named !== undefined) {
    const files = named.split(':').filter((f) => f !== '');
    const variable = env.VK_DRIVER_FILES !== undefined ? 'VK_DRIVER_FILES' : 'VK_ICD_FILENAMES';
    const existing = files.filter((f) => fs.existsSync(f));
    if (existing.length === 0) return `${variable} names no existing Vulkan driver file (${named}): point it at a driver's .json file, or unset it`;
    if (existing.some(driverLibraryMayLoad)) return undefined;
    return `the Vulkan driver that ${variable} names has no library installed (${existing.map(driverLibrary).join(', ')}): install the driver, or point ${variable} at another`;
  }
  // The loader's search: the XDG config and data folders (with their defaults), then the system ones.
  const home = env.HOME;
  const xdg = [
    env.XDG_CONFIG_HOME ?? (home !== undefined ? `${home}/.config` : undefined),
    ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':'),
    env.XDG_DATA_HOME ?? (home !== undefined ? `${home}/.local/share` : undefined),
    ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':'),
  ].filter((d): d is string => d !== undefined && d !== '').map((d) => `${d}/vulkan/icd.d`);
  const descriptions = [...ICD_DIRS, ...xdg].flatMap((dir) => {
    try {
      return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f));
    } catch {
      return [];
    }
  });
  if (descriptions.length === 0) {
    return `no Vulkan driver is installed (no driver description in ${ICD_DIRS[0]}); on a machine without a GPU driver install chromium (for ${SWIFTSHADER_ICD}) and libvulkan1`;
  }
  if (descriptions.some(driverLibraryMayLoad)) return undefined;
  return `no Vulkan driver's library is installed (${descriptions.map(driverLibrary).join(', ')}); on a machine without a GPU driver install chromium (for ${SWIFTSHADER_ICD}) and libvulkan1`;
}

/** The library a Vulkan driver description names (its ICD.library_path), or its own path when it names none. */
function driverLibrary(description: string): string {
  try {
    const lib = (JSON.parse(fs.readFileSync(description, 'utf8')) as { ICD?: { library_path?: unknown } }).ICD?.library_path;
    return typeof lib === 'string' && lib !== '' ? lib : description;
  } catch {
    return description;
  }
}

/**
 * Whether the library of a driver description may load. False only when it surely cannot: a path
 * (absolute, or relative to the description) that is not there, or a bare name that neither
 * LD_LIBRARY_PATH nor the dynamic linker's cache (ldconfig -p) knows. Anything unreadable or
 * unknowable counts as may-load, so that a real driver is never passed over.
 */
function driverLibraryMayLoad(description: string): boolean {
  const lib = driverLibrary(description);
  if (lib === description) return true;
  if (lib.includes('/')) return fs.existsSync(path.isAbsolute(lib) ? lib : path.join(path.dirname(description), lib));
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '')) {
    if (fs.existsSync(path.join(dir, lib))) return true;
  }
  return linkerCache()?.has(lib) ?? true;
}

let cachedLinkerNames: Set<string> | null | undefined;

/** The library names the dynamic linker's cache holds (`ldconfig -p`), or null when it cannot be read. */
function linkerCache(): Set<string> | null {
  if (cachedLinkerNames !== undefined) return cachedLinkerNames;
  cachedLinkerNames = null;
  for (const ldconfig of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const listed = spawnSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    if (listed.status !== 0 || typeof listed.stdout !== 'string') continue;
    // Lines read "\tlibvulkan.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libvulkan.so.1".
    cachedLinkerNames = new Set(listed.stdout.split('\n').map((line) => line.trim().split(' ')[0]).filter((name) => name !== ''));
    break;
  }
  return cachedLinkerNames;
}

type DawnModule = { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
let dawn: DawnModule | undefined;
let nodeGpu: GPU | undefined;

/** Node: the `webgpu` package's GPU object (created once per process), with its globals installed. */
async function nodeNavigatorGpu(flags: string[], fresh = false): Promise<GPU> {
  if (nodeGpu && !fresh) return nodeGpu;
  if (!dawn) {
    prepareNodeVulkan();
    const missing = nativeMessages ? undefined : missingVulkanDriver();
    if (missing !== undefined) {
      throw new GpuUnavailableError(`no WebGPU adapter: ${missing}`);
    }
    // A variable specifier: `webgpu` is an optional peer dependency, not to be resolved by
    // bundlers or TypeScript ahead of time.
    const name = 'webgpu';
    try {
      dawn = (await import(/* @vite-ignore */ name)) as DawnModule;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes("'webgpu'")) {
        throw new GpuUnavailableError('WebGPU in Node needs the optional package "webgpu" (Dawn): npm install webgpu');
      }
      throw new GpuUnavailableError(`the "webgpu" package (Dawn for Node) could not be loaded: ${err.message}`);
    }
    Object.assign(globalThis, dawn.globals);
  }
  nodeGpu = dawn.create(flags);
  return nodeGpu;
}


/**
 * Requests an adapter and a device in Node from Dawn (navigator.gpu when a runtime provides
 * one), retrying on SwiftShader when the installed Vulkan drivers give no adapter.
 */
export async function acquireGpu(options: AcquireOptions = {}): Promise<AcquiredGpu> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (options.gpu || nav?.gpu) return acquireFrom(options);
  let gpu = await nodeNavigatorGpu(options.dawnFlags ?? []);
  let adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter && canUseSwiftShader()) {
    // The installed Vulkan drivers gave no usable adapter: retry on SwiftShader.
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    gpu = await nodeNavigatorGpu(options.dawnFlags ?? [], true);
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  }
  if (!adapter) {
    throw new GpuUnavailableError(`no WebGPU adapter was found; on a machine without a GPU driver install chromium (for ${SWIFTSHADER_ICD}) and libvulkan1, or set VK_ICD_FILENAMES`);
  }
  return requestDevice(adapter, options);
}
export type { AcquiredGpu, AcquireOptions, GpuAdapterSummary } from './device.ts';
