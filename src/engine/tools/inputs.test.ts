// The inputs every image tool must take or refuse alike: PNGs that are not plain 8-bit RGB
// (an 8-bit palette PNG, a 16-bit PNG) decoded through the codec work; an empty image, a
// buffer that does not match its size, and an image over the pixel limit are refused with
// the stable codes `invalid_image` and `image_too_large`.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../domain/image.js';
import { decodeImage } from '../../images/codec.js';
import { BackgroundRemover } from './background-removal.js';
import { ContentClassifier } from './content-classifier.js';
import type { ToolImage } from './tool-image.js';
import { Upscaler } from './upscaler.js';

const SCENE = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="60"><rect width="80" height="60" fill="#2f6fb0"/><circle cx="40" cy="30" r="20" fill="#e63946"/></svg>',
);

const ENCODINGS = {
  'an 8-bit palette PNG': () => sharp(SCENE).png({ palette: true }).toBuffer(),
  'a 16-bit PNG': () => sharp(SCENE).toColourspace('rgb16').png().toBuffer(),
};

const upscaler = new Upscaler();
const remover = new BackgroundRemover();
const classifier = new ContentClassifier();

/** Every tool, run with default options and an optional pixel limit. */
const TOOLS: Record<string, (image: ToolImage, maxPixels?: number) => Promise<unknown>> = {
  upscaler: (image, maxPixels) => upscaler.upscale(image, { scale: 2, model: 'slim', maxPixels }),
  'background removal': (image, maxPixels) => remover.remove(image, { output: 'mask', maxPixels }),
  'content classifier': (image, maxPixels) => classifier.classify(image, { maxPixels }),
};

beforeAll(async () => {
  await Promise.all([upscaler.load('slim', 2), remover.load(), classifier.load()]);
});
afterAll(async () => {
  upscaler.dispose();
  classifier.dispose();
  await remover.close();
});

describe.each(Object.entries(ENCODINGS))('%s through decodeImage', (_, encode) => {
  let image: RgbImage;
  beforeAll(async () => {
    image = await decodeImage(await encode());
  });

  it('decodes to 8-bit RGB', () => {
    expect([image.width, image.height, image.data.length]).toEqual([80, 60, 80 * 60 * 3]);
    expect([...image.data.subarray((30 * 80 + 40) * 3, (30 * 80 + 40) * 3 + 3)]).toEqual([230, 57, 70]);
  });

  it('upscales', async () => {
    const out = await upscaler.upscale(image, { scale: 2, model: 'slim' });
    expect([out.width, out.height]).toEqual([160, 120]);
    const centre = out.data.subarray((60 * 160 + 80) * 3, (60 * 160 + 80) * 3 + 3);
    [230, 57, 70].forEach((v, c) => expect(Math.abs(centre[c]! - v)).toBeLessThanOrEqual(6));
  });

  it('has its background removed', async () => {
    const { mask } = await remover.remove(image, { output: 'mask' });
    expect([mask.width, mask.height]).toEqual([80, 60]);
    expect(mask.data[30 * 80 + 40]).toBeGreaterThan(200);
    expect(mask.data[2 * 80 + 2]).toBeLessThan(50);
  });

  it('is classified', async () => {
    const scores = await classifier.classify(image);
    expect(Object.values(scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });
});

describe.each(Object.entries(TOOLS))('the %s refuses', (_, run) => {
  it('an empty image as invalid_image', async () => {
    await expect(run({ width: 0, height: 10, data: new Uint8Array(0) })).rejects.toMatchObject({
      code: 'invalid_image',
      message: 'The image must be at least 1x1 pixels, got 0x10',
    });
  });

  it('pixels that do not match the size as invalid_image', async () => {
    await expect(run({ width: 4, height: 4, data: new Uint8Array(47) })).rejects.toMatchObject({
      code: 'invalid_image',
      message: 'The image is 4x4x3 and needs 48 bytes, got 47',
    });
  });

  it('an image over the pixel limit as image_too_large', async () => {
    const image: RgbImage = { width: 80, height: 60, data: new Uint8Array(80 * 60 * 3) };
    await expect(run(image, 1000)).rejects.toMatchObject({ code: 'image_too_large', status: 413 });
  });
});
