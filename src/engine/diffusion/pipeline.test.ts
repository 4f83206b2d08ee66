// The pipeline on the built-in model: parity with the PyTorch reference that trained it,
// determinism, image-to-image and inpainting behaviour, and errors for bad requests.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, meanAbsDiff, openTiny } from '../../../test/helpers/tiny.js';
import type { Mask, RgbImage } from '../../domain/image.js';
import type { SchedulerName } from '../../domain/job.js';
import type { SessionPool } from './onnx-session.js';
import type { DiffusionPipeline, GenerateRequest } from './pipeline.js';

interface ReferenceCase {
  sampler: SchedulerName;
  prompt: string;
  negative: string;
  steps: number;
  guidance: number;
  initial_latents: number[];
  final_latents: number[];
  image_rgb: number[];
}
const reference = JSON.parse(readFileSync(join(FIXTURES, 'tiny-reference.json'), 'utf8')) as { cases: ReferenceCase[] };

let pipeline: DiffusionPipeline;
let sessions: SessionPool;
beforeAll(async () => {
  ({ pipeline, sessions } = await openTiny());
});
afterAll(() => sessions.close());

const base: GenerateRequest = {
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  width: 64,
  height: 64,
  steps: 12,
  guidance: 7.5,
  scheduler: 'euler',
  seed: 7,
  count: 1,
};

/** The pixels that stand out from the colour of the four corners: where the shape is. */
function footprint(image: RgbImage): boolean[] {
  const { width, height, data } = image;
  const corners = [0, width - 1, (height - 1) * width, height * width - 1];
  const background = [0, 1, 2].map((c) => corners.reduce((sum, p) => sum + data[p * 3 + c]!, 0) / 4);
  return Array.from({ length: width * height }, (_, p) => Math.hypot(...background.map((b, c) => data[p * 3 + c]! - b)) > 60);
}

/** Intersection over union of two images' footprints. */
function layoutOverlap(a: RgbImage, b: RgbImage): number {
  const [fa, fb] = [footprint(a), footprint(b)];
  const both = fa.filter((v, p) => v && fb[p]).length;
  const either = fa.filter((v, p) => v || fb[p]).length;
  return both / either;
}

describe('parity with PyTorch', () => {
  // Tolerance: final latents within 1e-3 (max abs) of the PyTorch sampler, pixels within 2/255.
  it.each(reference.cases.map((c) => [c.sampler, c] as const))('%s with guidance matches the reference', async (_, c) => {
    const result = await pipeline.generate({
      ...base,
      prompt: c.prompt,
      negativePrompt: c.negative,
      steps: c.steps,
      guidance: c.guidance,
      scheduler: c.sampler,
      latents: Float32Array.from(c.initial_latents),
    });
    const diff = Math.max(...c.final_latents.map((v, i) => Math.abs(v - result.latents[i]!)));
    expect(diff).toBeLessThanOrEqual(1e-3);
    const pixels = result.images[0]!.image.data;
    const worst = Math.max(...c.image_rgb.map((v, i) => Math.abs(v - pixels[i]!)));
    expect(worst).toBeLessThanOrEqual(2);
  });
});

describe('seeds', () => {
  it('gives identical pixels for one seed, different ones for another', async () => {
    const a = await pipeline.generate(base);
    const b = await pipeline.generate(base);
    const c = await pipeline.generate({ ...base, seed: 8 });
    expect(Buffer.from(a.images[0]!.image.data).equals(Buffer.from(b.images[0]!.image.data))).toBe(true);
    expect(meanAbsDiff(a.images[0]!.image, c.images[0]!.image)).toBeGreaterThan(1);
  });

  it('makes image k of a batch the same as a single image with seed + k', async () => {
    const batch = await pipeline.generate({ ...base, count: 3, scheduler: 'euler-a' });
    const third = await pipeline.generate({ ...base, seed: base.seed + 2, scheduler: 'euler-a' });
    expect(batch.images.map((i) => i.seed)).toEqual([7, 8, 9]);
    expect(meanAbsDiff(batch.images[2]!.image, third.images[0]!.image)).toBeLessThan(0.5);
  });
});

describe('every sampler', () => {
  it.each(['euler', 'euler-a', 'ddim', 'dpmpp-2m', 'dpmpp-2m-karras', 'lcm'] as const)('%s draws the prompt', async (scheduler) => {
    const prompt = 'a red circle in the centre on a blue background';
    const { images } = await pipeline.generate({ ...base, prompt, scheduler, steps: scheduler === 'lcm' ? 8 : 20 });
    const image = images[0]!.image;
    const centre = image.data.subarray((32 * 64 + 32) * 3, (32 * 64 + 32) * 3 + 3);
    expect(centre[0]).toBeGreaterThan(centre[2]!);
  });
});

