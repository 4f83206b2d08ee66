import { describe, expect, it } from 'vitest';
import { fromHalf, toHalf } from './fp16.js';

describe('float16 conversion', () => {
  // Bit patterns from the IEEE 754 binary16 definition.
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [1e6, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001],
    [2 ** -14, 0x0400],
    [0.333251953125, 0x3555],
  ])('encodes %d as 0x%s', (value, bits) => {
    expect(toHalf(value)).toBe(bits);
    if (Number.isFinite(value) && Math.abs(value) <= 65504) expect(fromHalf(bits)).toBe(value);
  });

  it('rounds to nearest even', () => {
    // 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): ties go to the even one.
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('keeps NaN', () => {
    expect(Number.isNaN(fromHalf(toHalf(Number.NaN)))).toBe(true);
  });

  it('round-trips every finite half', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) === 0x7c00) continue;
      expect(toHalf(fromHalf(bits))).toBe(bits);
    }
  });
});
