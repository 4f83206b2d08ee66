// The ESRGAN upscaler on small synthetic images: output sizes for every factor and weight
// package, quality against bicubic on an edge-rich picture, seamless tiling, alpha, tensor
// hygiene, progress and cancellation, and errors for bad requests. Large runs (1024 -> 4096)
// belong to bench/tools.ts.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DarkroomError } from '../../domain/errors.js';
import type { RgbImage } from '../../domain/image.js';
import { tensorflow, type Tf } from './tfjs.js';
import type { RgbaImage } from './tool-image.js';
import { Upscaler, type UpscaleOptions } from './upscaler.js';

const EDGES_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128">
  <rect width="128" height="128" fill="#f4f1e8"/>
  <g fill="#1b2a4a">
    <rect x="0" y="0" width="16" height="16"/><rect x="32" y="0" width="16" height="16"/>
    <rect x="16" y="16" width="16" height="16"/><rect x="48" y="16" width="16" height="16"/>
    <rect x="0" y="32" width="16" height="16"/><rect x="32" y="32" width="16" height="16"/>
    <rect x="16" y="48" width="16" height="16"/><rect x="48" y="48" width="16" height="16"/>
  </g>
  <circle cx="96" cy="32" r="24" fill="#c0392b"/>
  <path d="M0 80 L128 100 M0 96 L128 128 M64 64 L128 64" stroke="#111" stroke-width="4"/>
  <text x="6" y="120" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="22" fill="#0b6e4f">Dark 42</text>
