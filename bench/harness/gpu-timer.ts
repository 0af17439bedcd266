// GPU-side timing from the bench, without changing the backend: the backend is given a view of
// the device whose command encoders add timestamp writes to every compute pass they begin
// while the timer is armed. Each pass the backend records carries its label (one pass per
// sweep batch in sweep(); one pass per step, labelled by the step, in profileSweep()), so the
// resolved timestamps give GPU time per batch and per kernel family.

/** GPUBufferUsage values (local, so nothing depends on the globals being installed). */
const QUERY_RESOLVE = 0x200;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const MAP_READ = 0x1;

/** One timed compute pass: its label and GPU time in ms. */
export interface PassTime {
  label: string;
  ms: number;
}

/** Adds timestamp writes to compute passes recorded through `device` (see instrumentDevice). */
export class PassTimer {
  /** Whether the next compute passes get timestamp writes. */
  armed = false;
  private readonly capacity: number;
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private readonly readBuf: GPUBuffer;
  private labels: string[] = [];
  /** Passes begun while armed after the query set was full (not timed). */
  dropped = 0;

  constructor(
    private readonly device: GPUDevice,
    passes = 128,
  ) {
    this.capacity = passes;
    this.querySet = device.createQuerySet({ label: 'bench timestamps', type: 'timestamp', count: 2 * passes });
    this.resolveBuf = device.createBuffer({ label: 'bench timestamps resolve', size: 16 * passes, usage: QUERY_RESOLVE | COPY_SRC });
    this.readBuf = device.createBuffer({ label: 'bench timestamps read-back', size: 16 * passes, usage: COPY_DST | MAP_READ });
  }

  /** The timestamp writes for the next pass (or undefined when disarmed or full). */
  next(label: string | undefined): GPUComputePassTimestampWrites | undefined {
    if (!this.armed) return undefined;
    if (this.labels.length >= this.capacity) {
      this.dropped++;
      return undefined;
    }
    const i = this.labels.length;
    this.labels.push(label ?? '(unlabelled pass)');
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Resolves the passes timed since the last collect (after the work that holds them was submitted). */
  async collect(): Promise<PassTime[]> {
    const n = this.labels.length;
    const labels = this.labels;
    this.labels = [];
    if (n === 0) return [];
    const enc = this.device.createCommandEncoder({ label: 'bench timestamps resolve' });
    enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, 0, 16 * n);
    this.device.queue.submit([enc.finish()]);
    await this.readBuf.mapAsync(MAP_READ, 0, 16 * n);
    const t = new BigUint64Array(this.readBuf.getMappedRange(0, 16 * n).slice(0));
    this.readBuf.unmap();
    const out: PassTime[] = [];
    for (let i = 0; i < n; i++) {
      const d = Number(t[2 * i + 1] - t[2 * i]);
      out.push({ label: labels[i], ms: Math.max(0, d) / 1e6 });
    }
    return out;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
    this.readBuf.destroy();
  }
}

/** Binds every function property to the real object (native WebGPU objects check `this`). */
function forward<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, key) {
      if (key in overrides) return (overrides as Record<PropertyKey, unknown>)[key];
      const v = Reflect.get(t, key, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
    set(t, key, value) {
      return Reflect.set(t, key, value, t);
    },
  });
}

/**
 * A view of `device` whose command encoders give each compute pass timestamp writes from
 * `timer` while it is armed. Everything else goes straight to the device.
 */
export function instrumentDevice(device: GPUDevice, timer: PassTimer): GPUDevice {
  const createCommandEncoder = (desc?: GPUCommandEncoderDescriptor): GPUCommandEncoder => {
    const enc = device.createCommandEncoder(desc);
    const beginComputePass = (pass?: GPUComputePassDescriptor): GPUComputePassEncoder => {
      const writes = pass?.timestampWrites ? undefined : timer.next(pass?.label);
      return enc.beginComputePass(writes ? { ...pass, timestampWrites: writes } : pass);
    };
    return forward(enc, { beginComputePass });
  };
  return forward(device, { createCommandEncoder });
}
