// Background removal on synthetic scenes whose true object mask is known: one flat-coloured
// salient object drawn over a textured background (noise plus stripes or a gradient). The
// matte, thresholded at 128, must overlap the drawn object with IoU >= 0.9.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../domain/image.js';
import { BackgroundRemover } from './background-removal.js';
import { encodeToolImage, type RgbaImage } from './tool-image.js';

const SIZE = 320;

interface Scene {
  background: string;
  object: string;
  /** Base colour of the background noise. */
  base: [number, number, number];
}

function stripes(colour: string, width: number, angle: number): string {
  return `<defs><pattern id="s" width="${width * 2}" height="${width * 2}" patternUnits="userSpaceOnUse" patternTransform="rotate(${angle})"><rect width="${width}" height="${width * 2}" fill="${colour}" fill-opacity="0.35"/></pattern></defs><rect width="100%" height="100%" fill="url(#s)"/>`;
}

function star(cx: number, cy: number, outer: number, inner: number): string {
  return Array.from({ length: 10 }, (_, i) => {
    const angle = (Math.PI / 5) * i - Math.PI / 2;
    const r = i % 2 ? inner : outer;
    return `${(cx + r * Math.cos(angle)).toFixed(1)},${(cy + r * Math.sin(angle)).toFixed(1)}`;
  }).join(' ');
}

const SCENES: Record<string, Scene> = {
  'a red disc on grey stripes': {
    base: [200, 200, 190],
    background: stripes('#777', 9, 30),
    object: `<circle cx="160" cy="168" r="92" fill="#d62828"/>`,
  },
  'a yellow star on a blue-to-cream gradient': {
    base: [170, 190, 210],
    background: `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#8fb8de" stop-opacity="0.7"/><stop offset="1" stop-color="#f2e8cf" stop-opacity="0.7"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/>`,
    object: `<polygon points="${star(160, 168, 125, 52)}" fill="#f4c20d"/>`,
  },
  'a navy person silhouette on green stripes': {
    base: [215, 215, 205],
    background: stripes('#9a8', 13, -20),
    object: `<g fill="#1d3557"><circle cx="160" cy="75" r="38"/><rect x="106" y="117" width="108" height="125" rx="33"/><rect x="117" y="217" width="35" height="92" rx="15"/><rect x="168" y="217" width="35" height="92" rx="15"/><rect x="71" y="125" width="30" height="100" rx="15"/><rect x="219" y="125" width="30" height="100" rx="15"/></g>`,
  },
};

/** A seeded LCG, so the noise is the same on every run. */
function noise(seed: number, base: [number, number, number], amplitude: number): Uint8Array {
  let state = seed >>> 0;
  const data = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < data.length; i++) {
    state = (state * 1664525 + 1013904223) >>> 0;
    data[i] = Math.max(0, Math.min(255, base[i % 3]! + (state / 2 ** 32 - 0.5) * amplitude));
  }
  return data;
}

const svg = (body: string) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}">${body}</svg>`);

