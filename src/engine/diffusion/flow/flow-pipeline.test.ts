// The flow-matching pipeline on darkroom-tiny-flow: the tokenizer and chat template against
// the Python tokenizer that wrote tokenizer.json, the ONNX graphs against PyTorch at several
// shapes, whole generations against the PyTorch sampler (a port of diffusers' ZImagePipeline),
// and the errors a flow model gives for what it cannot do.

import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES, meanAbsDiff, TINY_FLOW_DIR, TINY_FLOW_WEBNN_DIR, variantDir } from '../../../../test/helpers/tiny.js';
import { loadPipeline } from '../load.js';
import { SessionPool } from '../onnx-session.js';
import type { GenerateRequest } from '../pipeline.js';
import { ChatTokenizer } from './chat-tokenizer.js';
import { FlowPipeline } from './flow-pipeline.js';

interface Reference {
  shift: number;
  tokens: { prompt: string; text: string; ids: number[] }[];
  encoder: { prompt: string; hidden: number[] }[];
  transformer: { shape: number[]; timestep: number; caption_length: number; hidden_states: number[]; encoder_hidden_states: number[]; sample: number[] }[];
  cases: ReferenceCase[];
  int4_cases: ReferenceCase[];
}
interface ReferenceCase {
  prompt: string;
  negative: string;
  steps: number;
  guidance: number;
  strength?: number;
  initial_latents: number[];
  image_latents?: number[];
  final_latents: number[];
  image_rgb: number[];
}
const reference = JSON.parse(readFileSync(join(FIXTURES, 'tiny-flow-reference.json'), 'utf8')) as Reference;

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

let pipeline: FlowPipeline;
let sessions: SessionPool;
beforeAll(async () => {
  sessions = new SessionPool();
  const loaded = await loadPipeline(TINY_FLOW_DIR, sessions);
  if (!(loaded instanceof FlowPipeline)) throw new Error('darkroom-tiny-flow did not load as a flow model');
  pipeline = loaded;
});
afterAll(() => sessions.close());

const base: GenerateRequest = {
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  width: 64,
  height: 64,
  steps: 8,
  guidance: 0,
  scheduler: 'euler',
  seed: 5,
  count: 1,
};

describe('the tokenizer and chat template', () => {
  it.each(reference.tokens.map((t) => [JSON.stringify(t.prompt), t] as const))('give the Python ids for %s', async (_, t) => {
    const tokenizer = await ChatTokenizer.load(join(TINY_FLOW_DIR, 'tokenizer'), 512);
    expect(tokenizer.render(t.prompt)).toBe(t.text);
    expect(tokenizer.ids(t.prompt)).toEqual(t.ids);
  });

  it('refuses a prompt past the encoder\'s length, saying how long it is', async () => {
    const tokenizer = await ChatTokenizer.load(join(TINY_FLOW_DIR, 'tokenizer'), 512);
    expect(() => tokenizer.ids('a red circle '.repeat(200))).toThrow(/is \d+ tokens long .* at most 512/);
  });

  it('knows the words of its captions in both languages, not words it never saw', async () => {
    const tokenizer = await ChatTokenizer.load(join(TINY_FLOW_DIR, 'tokenizer'), 512);
    for (const word of ['circle', 'triangle', 'background', '红色圆形', '正方形']) expect(tokenizer.knows(word), word).toBe(true);
    for (const word of ['cat', 'sofa', '猫']) expect(tokenizer.knows(word), word).toBe(false);
  });
});

describe('the ONNX graphs against PyTorch', () => {
  it.each(reference.encoder.map((e) => [e.prompt, e] as const))('text encoder: %s', async (_, e) => {
    const encoder = await sessions.get(join(TINY_FLOW_DIR, 'text_encoder', 'model.onnx'));
    const tokenizer = await ChatTokenizer.load(join(TINY_FLOW_DIR, 'tokenizer'), 512);
    const ids = tokenizer.ids(e.prompt);
    const out = await encoder.run({ input_ids: { kind: 'int', data: ids, dims: [1, ids.length] }, attention_mask: { kind: 'int', data: ids.map(() => 1), dims: [1, ids.length] } });
    expect(maxDiff(out.encoder_hidden_states!.data, e.hidden)).toBeLessThan(1e-4);
  });

  it.each(reference.transformer.map((b) => [`${b.shape.join('x')}, ${b.caption_length} tokens`, b] as const))('transformer at %s', async (_, b) => {
    const transformer = await sessions.get(join(TINY_FLOW_DIR, 'transformer', 'model.onnx'));
    const out = await transformer.run({
      hidden_states: { kind: 'float', data: Float32Array.from(b.hidden_states), dims: b.shape },
      timestep: { kind: 'float', data: Float32Array.of(b.timestep), dims: [1] },
      encoder_hidden_states: { kind: 'float', data: Float32Array.from(b.encoder_hidden_states), dims: [1, b.caption_length, b.encoder_hidden_states.length / b.caption_length] },
    });
    expect(out.sample!.dims).toEqual(b.shape);
    expect(maxDiff(out.sample!.data, b.sample)).toBeLessThan(1e-3);
  });
});

