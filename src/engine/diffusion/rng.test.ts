import { describe, expect, it } from 'vitest';
import { SeededRandom } from './rng.js';

describe('SeededRandom', () => {
  // Expected words printed by Vigna's reference C code (splitmix64.c seeding
  // xoshiro128starstar.c, high word first), compiled with gcc.
  it.each([
    [0, [513008459, 2795874746, 972916236, 1374099887, 2042740824, 3697851841]],
    [42, [825760943, 2622800619, 310231447, 2495256757, 2989135795, 2459417038]],
    [9007199254740991, [2256960655, 2188756253, 2143589989, 4237968077, 824940730, 1053796467]],
  ])('matches the reference xoshiro128** stream for seed %d', (seed, words) => {
    const rng = new SeededRandom(seed);
    expect(words.map(() => rng.nextUint32())).toEqual(words);
  });

  it('draws standard normals', () => {
    const z = new SeededRandom(7).normals(200_000);
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    const beyond2 = z.filter((v) => Math.abs(v) > 2).length / z.length;
    expect(beyond2).toBeCloseTo(0.0455, 2);
  });

  it('gives the same numbers for the same seed and different ones for another', () => {
    expect(new SeededRandom(1).normals(16)).toEqual(new SeededRandom(1).normals(16));
    expect(new SeededRandom(1).normals(16)).not.toEqual(new SeededRandom(2).normals(16));
  });

  it('does not depend on how the draws are split into calls', () => {
    const a = new SeededRandom(3);
    const joined = [...a.normals(3), ...a.normals(4)];
    expect(Float32Array.from(joined)).toEqual(new SeededRandom(3).normals(7));
  });

  it.each([-1, 1.5, 2 ** 53, Number.NaN])('rejects the seed %d', (seed) => {
    expect(() => new SeededRandom(seed)).toThrow(/seed/);
  });
});