async function render(scene: Scene, seed: number): Promise<{ image: RgbImage; truth: Uint8Array }> {
  const data = await sharp(noise(seed, scene.base, 60), { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .composite([{ input: svg(scene.background) }, { input: svg(scene.object) }])
    .removeAlpha()
    .raw()
    .toBuffer();
  const truth = await sharp(svg(scene.object)).ensureAlpha().extractChannel(3).raw().toBuffer();
  return { image: { width: SIZE, height: SIZE, data: new Uint8Array(data) }, truth: new Uint8Array(truth) };
}

function iou(matte: Uint8Array, truth: Uint8Array, where: (p: number) => boolean = () => true): number {
  let both = 0;
  let either = 0;
  for (let p = 0; p < matte.length; p++) {
    if (!where(p)) continue;
    const a = matte[p]! >= 128;
    const b = truth[p]! >= 128;
    if (a && b) both++;
    if (a || b) either++;
  }
  return both / either;
}

let remover: BackgroundRemover;
beforeAll(async () => {
  remover = new BackgroundRemover();
  await remover.load();
});
afterAll(() => remover.close());

describe('the matte finds the salient object', () => {
  it.each(Object.entries(SCENES).map(([name, scene], i) => [name, scene, i + 1] as const))('%s (IoU >= 0.9)', async (name, scene, seed) => {
    const { image, truth } = await render(scene, seed);
    const { mask } = await remover.remove(image, { output: 'mask' });
    expect([mask.width, mask.height, mask.data.length]).toEqual([SIZE, SIZE, SIZE * SIZE]);
    const score = iou(mask.data, truth);
    console.info(`IoU ${name}: ${score.toFixed(4)}`);
    expect(score).toBeGreaterThanOrEqual(0.9);
  });
});

describe('image output', () => {
  it('gives RGBA whose alpha is the matte, keeping the input transparent where it was', async () => {
    const { image, truth } = await render(SCENES['a red disc on grey stripes']!, 7);
    // The bottom 60 rows, which cut through the disc, are transparent in the input.
    const band = (p: number) => Math.floor(p / SIZE) >= SIZE - 60;
    const data = new Uint8Array(SIZE * SIZE * 4);
    for (let p = 0; p < SIZE * SIZE; p++) {
      data.set(image.data.subarray(p * 3, p * 3 + 3), p * 4);
      data[p * 4 + 3] = band(p) ? 0 : 255;
    }
    const input: RgbaImage = { width: SIZE, height: SIZE, channels: 4, data };
    const { image: out } = await remover.remove(input, { output: 'image' });
    expect([out.width, out.height, out.channels, out.data.length]).toEqual([SIZE, SIZE, 4, SIZE * SIZE * 4]);
    const alpha = out.data.filter((_, i) => i % 4 === 3);
    expect(alpha.filter((_, p) => band(p)).every((a) => a === 0)).toBe(true);
    expect(iou(alpha, truth, (p) => !band(p))).toBeGreaterThanOrEqual(0.9);
    for (let p = 0; p < SIZE * SIZE; p += 997) expect(out.data.subarray(p * 4, p * 4 + 3)).toEqual(image.data.subarray(p * 3, p * 3 + 3));

    for (const format of ['png', 'webp'] as const) {
      const encoded = await encodeToolImage(out, { format });
      const meta = await sharp(encoded).metadata();
      expect([meta.format, meta.hasAlpha, meta.width, meta.height]).toEqual([format, true, SIZE, SIZE]);
      const decodedAlpha = await sharp(encoded).extractChannel(3).raw().toBuffer();
      expect(decodedAlpha.equals(Buffer.from(alpha))).toBe(true);
    }
  });
});

describe('loading', () => {
  it('never holds the model in the JS heap, and leaves no temporary file behind', async () => {
    // The chunks go to a file onnxruntime reads; bytes handed over in memory would stay in
    // the heap, uncollected, through the first run and add their size to its peak.
    const temporary = await mkdtemp(join(tmpdir(), 'darkroom-isnet-test-'));
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = temporary;
    const fresh = new BackgroundRemover();
    const before = process.memoryUsage().arrayBuffers;
    let most = 0;
    let samples = 0;
    const watch = setInterval(() => {
      most = Math.max(most, process.memoryUsage().arrayBuffers - before);
      samples++;
    }, 0);
    try {
      await fresh.load('small');
      expect(samples).toBeGreaterThan(2);
      expect(most).toBeLessThan(16 * 1024 * 1024);
      expect(await readdir(temporary)).toEqual([]);
    } finally {
      clearInterval(watch);
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      await fresh.close();
      await rm(temporary, { recursive: true, force: true });
    }
  });
});

describe('bad requests', () => {
  it('refuses an unknown model and an unknown output', async () => {
    const image: RgbImage = { width: 2, height: 2, data: new Uint8Array(12) };
    await expect(remover.remove(image, { output: 'image', model: 'large' as 'small' })).rejects.toMatchObject({
      code: 'invalid_parameter',
      message: 'Expected the background model to be one of medium, small, got "large"',
    });
    await expect(remover.remove(image, { output: 'alpha' as 'mask' })).rejects.toMatchObject({ code: 'invalid_parameter' });
  });
});