describe('parity with the PyTorch sampler', () => {
  // Tolerance: final latents within 2e-3 (max abs) of PyTorch, pixels within 2/255.
  it.each(reference.cases.map((c) => [`${c.prompt} (guidance ${c.guidance}${c.strength ? `, img2img ${c.strength}` : ''})`, c] as const))('%s', async (_, c) => {
    const result = await pipeline.generate({
      ...base,
      prompt: c.prompt,
      negativePrompt: c.negative,
      steps: c.steps,
      guidance: c.guidance,
      latents: Float32Array.from(c.initial_latents),
      ...(c.image_latents ? { imageLatents: Float32Array.from(c.image_latents), strength: c.strength } : {}),
    });
    expect(maxDiff(result.latents, c.final_latents)).toBeLessThanOrEqual(2e-3);
    expect(maxDiff(result.images[0]!.image.data, c.image_rgb)).toBeLessThanOrEqual(2);
  });
});

describe('other exports of it', () => {
  it('runs the int4 transformer (MatMulNBits) as PyTorch runs the same rounded weights', async () => {
    const dir = await variantDir('int4', 'flow');
    expect(readFileSync(join(dir, 'transformer', 'model.onnx')).includes('MatMulNBits')).toBe(true);
    const model = new SessionPool();
    const int4 = await loadPipeline(dir, model);
    const c = reference.int4_cases[0]!;
    const result = await int4.generate({ ...base, prompt: c.prompt, steps: c.steps, guidance: c.guidance, latents: Float32Array.from(c.initial_latents) });
    expect(maxDiff(result.latents, c.final_latents)).toBeLessThanOrEqual(2e-3);
    expect(maxDiff(result.images[0]!.image.data, c.image_rgb)).toBeLessThanOrEqual(2);
    await model.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("loads the webnn/Z-Image-Turbo file set (onnx/, no configs) and draws the main model's picture", async () => {
    const model = new SessionPool();
    const webnn = await loadPipeline(TINY_FLOW_WEBNN_DIR, model);
    // The VAE's numbers come from its vae_pre_process graph, read through float16.
    expect(webnn.config).toMatchObject({ family: 'z-image', vaeScaleFactor: pipeline.config.vaeScaleFactor, latentChannels: 16 });
    expect(webnn.config.scalingFactor).toBeCloseTo(pipeline.config.scalingFactor, 2);
    expect(webnn.config.shiftFactor).toBeCloseTo(pipeline.config.shiftFactor, 3);
    const request = { ...base, seed: 3 };
    const [ours, theirs] = [await pipeline.generate(request), await webnn.generate(request)];
    // int4 weights and float16 at every boundary: the same picture, not the same pixels.
    const diff = meanAbsDiff(ours.images[0]!.image, theirs.images[0]!.image);
    console.log(`webnn file set against the main export: ${diff.toFixed(2)} grey levels`);
    expect(diff).toBeLessThan(12);
    await expect(webnn.generate({ ...request, image: ours.images[0]!.image, strength: 0.5 })).rejects.toMatchObject({ code: 'unsupported_operation' });
    await model.close();
  });
});

describe('low-memory mode', () => {
  it('releases the text encoder before the first step, and makes the same image', async () => {
    const textEncoder = join(TINY_FLOW_DIR, 'text_encoder', 'model.onnx');
    const heldAtSteps = async (lowMemory: boolean) => {
      const held: boolean[] = [];
      const result = await pipeline.generate({ ...base, steps: 3, lowMemory }, { onStep: () => void held.push(sessions.isOpen(textEncoder)) });
      return { held, image: result.images[0]!.image };
    };
    const normal = await heldAtSteps(false);
    const low = await heldAtSteps(true);
    expect(normal.held).toEqual([true, true, true]);
    expect(low.held).toEqual([false, false, false]);
    expect(maxDiff(low.image.data, normal.image.data)).toBe(0);
  });
});

describe('requests', () => {
  it('runs the transformer once per image and step without guidance, twice with it', async () => {
    const transformer = await sessions.get(join(TINY_FLOW_DIR, 'transformer', 'model.onnx'));
    const run = vi.spyOn(transformer, 'run');
    await pipeline.generate({ ...base, steps: 3, count: 2 });
    expect(run).toHaveBeenCalledTimes(6);
    run.mockClear();
    await pipeline.generate({ ...base, steps: 3, guidance: 2 });
    expect(run).toHaveBeenCalledTimes(6);
    run.mockRestore();
  });

  it('makes image k of a batch as seed + k alone makes it', async () => {
    const batch = await pipeline.generate({ ...base, steps: 3, count: 2 });
    const alone = await pipeline.generate({ ...base, steps: 3, seed: base.seed + 1 });
    expect(batch.images[1]!.seed).toBe(base.seed + 1);
    expect(maxDiff(batch.images[1]!.image.data, alone.images[0]!.image.data)).toBe(0);
  });

  it('gives an image of the asked size off the native square', async () => {
    const result = await pipeline.generate({ ...base, width: 96, height: 48, steps: 2 });
    expect(result.images[0]!.image).toMatchObject({ width: 96, height: 48 });
  });

  it('refuses other samplers, inpainting and sizes off its grid, by name', async () => {
    await expect(pipeline.generate({ ...base, scheduler: 'ddim' })).rejects.toMatchObject({ code: 'invalid_parameter', message: expect.stringContaining('"euler"') });
    await expect(pipeline.generate({ ...base, width: 60 })).rejects.toMatchObject({ code: 'invalid_parameter', message: expect.stringContaining('multiple of 8') });
    const image = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3) };
    const mask = { width: 64, height: 64, data: new Float32Array(64 * 64) };
    await expect(pipeline.generate({ ...base, image, mask })).rejects.toMatchObject({ code: 'unsupported_operation' });
  });
});
