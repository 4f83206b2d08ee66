// Real exports differ from Optimum's current output: fp16 inputs and weights, int32
// input_ids, int64 or batched timesteps, `latent_sample` from the VAE encoder, weights in
// external data files. darkroom-tiny's variants (tools/train-tiny/variants.py) have each of
// these, and must give the main model's images.

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../src/domain/image.js';
import type { DiffusionPipeline, GenerateRequest } from '../src/engine/diffusion/pipeline.js';
import type { SessionPool } from '../src/engine/diffusion/onnx-session.js';
import { meanAbsDiff, openTiny, TINY_XL_DIR, variantDir } from './helpers/tiny.js';

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

describe('an inpainting UNet with a guidance embedding (9-channel sample, timestep_cond)', () => {
  let dir: string;
  let model: { pipeline: DiffusionPipeline; sessions: SessionPool };
  beforeAll(async () => {
    dir = await variantDir('inpaint9');
    model = await openTiny(dir);
  });
  afterAll(async () => {
    await model.sessions.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is recognised from its inputs', async () => {
    const unet = await model.sessions.get(model.pipeline.config.files.unet);
    expect(unet.input('sample').shape[1]).toBe(9);
    expect(unet.input('timestep_cond').shape[1]).toBe(256);
  });

  it('refuses text-to-image, which such a model cannot do', async () => {
    await expect(model.pipeline.generate({ ...request, count: 1 })).rejects.toMatchObject({ code: 'unsupported_operation' });
  });

  it('inpaints with the mask and masked image as extra channels, keeping the rest', async () => {
    const data = new Float32Array(64 * 64);
    for (let y = 16; y < 48; y++) for (let x = 16; x < 48; x++) data[y * 64 + x] = 1;
    const result = await model.pipeline.generate({ ...request, count: 1, image: expected[0]!, mask: { width: 64, height: 64, data }, strength: 1, scheduler: 'lcm', steps: 4 });
    const image = result.images[0]!.image;
    for (let p = 0; p < 64 * 64; p++) {
      if (data[p] === 1) continue;
      expect(image.data[p * 3]).toBe(expected[0]!.data[p * 3]);
    }
  });
});

describe.each([
  ['fp16', 3],
  ['ort-names', 0],
] as const)("darkroom-tiny-xl's %s variant", (variant, tolerance) => {
  let main: { pipeline: DiffusionPipeline; sessions: SessionPool };
  let model: { pipeline: DiffusionPipeline; sessions: SessionPool };
  let dir: string;
  beforeAll(async () => {
    main = await openTiny(TINY_XL_DIR);
    dir = await variantDir(variant, 'xl');
    model = await openTiny(dir);
  });
  afterAll(async () => {
    await Promise.all([main.sessions.close(), model.sessions.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('really has the differing inputs and outputs', async () => {
    const { files } = model.pipeline.config;
    const [first, second, unet] = await Promise.all([files.textEncoder, files.textEncoder2!, files.unet].map((f) => model.sessions.get(f)));
    if (variant === 'fp16') {
      expect(first!.input('input_ids').type).toBe('int32');
      expect(second!.input('input_ids').type).toBe('int64');
      expect(unet!.input('text_embeds').type).toBe('float16');
      expect(unet!.input('time_ids').type).toBe('float16');
    } else {
      expect([...first!.outputNames].sort()).toEqual(['hidden_states', 'text_embeddings']);
      expect([...second!.outputNames].sort()).toEqual(['hidden_states', 'text_embeddings']);
    }
  });

  it(`generates the main model's images (mean difference at most ${tolerance}/255)`, async () => {
    const xlRequest = { ...request, negativePrompt: '', guidance: 6 };
    const expectedXl = (await main.pipeline.generate(xlRequest)).images.map((i) => i.image);
    const images = (await model.pipeline.generate(xlRequest)).images.map((i) => i.image);
    images.forEach((image, k) => expect(meanAbsDiff(image, expectedXl[k]!)).toBeLessThanOrEqual(tolerance));
  });
});
