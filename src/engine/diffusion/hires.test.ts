// Hires fix's pieces: the latent upscale against PyTorch's interpolate, and the target size.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hiresSize, resizeLatents } from './hires.js';

const torch = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'torch-interpolate.json'), 'utf8')) as Record<string, number[]>;
const input = Float32Array.from(torch.input!);

describe('resizeLatents', () => {
  it.each([
    ['bilinear', 4, 6, 'bilinear_4x6'],
    ['bilinear', 3, 5, 'bilinear_3x5'],
    ['nearest', 3, 5, 'nearest_3x5'],
  ] as const)('matches torch %s to %dx%d', (mode, H, W, key) => {
    const out = resizeLatents(input, 2, 2, 3, H, W, mode);
    const expected = torch[key]!;
    expect(out).toHaveLength(expected.length);
    expect(Math.max(...expected.map((v, i) => Math.abs(v - out[i]!)))).toBeLessThan(1e-5);
  });
});

describe('hiresSize', () => {
  const hires = { scale: 2, upscaler: 'latent' as const, strength: 0.7 };
  it('multiplies the base size by the scale, on the grid', () => {
    expect(hiresSize(hires, { width: 64, height: 48 }, 4)).toEqual({ width: 128, height: 96 });
    expect(hiresSize({ ...hires, scale: 1.5 }, { width: 512, height: 512 }, 64)).toEqual({ width: 768, height: 768 });
    expect(hiresSize({ ...hires, scale: 1.3 }, { width: 512, height: 512 }, 64)).toEqual({ width: 640, height: 640 });
  });

  it('takes a given width and height instead, keeping the aspect when one is given', () => {
    expect(hiresSize({ ...hires, width: 96, height: 80 }, { width: 64, height: 64 }, 4)).toEqual({ width: 96, height: 80 });
    expect(hiresSize({ ...hires, width: 128 }, { width: 64, height: 32 }, 4)).toEqual({ width: 128, height: 64 });
    expect(hiresSize({ ...hires, height: 100 }, { width: 64, height: 64 }, 8)).toEqual({ width: 104, height: 104 });
  });
});