</svg>`;

async function edges(width = 128, height = 128): Promise<RgbImage> {
  const { data, info } = await sharp(Buffer.from(EDGES_SVG)).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

async function resized(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data) };
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

function absDiff(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

async function rejection(promise: Promise<unknown>): Promise<DarkroomError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!DarkroomError.isInstance(error)) throw new Error(`Expected a DarkroomError, got ${String(error)}`);
  return error;
}

let upscaler: Upscaler;
let tf: Tf;
beforeAll(async () => {
  tf = await tensorflow();
  upscaler = new Upscaler();
  await upscaler.load('slim', 2);
  await upscaler.load('slim', 4);
});
afterAll(() => upscaler.dispose());

describe('sizes', () => {
  it.each([2, 3, 4] as const)('slim x%i gives the asked size', async (scale) => {
    const out = await upscaler.upscale(await edges(24, 16), { scale, model: 'slim' });
    expect([out.width, out.height, out.data.length]).toEqual([24 * scale, 16 * scale, 24 * scale * 16 * scale * 3]);
  });

  it('slim x8 on a tiny image', async () => {
    const out = await upscaler.upscale(await edges(8, 6), { scale: 8, model: 'slim' });
    expect([out.width, out.height, out.data.length]).toEqual([64, 48, 64 * 48 * 3]);
  });

  it.each(['medium', 'thick'] as const)('%s x2 loads (thick needs its custom layers) and keeps a flat colour', async (model) => {
    const flat: RgbImage = { width: 12, height: 10, data: new Uint8Array(12 * 10 * 3).map((_, i) => [51, 102, 153][i % 3]!) };
    const out = await upscaler.upscale(flat, { scale: 2, model });
    expect([out.width, out.height]).toEqual([24, 20]);
    expect(absDiff(out.data, new Uint8Array(out.data.length).map((_, i) => [51, 102, 153][i % 3]!)).max).toBeLessThanOrEqual(3);
  });
});

describe('quality', () => {
  it('beats bicubic on PSNR against an edge-rich original (128 -> 32 -> x4)', async () => {
    const original = await edges();
    const small = await resized(original, 32, 32);
    const esrgan = await upscaler.upscale(small, { scale: 4, model: 'slim' });
    const bicubic = await resized(small, 128, 128);
    const figures = { esrgan: psnr(original.data, esrgan.data), bicubic: psnr(original.data, bicubic.data) };
    console.info(`PSNR x4 slim vs bicubic: ${JSON.stringify(figures)}`);
    expect(figures.esrgan).toBeGreaterThan(figures.bicubic);
  });
});

describe('tiling', () => {
  it('an image larger than the tile comes out whole and without seams', async () => {
    const image = await edges(200, 150);
    const whole = await upscaler.upscale(image, { scale: 2, model: 'slim', tile: 4096 });
    const tiled = await upscaler.upscale(image, { scale: 2, model: 'slim', tile: 64, overlap: 16 });
    expect([tiled.width, tiled.height]).toEqual([400, 300]);
    const diff = absDiff(tiled.data, whole.data);
    expect(diff.mean).toBeLessThan(0.05);
    expect(diff.max).toBeLessThanOrEqual(2);
  });

  it('without overlap the seams show (the comparison above can see them)', async () => {
    const image = await edges(200, 150);
    const whole = await upscaler.upscale(image, { scale: 2, model: 'slim', tile: 4096 });
    const tiled = await upscaler.upscale(image, { scale: 2, model: 'slim', tile: 64, overlap: 0 });
    expect(absDiff(tiled.data, whole.data).max).toBeGreaterThan(20);
  });
});

describe('alpha', () => {
  it('keeps a transparent half transparent and an opaque half opaque', async () => {
    const rgb = await edges(48, 32);
    const data = new Uint8Array(48 * 32 * 4);
    for (let p = 0; p < 48 * 32; p++) {
      data.set(rgb.data.subarray(p * 3, p * 3 + 3), p * 4);
      data[p * 4 + 3] = p % 48 < 24 ? 0 : 255;
    }
    const input: RgbaImage = { width: 48, height: 32, channels: 4, data };
    const out = await upscaler.upscale(input, { scale: 2, model: 'slim' });
    expect(out.channels).toBe(4);
    expect([out.width, out.height, out.data.length]).toEqual([96, 64, 96 * 64 * 4]);
    const alphaAt = (x: number, y: number) => out.data[(y * 96 + x) * 4 + 3];
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 40; x++) expect(alphaAt(x, y)).toBe(0);
      for (let x = 56; x < 96; x++) expect(alphaAt(x, y)).toBe(255);
    }
  });
});

describe('resources', () => {
  it('leaves no tensor behind, also when cancelled mid-way', async () => {
    const image = await edges(100, 60);
    const before = tf.memory().numTensors;
    await upscaler.upscale(image, { scale: 2, model: 'slim', tile: 32 });
    expect(tf.memory().numTensors).toBe(before);

    const controller = new AbortController();
    const steps: string[] = [];
    const options: UpscaleOptions = {
      scale: 2,
      model: 'slim',
      tile: 32,
      signal: controller.signal,
      onProgress: ({ step, total }) => {
        steps.push(`${step}/${total}`);
        if (step === 2) controller.abort();
      },
    };
    expect((await rejection(upscaler.upscale(image, options))).code).toBe('cancelled');
    expect(steps).toEqual(['1/8', '2/8']);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bad requests', () => {
  const image: RgbImage = { width: 4, height: 4, data: new Uint8Array(48) };

  it.each([
    ['scale 5', { scale: 5, model: 'slim' }, /upscale factor to be one of 2, 3, 4, 8, got 5/],
    ['an unknown model', { scale: 4, model: 'huge' }, /upscale model to be one of slim, medium, thick, got "huge"/],
    ['tile 0', { scale: 4, model: 'slim', tile: 0 }, /tile to be an integer from 8 to 4096, got 0/],
    ['a negative overlap', { scale: 4, model: 'slim', overlap: -1 }, /overlap to be an integer from 0 to 1024, got -1/],
  ])('%s is an invalid_parameter', async (_, options, message) => {
    const error = await rejection(upscaler.upscale(image, options as unknown as UpscaleOptions));
    expect(error.code).toBe('invalid_parameter');
    expect(error.message).toMatch(message);
  });

  it('an output over the pixel limit is image_too_large', async () => {
    const big: RgbImage = { width: 100, height: 100, data: new Uint8Array(30_000) };
    const error = await rejection(upscaler.upscale(big, { scale: 4, model: 'slim', maxPixels: 100_000 }));
    expect(error.code).toBe('image_too_large');
    expect(error.message).toMatch(/400x400/);
  });
});
