// The memory estimate that refuses runs too big to allocate, before anything is allocated.
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/errors.ts';
import { checkMemory, estimateCpuMemory, estimateHostMemory, formatBytes, MAX_TYPED_ARRAY_LENGTH } from '../../src/problem/memory.ts';

describe('memory estimates', () => {
  it('count the K×K w-block system and the r×T series of the CPU backend', () => {
    const shape = { T: 450, n: 80, m: 30, r: 100 };
    const K = 181;
    const cpu = estimateCpuMemory(shape);
    expect(cpu.largestArray).toBe(Math.max(K * K, 450 * K));
    expect(cpu.bytes).toBeGreaterThan(8 * (K * K + 17 * 100 * 450));
    expect(cpu.bytes).toBeLessThan(8 * 2e6);
    expect(estimateHostMemory(shape).bytes).toBeLessThan(cpu.bytes);
  });

  it('refuse an array longer than a typed array may be, and more bytes than are there, with the estimate', () => {
    const big = { T: 9, n: 5, m: 3, r: 100_000 };
    expect(estimateHostMemory(big).largestArray).toBeGreaterThan(MAX_TYPED_ARRAY_LENGTH);
    expect(() => checkMemory(big, estimateHostMemory(big), 'the weights')).toThrow(UserInputError);
    expect(() => checkMemory(big, estimateHostMemory(big), 'the weights')).toThrow(/r=100000 .* need about 240 GB for the weights, and one array of 1\.00e\+10 values/);
    const mid = { T: 1000, n: 10, m: 1, r: 2000 };
    expect(() => checkMemory(mid, estimateCpuMemory(mid), 'the float64 CPU backend', 1e8)).toThrow(/need about \d+(\.\d+)? MB for the float64 CPU backend, more than the 100 MB of memory here: lower --hidden/);
    expect(() => checkMemory(mid, estimateCpuMemory(mid), 'the float64 CPU backend', 1e12)).not.toThrow();
  });

  it('formats bytes in powers of 1000', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1.5e9)).toBe('1.50 GB');
  });
});
