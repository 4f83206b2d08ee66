// Real exports differ from Optimum's current output: fp16 inputs and weights, int32
// input_ids, int64 or batched timesteps, `latent_sample` from the VAE encoder, weights in
// external data files. darkroom-tiny's variants (tools/train-tiny/variants.py) have each of
// these, and must give the main model's images.

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../src/domain/image.js';
import type { DiffusionPipeline, GenerateRequest } from '../src/engine/diffusion/pipeline.js';
import type { SessionPool } from '../src/engine/diffusion/onnx-session.js';
import { openTiny, variantDir } from './helpers/tiny.js';

const request: GenerateRequest = {
  prompt: 'a green triangle on a white background',
  negativePrompt: 'red',
  width: 64,
  height: 64,
  steps: 10,
  guidance: 7.5,
  scheduler: 'euler',
  seed: 21,
  count: 2,
};

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

let main: { pipeline: DiffusionPipeline; sessions: SessionPool };
let expected: RgbImage[];
let edited: RgbImage;
beforeAll(async () => {
  main = await openTiny();
  expected = (await main.pipeline.generate(request)).images.map((i) => i.image);
  edited = (await main.pipeline.generate({ ...request, count: 1, image: expected[0]!, strength: 0.5 })).images[0]!.image;
});
afterAll(() => main.sessions.close());

describe.each([
  ['fp16', 3],
  ['legacy', 0.5],
] as const)('the %s variant', (variant, tolerance) => {
  let dir: string;
  let model: { pipeline: DiffusionPipeline; sessions: SessionPool };
  beforeAll(async () => {
    dir = await variantDir(variant);
    model = await openTiny(dir);
  });
  afterAll(async () => {
    await model.sessions.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('really has the differing inputs and outputs', async () => {
    const { files } = model.pipeline.config;
    const text = await model.sessions.get(files.textEncoder);
    const unet = await model.sessions.get(files.unet);
    const encoder = await model.sessions.get(files.vaeEncoder!);
    if (variant === 'fp16') {
      expect(unet.input('sample').type).toBe('float16');
      expect(unet.input('timestep')).toMatchObject({ type: 'float16', shape: ['batch_size'] });
      expect(text.input('input_ids').type).toBe('int64');
    } else {
      expect(text.input('input_ids').type).toBe('int32');
      expect(unet.input('timestep')).toMatchObject({ type: 'int64', shape: ['batch_size'] });
      expect(encoder.outputNames).toEqual(['latent_sample']);
    }
  });

  it(`generates the main model's images (mean difference under ${tolerance}/255)`, async () => {
    const images = (await model.pipeline.generate(request)).images.map((i) => i.image);
    images.forEach((image, k) => expect(meanAbsDiff(image, expected[k]!)).toBeLessThan(tolerance));
  });

  it("starts image-to-image from the main model's latents", async () => {
    const image = (await model.pipeline.generate({ ...request, count: 1, image: expected[0]!, strength: 0.5 })).images[0]!.image;
    expect(meanAbsDiff(image, edited)).toBeLessThan(tolerance + 1);
  });
});
