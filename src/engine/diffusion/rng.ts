// The seeded random number generator behind every noise tensor, specified so that one
// seed gives the same image on every machine and in every Darkroom version:
//
//   1. The seed (an integer 0 <= seed < 2^53) seeds SplitMix64; its first two 64-bit
//      outputs, high word first, become the four 32-bit words of xoshiro128** 1.1.
//   2. A uniform double in [0, 1) takes two xoshiro128** outputs a, b:
//      ((a >>> 5) * 2^26 + (b >>> 6)) / 2^53  (53 random bits, as in Java and NumPy).
//   3. Normals come in Box-Muller pairs from two uniforms u1, u2:
//      r = sqrt(-2 ln(1 - u1)); z0 = r cos(2 pi u2), z1 = r sin(2 pi u2),
//      handed out z0 first; an odd count keeps the unused z1 for the next call.
//
// V8 computes Math.log/cos/sin with its own fdlibm port, so results do not depend on the
// platform's libm. The order in which the pipeline draws is part of the contract and is
// written down where it draws (pipeline.ts).

const MASK64 = (1n << 64n) - 1n;

function splitMix64(state: bigint): [next: bigint, output: bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

export class SeededRandom {
  private readonly s = new Uint32Array(4);
  private spare: number | undefined;

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`Expected seed to be an integer from 0 to 2^53 - 1, got ${seed}`);
    }
    let state = BigInt(seed);
    for (let i = 0; i < 2; i++) {
      const [next, out] = splitMix64(state);
      state = next;
      this.s[2 * i] = Number(out >> 32n);
      this.s[2 * i + 1] = Number(out & 0xffffffffn);
    }
  }

  /** xoshiro128** 1.1: the next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    let [s0, s1, s2, s3] = [s[0]!, s[1]!, s[2]!, s[3]!];
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return result;
  }

  /** A uniform double in [0, 1). */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** One standard normal sample. */
  normal(): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** `count` standard normals as float32, drawn in order. */
  normals(count: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A random seed for callers that did not choose one (a 32-bit value, easy to type back). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}
