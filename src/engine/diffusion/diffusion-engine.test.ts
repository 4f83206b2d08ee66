// The diffusion engine's prepared operations on the built-in model: style presets, blends
// that move with their weights, outpainting that keeps the original region, sizes that keep
// the input's shape, and LCM's step limit at a strength.

import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config.js';
import type { RgbImage } from '../../domain/image.js';
import { JobRequest, withDefaults, type JobRequestInput } from '../../domain/job.js';
import { localEngines } from '../registry.js';
import { join } from 'node:path';
import { applyStyle, STYLE_PRESETS, stylePreset } from './styles.js';

const engines = localEngines({ builtInModelsDir: join(packageRoot(), 'models'), modelsDir: join(packageRoot(), 'no-such-dir'), maxPixels: 4096 * 4096 });
afterAll(() => engines.sessions.close());

async function flat(colour: string, width = 64, height = 64): Promise<RgbImage> {
  const data = await sharp({ create: { width, height, channels: 3, background: colour } }).raw().toBuffer();
  return { width, height, data: new Uint8Array(data) };
}

async function run(input: JobRequestInput, images: RgbImage[]) {
  const spec = withDefaults(JobRequest.parse(input));
  await engines.registry.check(spec);
  return engines.registry.run({ spec, images }, { signal: new AbortController().signal, progress: () => {} });
}

function meanChannel(image: { data: Uint8Array }, channel: number): number {
  let sum = 0;
  for (let i = channel; i < image.data.length; i += 3) sum += image.data[i]!;
  return sum / (image.data.length / 3);
}

describe('styles', () => {
  it('wrap the prompt and add to the negative prompt', () => {
    const { prompt, negative } = applyStyle(stylePreset('pixel-art')!, 'a red circle', 'blue');
    expect(prompt).toBe('pixel-art a red circle, low-res, blocky, pixel art style, 8-bit graphics');
    expect(negative.endsWith(', blue')).toBe(true);
    expect(new Set(STYLE_PRESETS.map((s) => s.name)).size).toBe(STYLE_PRESETS.length);
    expect(STYLE_PRESETS.every((s) => s.prompt.includes('{prompt}'))).toBe(true);
  });

  it('runs style transfer of an image, and refuses unknown presets', async () => {
    const { images } = await run({ operation: 'style', image: 'x', style: 'watercolor', steps: 4, seed: 1 }, [await flat('#c03030')]);
    expect(images[0]!.image.width).toBe(64);
    await expect(run({ operation: 'style', image: 'x', style: 'no-such-style', steps: 4 }, [await flat('#c03030')])).rejects.toMatchObject({ code: 'invalid_parameter' });
  });
});

describe('blend', () => {
  it('moves with the weights', async () => {
    const red = await flat('#dc2828');
    const blue = await flat('#2850dc');
    const common = { operation: 'blend' as const, prompt: '', images: ['r', 'b'], strength: 0.4, steps: 10, seed: 5 };
    const towardsRed = (await run({ ...common, weights: [0.9, 0.1] }, [red, blue])).images[0]!.image;
    const towardsBlue = (await run({ ...common, weights: [0.1, 0.9] }, [red, blue])).images[0]!.image;
    expect(meanChannel(towardsRed, 0) - meanChannel(towardsRed, 2)).toBeGreaterThan(meanChannel(towardsBlue, 0) - meanChannel(towardsBlue, 2) + 40);
  });

  it('refuses a weight list of the wrong length', () => {
    expect(() => JobRequest.parse({ operation: 'blend', images: ['a', 'b'], weights: [1] })).toThrow(/one weight per image/);
  });
});

describe('outpaint', () => {
  it('extends the canvas and keeps the original region', async () => {
    const source = await flat('#30a050');
    const { images } = await run({ operation: 'outpaint', prompt: 'a yellow background', image: 'x', left: 16, top: 8, steps: 8, seed: 2 }, [source]);
    const out = images[0]!.image;
    expect([out.width, out.height]).toEqual([80, 72]);
    for (let y = 8; y < 72; y++) {
      for (let x = 16; x < 80; x++) {
        const i = (y * out.width + x) * 3;
        expect([out.data[i], out.data[i + 1], out.data[i + 2]]).toEqual([0x30, 0xa0, 0x50]);
      }
    }
  });

  it('needs at least one side', () => {
    expect(() => JobRequest.parse({ operation: 'outpaint', image: 'x', prompt: '' })).toThrow(/at least one/);
  });

  it('takes margins off the model grid and fits the extended canvas to it', async () => {
    // 64 + 6 = 70 wide on a grid of 4: the canvas is fitted to 72 x 64.
    const { images } = await run({ operation: 'outpaint', prompt: '', image: 'x', left: 6, steps: 2, seed: 3 }, [await flat('#000')]);
    expect([images[0]!.image.width, images[0]!.image.height]).toEqual([72, 64]);
  });
});

describe('size', () => {
  // Strength 0 runs no denoising step, so these only encode and decode.
  const edit = (size: { width?: number; height?: number }) => ({ operation: 'img2img' as const, prompt: '', image: 'x', strength: 0, steps: 2, seed: 1, ...size });

  it.each([
    ['width of a square', 512, 512, { width: 32 }, [32, 32]],
    ['height of a landscape', 256, 128, { height: 16 }, [32, 16]],
    ['width, rounding the height to the grid of 4', 100, 60, { width: 32 }, [32, 20]],
    ['width, at least one grid step high', 512, 48, { width: 16 }, [16, 4]],
  ] as const)('keeps the input aspect ratio when given only the %s', async (_, w, h, size, expected) => {
    const { images } = await run(edit(size), [await flat('#808080', w, h)]);
    expect([images[0]!.image.width, images[0]!.image.height]).toEqual(expected);
  });
});

describe('lcm', () => {
  it('refuses more steps than the strength leaves, saying how many it allows', async () => {
    const spec = { operation: 'img2img' as const, prompt: '', image: 'x', scheduler: 'lcm' as const, strength: 0.05, steps: 4 };
    // 50 distillation steps (the default original_inference_steps) at strength 0.05 leave 2.
    await expect(run(spec, [await flat('#808080')])).rejects.toMatchObject({ code: 'invalid_parameter', message: expect.stringMatching(/at most 2 steps .*strength 0\.05/) });
  });

  it('returns the image at strength 0, as the other schedulers do', async () => {
    const spec = { operation: 'img2img' as const, prompt: '', image: 'x', strength: 0, steps: 4, seed: 9 };
    const source = await flat('#c08040');
    const lcm = (await run({ ...spec, scheduler: 'lcm' }, [source])).images[0]!.image;
    const euler = (await run({ ...spec, scheduler: 'euler' }, [source])).images[0]!.image;
    expect(lcm.data).toEqual(euler.data);
  });
});
