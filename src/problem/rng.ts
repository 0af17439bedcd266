// Seeded pseudo-random numbers: xoshiro128** seeded through splitmix32, with Box–Muller
// normals. The whole state is four 32-bit words plus a cached normal, so it can be saved in a
// checkpoint and restored exactly.

/** Serialisable position of an Rng. */
export interface RngState {
  s: [number, number, number, number];
  spareNormal: number | null;
}

/** A deterministic random number generator; the same seed gives the same stream everywhere. */
export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // splitmix32 expands one seed into four well-mixed state words.
    let x = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [a, b). */
  uniformIn(a: number, b: number): number {
    return a + (b - a) * this.uniform();
  }

  /** Normal with the given mean and standard deviation. */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u1 = this.uniform();
    while (u1 === 0) u1 = this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    this.spare = radius * Math.sin(2 * Math.PI * u2);
    return mean + std * radius * Math.cos(2 * Math.PI * u2);
  }

  /** Fills `out` with normals of the given standard deviation and returns it. */
  fillNormal(out: Float64Array, std: number): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(0, std);
    return out;
  }

  /** Fills `out` with uniforms on [a, b) and returns it. */
  fillUniform(out: Float64Array, a: number, b: number): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniformIn(a, b);
    return out;
  }

  /** The generator's position, for checkpoints. */
  getState(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spareNormal: this.spare };
  }

  /** Restores a position saved by getState(). */
  setState(state: RngState): void {
    this.s.set(state.s);
    this.spare = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
