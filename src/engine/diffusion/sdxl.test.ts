// The SDXL pipeline on darkroom-tiny-xl: parity with the PyTorch reference that trained it
// (two encoders, pooled text_embeds, time_ids, zeroed empty negatives, Turbo-style
// trailing steps without guidance), one UNet row per step without guidance, and a family
// read from the model that its UNet contradicts.

import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES, openTiny, TINY_XL_DIR } from '../../../test/helpers/tiny.js';
import type { SchedulerName } from '../../domain/job.js';
import type { SessionPool } from './onnx-session.js';
import type { DiffusionPipeline, GenerateRequest } from './pipeline.js';
import { ClipTokenizer } from './tokenizer.js';

interface ReferenceCase {
  sampler: SchedulerName;
  spacing: 'leading' | 'trailing';
  prompt: string;
  negative: string;
  steps: number;
  guidance: number;
  time_ids: number[];
  initial_latents: number[];
  final_latents: number[];
  image_rgb: number[];
}
const reference = JSON.parse(readFileSync(join(FIXTURES, 'tiny-xl-reference.json'), 'utf8')) as {
  cases: ReferenceCase[];
  tokens_2: { prompt: string; ids: number[] }[];
};

/** A temporary copy of darkroom-tiny-xl with its configs changed. */
async function modelCopy(change: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-xl-'));
  await cp(TINY_XL_DIR, dir, { recursive: true });
  await change(dir);
  return dir;
}

async function editJson(path: string, edit: (value: Record<string, unknown>) => void) {
  const value = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(value);
  await writeFile(path, JSON.stringify(value));
}

const base: GenerateRequest = {
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  width: 64,
  height: 64,
  steps: 4,
  guidance: 7.5,
  scheduler: 'euler',
  seed: 7,
  count: 1,
};

let leading: { pipeline: DiffusionPipeline; sessions: SessionPool };
let trailing: { pipeline: DiffusionPipeline; sessions: SessionPool };
let trailingDir: string;
beforeAll(async () => {
  leading = await openTiny(TINY_XL_DIR);
  trailingDir = await modelCopy((dir) => editJson(join(dir, 'scheduler', 'scheduler_config.json'), (c) => (c.timestep_spacing = 'trailing')));
  trailing = await openTiny(trailingDir);
});
afterAll(async () => {
  await leading.sessions.close();
  await trailing.sessions.close();
  await rm(trailingDir, { recursive: true, force: true });
});

describe('darkroom-tiny-xl parity with PyTorch', () => {
  // The tolerance darkroom-tiny meets: final latents within 1e-3, pixels within 2/255.
  it.each(reference.cases.map((c) => [`${c.sampler}/${c.spacing}/guidance ${c.guidance}/time_ids ${c.time_ids.join(',')}`, c] as const))(
    '%s matches the reference',
    async (_, c) => {
      const { pipeline } = c.spacing === 'trailing' ? trailing : leading;
      const [originalHeight, originalWidth, cropTop, cropLeft] = c.time_ids as [number, number, number, number];
      const result = await pipeline.generate({
        ...base,
        prompt: c.prompt,
        negativePrompt: c.negative,
        steps: c.steps,
        guidance: c.guidance,
        scheduler: c.sampler,
        latents: Float32Array.from(c.initial_latents),
        sizeConditioning: { originalWidth, originalHeight, cropTop, cropLeft },
      });
      const diff = Math.max(...c.final_latents.map((v, i) => Math.abs(v - result.latents[i]!)));
      expect(diff).toBeLessThanOrEqual(1e-3);
      const pixels = result.images[0]!.image.data;
      expect(Math.max(...c.image_rgb.map((v, i) => Math.abs(v - pixels[i]!)))).toBeLessThanOrEqual(2);
    },
  );
});

describe("the second tokenizer (tokenizer_2, padding with \"!\")", () => {
  it.each(reference.tokens_2.map((t) => [t.prompt.slice(0, 40), t] as const))('matches the Python tokenizer for "%s"', async (_, t) => {
    const tokenizer = await ClipTokenizer.load(join(TINY_XL_DIR, 'tokenizer_2'));
    expect(tokenizer.chunks(t.prompt)[0]!.ids).toEqual(t.ids);
  });
});

describe('the SDXL UNet', () => {
  /** The rows the UNet is run on over one generation. */
  async function unetRows(request: GenerateRequest): Promise<number[]> {
    const unet = await leading.sessions.get(leading.pipeline.config.files.unet);
    const run = vi.spyOn(unet, 'run');
    try {
      await leading.pipeline.generate(request);
      return run.mock.calls.map(([feeds]) => feeds.sample!.dims[0]!);
    } finally {
      run.mockRestore();
    }
  }

  it('runs one row per step without guidance and two with it', async () => {
    expect(await unetRows({ ...base, guidance: 0 })).toEqual([1, 1, 1, 1]);
    expect(await unetRows({ ...base, guidance: 1 })).toEqual([1, 1, 1, 1]);
    expect(await unetRows({ ...base, guidance: 7.5 })).toEqual([2, 2, 2, 2]);
  });

  it('is fed the pooled text and the six time_ids', async () => {
    const unet = await leading.sessions.get(leading.pipeline.config.files.unet);
    const run = vi.spyOn(unet, 'run');
    try {
      await leading.pipeline.generate({ ...base, steps: 1, width: 64, height: 48, sizeConditioning: { originalWidth: 96, originalHeight: 80, cropTop: 8, cropLeft: 16 } });
      const feeds = run.mock.calls[0]![0];
      expect(feeds.text_embeds!.dims).toEqual([2, 64]);
      // Unconditional row first: force_zeros_for_empty_prompt makes the empty negative all zeros.
      expect(Array.from(feeds.text_embeds!.data.slice(0, 64)).every((v) => v === 0)).toBe(true);
      expect(Array.from(feeds.text_embeds!.data.slice(64)).some((v) => v !== 0)).toBe(true);
      expect(Array.from(feeds.time_ids!.data)).toEqual([80, 96, 8, 16, 48, 64, 80, 96, 8, 16, 48, 64]);
    } finally {
      run.mockRestore();
    }
  });

  it('encodes an empty negative prompt when the model does not ask for zeros', async () => {
    const dir = await modelCopy((d) => editJson(join(d, 'model_index.json'), (c) => (c.force_zeros_for_empty_prompt = false)));
    const model = await openTiny(dir);
    try {
      const zeroed = await leading.pipeline.generate(base);
      const encoded = await model.pipeline.generate(base);
      const diff = Math.max(...zeroed.latents.map((v, i) => Math.abs(v - encoded.latents[i]!)));
      expect(diff).toBeGreaterThan(1e-2);
    } finally {
      await model.sessions.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is refused, naming the contradiction, when the configs do not say SDXL', async () => {
    const dir = await modelCopy((d) => editJson(join(d, 'unet', 'config.json'), (c) => delete c.addition_embed_type));
    const model = await openTiny(dir);
    try {
      expect(model.pipeline.config.family).toBe('sd');
      await expect(model.pipeline.generate(base)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining('text_embeds and time_ids') });
    } finally {
      await model.sessions.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
