// SD3 and Flux in Optimum's layouts, on tiny randomly initialised graphs with those exact
// input and output names (tools/train-tiny/random_flow_layouts.py): the same flow pipeline
// runs them end to end, feeds each transformer what diffusers feeds it, and gives images of
// the asked size. The graphs are random, so the pictures mean nothing; the plumbing is real.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES } from '../../../../test/helpers/tiny.js';
import { loadPipeline } from '../load.js';
import type { OnnxModel } from '../onnx-session.js';
import { SessionPool } from '../onnx-session.js';
import type { GenerateRequest, ImagePipeline } from '../pipeline.js';
import { penultimateOutput } from '../conditioning/sdxl-conditioner.js';
import { ClipTokenizer } from '../tokenizer.js';
import { SD3_T5_LENGTH } from './sd3.js';
import { T5Tokenizer } from './t5-tokenizer.js';

const SD3 = join(FIXTURES, 'tiny-sd3');
const FLUX = join(FIXTURES, 'tiny-flux');
const base: GenerateRequest = { prompt: 'a red circle on a blue background', negativePrompt: '', width: 64, height: 64, steps: 3, guidance: 0, scheduler: 'euler', seed: 2, count: 1 };

type Feeds = Parameters<OnnxModel['run']>[0];
/** The feeds of every call of a graph during `work`. */
async function feedsOf(sessions: SessionPool, path: string, work: () => Promise<unknown>): Promise<Feeds[]> {
  const model = await sessions.get(path);
  const run = vi.spyOn(model, 'run');
  try {
    await work();
    return run.mock.calls.map((call) => call[0]);
  } finally {
    run.mockRestore();
  }
}

function floats(feeds: Feeds, name: string) {
  const value = feeds[name];
  if (!value || value.kind !== 'float') throw new Error(`no float input ${name}`);
  return value;
}

describe('Stable Diffusion 3 layout', () => {
  let sessions: SessionPool;
  let pipeline: ImagePipeline;
  beforeAll(async () => {
    sessions = new SessionPool();
    pipeline = await loadPipeline(SD3, sessions);
  });
  afterAll(() => sessions.close());

  it('is read as SD3 from model_index.json and draws at the asked sizes', async () => {
    expect(pipeline.config).toMatchObject({ family: 'sd3', latentChannels: 16, sizeMultiple: 8 });
    for (const [width, height] of [
      [64, 64],
      [48, 32],
    ]) {
      const { images } = await pipeline.generate({ ...base, width: width!, height: height! });
      expect(images[0]!.image).toMatchObject({ width, height });
    }
  });

  it('feeds the transformer [CLIP-L | CLIP-G | zeros] then T5, the pooled pair, and the timestep on 0..1000, twice a step with guidance', async () => {
    const transformer = join(SD3, 'transformer', 'model.onnx');
    const calls = await feedsOf(sessions, transformer, () => pipeline.generate({ ...base, steps: 2, guidance: 5, negativePrompt: 'green' }));
    expect(calls).toHaveLength(4);
    const text = floats(calls[0]!, 'encoder_hidden_states');
    const [, length, width] = text.dims as [number, number, number];
    // What the encoders give for the prompt, run here on their own.
    const clipRun = async (tokenizerDir: string, part: string) => {
      const tokenizer = await ClipTokenizer.load(join(SD3, tokenizerDir));
      const encoder = await sessions.get(join(SD3, part, 'model.onnx'));
      const ids = tokenizer.chunks(base.prompt)[0]!.ids;
      const out = await encoder.run({ input_ids: { kind: 'int', data: ids, dims: [1, ids.length] } });
      return { hidden: out[penultimateOutput(encoder)]!, pooled: out.text_embeds! };
    };
    const [l, g] = [await clipRun('tokenizer', 'text_encoder'), await clipRun('tokenizer_2', 'text_encoder_2')];
    const t5Ids = (await T5Tokenizer.load(join(SD3, 'tokenizer_3'))).ids(base.prompt, SD3_T5_LENGTH);
    const t5 = (await (await sessions.get(join(SD3, 'text_encoder_3', 'model.onnx'))).run({ input_ids: { kind: 'int', data: t5Ids, dims: [1, t5Ids.length] } })).last_hidden_state!;
    const [wl, wg] = [l.hidden.dims[2]!, g.hidden.dims[2]!];
    expect(length).toBe(77 + SD3_T5_LENGTH);
    for (const t of [0, 5, 76]) {
      const row = text.data.subarray(t * width, (t + 1) * width);
      expect([...row.subarray(0, wl)]).toEqual([...l.hidden.data.subarray(t * wl, (t + 1) * wl)]);
      expect([...row.subarray(wl, wl + wg)]).toEqual([...g.hidden.data.subarray(t * wg, (t + 1) * wg)]);
      expect(row.subarray(wl + wg).every((v) => v === 0)).toBe(true);
    }
    expect([...text.data.subarray(77 * width)]).toEqual([...t5.data]);
    expect([...floats(calls[0]!, 'pooled_projections').data]).toEqual([...l.pooled.data, ...g.pooled.data]);
    // SD3's scheduler spaces its own sigmas (shift 3): the first timestep is 1000.
    expect(floats(calls[0]!, 'timestep').data[0]).toBeCloseTo(1000, 3);
  });

  it('releases all three text encoders in low-memory mode', async () => {
    const encoders = ['text_encoder', 'text_encoder_2', 'text_encoder_3'].map((part) => join(SD3, part, 'model.onnx'));
    const held: boolean[][] = [];
    await pipeline.generate({ ...base, steps: 1, lowMemory: true }, { onStep: () => void held.push(encoders.map((path) => sessions.isOpen(path))) });
    expect(held).toEqual([[false, false, false]]);
  });
});

describe('Flux layout', () => {
  let sessions: SessionPool;
  let pipeline: ImagePipeline;
  beforeAll(async () => {
    sessions = new SessionPool();
    pipeline = await loadPipeline(FLUX, sessions);
  });
  afterAll(() => sessions.close());

  it('is read as Flux and draws at the asked sizes', async () => {
    expect(pipeline.config).toMatchObject({ family: 'flux', latentChannels: 16, sizeMultiple: 8 });
    for (const [width, height] of [
      [64, 64],
      [48, 32],
    ]) {
      const { images } = await pipeline.generate({ ...base, width: width!, height: height! });
      expect(images[0]!.image).toMatchObject({ width, height });
    }
  });

  it('feeds packed latents, image and text ids, t / 1000 and the guidance scale, once a step', async () => {
    const transformer = join(FLUX, 'transformer', 'model.onnx');
    const calls = await feedsOf(sessions, transformer, () => pipeline.generate({ ...base, width: 48, height: 32, steps: 2, guidance: 3.5 }));
    expect(calls).toHaveLength(2);
    const feeds = calls[0]!;
    // 48x32 pixels, a VAE factor of 4: 12x8 latents, 6x4 patches of 2x2 with 16 channels.
    expect(floats(feeds, 'hidden_states').dims).toEqual([1, 24, 64]);
    expect(floats(feeds, 'img_ids').dims).toEqual([24, 3]);
    expect([...floats(feeds, 'img_ids').data.subarray(0, 9)]).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 2]);
    expect(floats(feeds, 'txt_ids').data.every((v) => v === 0)).toBe(true);
    expect([...floats(feeds, 'guidance').data]).toEqual([3.5]);
    expect(floats(feeds, 'timestep').data[0]).toBeCloseTo(1, 5);
    expect(floats(calls[1]!, 'timestep').data[0]).toBeLessThan(1);
  });
});
