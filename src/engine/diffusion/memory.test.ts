// What a diffusion job may cost, on the built-in model: the size limit and the memory
// budget refuse a job before anything runs, a batch too big for the budget runs in parts
// that make the same images, and a run onnxruntime cannot find memory for fails as
// out_of_memory, without the server's paths.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config.js';
import { DarkroomError } from '../../domain/errors.js';
import { JobRequest, withDefaults, type JobRequestInput } from '../../domain/job.js';
import { localEngines } from '../registry.js';
import { openTiny } from '../../../test/helpers/tiny.js';
import { weightBytes, workingBytes } from './memory.js';

const models = { builtInModelsDir: join(packageRoot(), 'models'), modelsDir: join(packageRoot(), 'no-such-dir'), maxPixels: 4096 * 4096 };
const opened: { sessions: { close(): Promise<void> } }[] = [];
afterAll(() => Promise.all(opened.map((o) => o.sessions.close())));

function engines(memoryBudget?: number) {
  const made = localEngines({ ...models, ...(memoryBudget !== undefined ? { memoryBudget } : {}) });
  opened.push(made);
  return made;
}

async function refusal(registry: ReturnType<typeof engines>['registry'], input: Partial<JobRequestInput>): Promise<DarkroomError> {
  const error = await registry.check(withDefaults(JobRequest.parse({ operation: 'txt2img', prompt: 'a red circle', ...input }))).then(() => undefined, (e: unknown) => e);
  if (!DarkroomError.isInstance(error)) throw new Error(`Expected a refusal, got ${String(error)}`);
  return error;
}

describe('the check before a job is queued', () => {
  it('refuses a side past 4x the native size as too_large, naming the limit', async () => {
    const { registry } = engines();
    const error = await refusal(registry, { width: 2048, height: 2048, n: 8, steps: 1 });
    expect(error.code).toBe('too_large');
    expect(error.message).toContain('at most 256 for darkroom-tiny');
    await expect(registry.check(withDefaults(JobRequest.parse({ operation: 'txt2img', prompt: 'x', width: 256, height: 256, n: 8 })))).resolves.toBeDefined();
  });

  it('refuses a job of which one image would not fit in the memory budget, naming the setting', async () => {
    const { registry } = engines(64 * 1024 ** 2);
    const error = await refusal(registry, { width: 256, height: 256 });
    expect(error.code).toBe('too_large');
    expect(error.message).toMatch(/needs about \d+ MB of memory; this server allows 64 MB a job \(DARKROOM_MEMORY_BUDGET\)/);
    await expect(registry.check(withDefaults(JobRequest.parse({ operation: 'txt2img', prompt: 'x', width: 64, height: 64, n: 8 })))).resolves.toBeDefined();
  });
});

describe('a batch past the budget', () => {
  it('runs in parts that fit, making the images one run would', async () => {
    const { pipeline } = await openTiny();
    const weights = await weightBytes(pipeline.config);
    // Room for one image at a time, not two.
    const budget = weights + workingBytes(pipeline.config, { width: 64, height: 64, batch: 1, guided: true }) + 1;
    const spec = withDefaults(JobRequest.parse({ operation: 'txt2img', prompt: 'a red circle', width: 64, height: 64, n: 3, steps: 3, seed: 9 }));
    const steps: string[] = [];
    const progress = (p: { step: number; total: number }) => void steps.push(`${p.step}/${p.total}`);
    const whole = await engines().registry.run({ spec, images: [] }, { signal: new AbortController().signal, progress: () => {} });
    const parts = await engines(budget).registry.run({ spec, images: [] }, { signal: new AbortController().signal, progress });
    expect(steps).toEqual(['1/9', '2/9', '3/9', '4/9', '5/9', '6/9', '7/9', '8/9', '9/9']);
    expect(parts.images.map((i) => i.seed)).toEqual([9, 10, 11]);
    parts.images.forEach((image, k) => expect(Buffer.from(image.image.data).equals(Buffer.from(whole.images[k]!.image.data))).toBe(true));
  });
});

describe('a run onnxruntime cannot find memory for', () => {
  it('fails as out_of_memory, with no path and no allocator text', async () => {
    const tiny = await openTiny();
    opened.push(tiny);
    // Past the engine's check on purpose: 2048x2048 without guidance asks onnxruntime for 64 GiB in one MatMul.
    const error = await tiny.pipeline
      .generate({ prompt: 'a red circle', negativePrompt: '', width: 2048, height: 2048, steps: 1, guidance: 1, scheduler: 'euler', seed: 1, count: 1 })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'out_of_memory' });
    const message = (error as Error).message;
    expect(message).toContain('64.0 GB');
    expect(message).not.toMatch(/\/|arena|allocate/i);
  });
});
