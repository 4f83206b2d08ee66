import { describe, expect, it } from 'vitest';
import { slerp, weightedSlerp } from './blend.js';

const norm = (v: Float32Array) => Math.hypot(...v);

describe('slerp', () => {
  it('ends at its endpoints and keeps the norm of orthogonal unit vectors', () => {
    const a = Float32Array.from([1, 0]);
    const b = Float32Array.from([0, 1]);
    expect(Array.from(slerp(a, b, 0))).toEqual([1, 0]);
    expect(slerp(a, b, 1)[1]).toBeCloseTo(1, 6);
    const mid = slerp(a, b, 0.5);
    expect(norm(mid)).toBeCloseTo(1, 6);
    expect(mid[0]).toBeCloseTo(Math.SQRT1_2, 6);
  });
});

describe('weightedSlerp', () => {
  it('moves with the weights', () => {
    const a = Float32Array.from([1, 0, 0]);
    const b = Float32Array.from([0, 1, 0]);
    const towardsA = weightedSlerp([a, b], [3, 1]);
    const towardsB = weightedSlerp([a, b], [1, 3]);
    expect(towardsA[0]).toBeGreaterThan(towardsA[1]!);
    expect(towardsB[1]).toBeGreaterThan(towardsB[0]!);
  });

  it('gives every input a part, and keeps unit inputs near unit length', () => {
    const parts = [Float32Array.from([1, 0, 0]), Float32Array.from([0, 1, 0]), Float32Array.from([0, 0, 1])];
    const even = weightedSlerp(parts, [1, 1, 1]);
    for (const component of even) expect(component).toBeGreaterThan(0.45);
    expect(norm(even)).toBeCloseTo(1, 5);
  });

  it('ignores zero weights and rejects bad ones', () => {
    const a = Float32Array.from([1, 2]);
    expect(Array.from(weightedSlerp([a, Float32Array.from([5, 5])], [1, 0]))).toEqual([1, 2]);
    expect(() => weightedSlerp([a], [1, 2])).toThrow(/one weight/);
    expect(() => weightedSlerp([a, a], [0, 0])).toThrow(/not all zero/);
  });
});