describe('image to image', () => {
  let source: RgbImage;
  beforeAll(async () => {
    source = (await pipeline.generate({ ...base, prompt: 'a large yellow square on a purple background', steps: 20 })).images[0]!.image;
  });

  it('keeps the layout at low strength and changes it at high strength', async () => {
    const prompt = 'a small white triangle on the left, green background';
    const low = (await pipeline.generate({ ...base, prompt, image: source, strength: 0.2, steps: 20 })).images[0]!.image;
    const high = (await pipeline.generate({ ...base, prompt, image: source, strength: 0.95, steps: 20 })).images[0]!.image;
    // Layout is where the shape stands; at low strength the new prompt may recolour it.
    expect(layoutOverlap(low, source)).toBeGreaterThan(0.6);
    expect(layoutOverlap(high, source)).toBeLessThan(0.4);
    expect(meanAbsDiff(high, source)).toBeGreaterThan(meanAbsDiff(low, source));
  });

  it('returns the image itself (through the VAE) at strength 0', async () => {
    const same = (await pipeline.generate({ ...base, image: source, strength: 0 })).images[0]!.image;
    expect(meanAbsDiff(same, source)).toBeLessThan(8);
  });

  it('repaints the masked region and keeps the rest', async () => {
    const data = new Float32Array(64 * 64);
    for (let y = 16; y < 48; y++) for (let x = 16; x < 48; x++) data[y * 64 + x] = 1;
    const mask: Mask = { width: 64, height: 64, data };
    const result = (
      await pipeline.generate({ ...base, prompt: 'a red circle on a purple background', image: source, mask, strength: 1, steps: 20 })
    ).images[0]!.image;
    const inside = (x: number, y: number) => data[y * 64 + x] === 1;
    expect(meanAbsDiff(result, source, inside)).toBeGreaterThan(30);
    expect(meanAbsDiff(result, source, (x, y) => !inside(x, y))).toBeLessThan(1);
  });
});

describe('bad requests', () => {
  it.each([
    [{ width: 66 }, /multiple of 4/],
    [{ height: 0 }, /multiple of 4/],
    [{ steps: 0 }, /steps/],
    [{ strength: 1.5 }, /strength/],
    [{ strength: -0.1 }, /strength/],
    [{ count: 0 }, /count/],
  ] as const)('rejects %o', async (change, message) => {
    await expect(pipeline.generate({ ...base, ...change })).rejects.toMatchObject({ code: 'invalid_parameter', message: expect.stringMatching(message) });
  });

  it('stops between steps when cancelled', async () => {
    const controller = new AbortController();
    let steps = 0;
    await expect(
      pipeline.generate(
        { ...base, steps: 30 },
        {
          signal: controller.signal,
          onStep: () => {
            steps++;
            if (steps === 3) controller.abort();
          },
        },
      ),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(steps).toBe(3);
  });

  it('reports every step with a decodable preview', async () => {
    const seen: [number, number][] = [];
    let preview: Promise<RgbImage> | undefined;
    await pipeline.generate(
      { ...base, steps: 5 },
      {
        onStep: (p) => {
          seen.push([p.step, p.total]);
          if (p.step === 5) preview = p.preview();
        },
      },
    );
    expect(seen).toEqual([1, 2, 3, 4, 5].map((step) => [step, 5]));
    expect((await preview!).width).toBe(64);
  });
});

describe('the tiny decoder (vae_decoder_tiny, TAESD)', () => {
  /** PSNR in dB of two images of one size. */
  function psnr(a: RgbImage, b: RgbImage): number {
    let sum = 0;
    for (let i = 0; i < a.data.length; i++) sum += (a.data[i]! - b.data[i]!) ** 2;
    return 10 * Math.log10((255 * 255) / (sum / a.data.length));
  }

  it('gives a cheap preview on every step, close to the full decoder', async () => {
    const previews: { cheap: boolean; image: RgbImage }[] = [];
    const { images } = await pipeline.generate({ ...base, steps: 8 }, { onStep: async (p) => void previews.push({ cheap: p.cheapPreview, image: await p.preview() }) });
    expect(previews.map((p) => p.cheap)).toEqual(Array(8).fill(true));
    // The last step's estimate is the final image: the tiny decoder's picture of it.
    const quality = psnr(previews.at(-1)!.image, images[0]!.image);
    console.log(`tiny decoder vs full VAE on the final latents: ${quality.toFixed(1)} dB`);
    expect(quality).toBeGreaterThan(26);
  });

  it('decodes the final images when fast_decode asks, a little differently from the full decoder', async () => {
    const full = (await pipeline.generate(base)).images[0]!.image;
    const fast = (await pipeline.generate({ ...base, fastDecode: true })).images[0]!.image;
    const difference = meanAbsDiff(full, fast);
    expect(difference).toBeGreaterThan(0.5);
    expect(difference).toBeLessThan(12);
  });
});
