// The WebGPU backend's public surface.
export { acquireGpu, isSoftwareAdapter, summarizeAdapter, GpuUnavailableError } from './device.ts';
export type { AcquiredGpu, AcquireOptions, GpuAdapterSummary } from './device.ts';
export { WebGpuBackend, createWebGpuBackend, createWebGpuBatch, createWebGpuBatchBackend, GpuDeviceLostError, GpuDeviceError } from './webgpu-backend.ts';
export type { PlanningLimits, WebGpuBackendOptions, WebGpuStats } from './webgpu-backend.ts';
export { GpuLimitError, planLayout, checkLimits, maxTrials, trialBytes, DEFAULT_MEMORY_BUDGET } from './layout.ts';
export type { GpuLayout, TrialCapacity } from './layout.ts';
