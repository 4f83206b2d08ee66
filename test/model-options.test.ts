// What a model folder may carry beyond its graphs: recommended settings (darkroom.json
// "defaults": steps, guidance, scheduler, size), which a request that leaves them out runs
// with on every interface (what a request names wins; the stored job shows what ran; a bad
// value is the model's fault), and a tiny decoder, whose absence fast_decode is told of.

import { cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { TINY_DIR } from './helpers/tiny.js';
import { waitForJob } from './helpers/wait.js';

let server: TestServer;
const TURBO = { steps: 3, guidance: 0, scheduler: 'euler-a', width: 48, height: 32 };

beforeAll(async () => {
  server = await startTestServer();
  const models = join(server.dataDir, 'models');
  await cp(TINY_DIR, join(models, 'tiny-turbo'), { recursive: true });
  await writeFile(join(models, 'tiny-turbo', 'darkroom.json'), JSON.stringify({ defaults: TURBO }));
  await cp(TINY_DIR, join(models, 'tiny-broken'), { recursive: true });
  await writeFile(join(models, 'tiny-broken', 'darkroom.json'), JSON.stringify({ defaults: { steps: 0, scheduler: 'warp' } }));
  await cp(TINY_DIR, join(models, 'tiny-plain'), { recursive: true });
  await rm(join(models, 'tiny-plain', 'vae_decoder_tiny'), { recursive: true });
});
afterAll(() => server.close());

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe("a model's recommended defaults", () => {
  it('are listed with the model, and Darkroom\'s own for a model without them', async () => {
    const { models } = (await (await fetch(`${server.url}/api/v1/models`)).json()) as { models: { name: string; defaults: unknown }[] };
    expect(models.find((m) => m.name === 'tiny-turbo')?.defaults).toEqual(TURBO);
    expect(models.find((m) => m.name === 'darkroom-tiny')?.defaults).toEqual({ steps: 20, guidance: 7.5, scheduler: 'euler', width: 64, height: 64 });
  });

  it('run a native job that leaves them out, and the stored job shows them', async () => {
    const created = await post('/api/v1/jobs', { operation: 'txt2img', prompt: 'a red circle', model: 'tiny-turbo', seed: 1 });
    expect(created.status).toBe(202);
    const job = await waitForJob(server.url, created.body.id);
    expect(job).toMatchObject({ steps: 3, guidance: 0, scheduler: 'euler-a', progress: { step: 3, total: 3 } });
    expect(job.images[0]).toMatchObject({ width: 48, height: 32 });
  });

  it('give way to what the request names', async () => {
    const created = await post('/api/v1/jobs', { operation: 'txt2img', prompt: 'a red circle', model: 'tiny-turbo', steps: 5, width: 64, height: 64 });
    const job = await waitForJob(server.url, created.body.id);
    expect(job).toMatchObject({ steps: 5, guidance: 0, scheduler: 'euler-a' });
    expect(job.images[0]).toMatchObject({ width: 64, height: 64 });
  });

  it('answer a retry with the same Idempotency-Key with the first job', async () => {
    const body = { operation: 'txt2img', prompt: 'a blue square', model: 'tiny-turbo' };
    const first = await post('/api/v1/jobs', body, { 'idempotency-key': 'defaults-1' });
    const again = await post('/api/v1/jobs', body, { 'idempotency-key': 'defaults-1' });
    expect(again.body.id).toBe(first.body.id);
    const other = await post('/api/v1/jobs', { ...body, steps: 4 }, { 'idempotency-key': 'defaults-1' });
    expect(other.status).toBe(422);
  });

  it('run an A1111 txt2img that leaves them out', async () => {
    const { status, body } = await post('/sdapi/v1/txt2img', { prompt: 'a red circle', override_settings: { sd_model_checkpoint: 'tiny-turbo' } });
    expect(status).toBe(200);
    const info = JSON.parse(body.info);
    expect(info).toMatchObject({ steps: 3, cfg_scale: 0, sampler_name: 'Euler a' });
  });

  it('are refused, naming the field, when the model carries a bad value', async () => {
    const { status, body } = await post('/api/v1/jobs', { operation: 'txt2img', prompt: 'a red circle', model: 'tiny-broken' });
    expect(status).toBe(422);
    expect(body.error.code).toBe('model_invalid');
    expect(body.error.message).toMatch(/darkroom\.json: defaults: steps/);
  });
});

describe('fast_decode', () => {
  it('warns, and decodes with the full VAE, on a model without a tiny decoder', async () => {
    const created = await post('/api/v1/jobs', { operation: 'txt2img', prompt: 'a red circle', model: 'tiny-plain', steps: 4, fast_decode: true });
    expect(created.status).toBe(202);
    expect(created.body.warnings).toEqual([expect.objectContaining({ code: 'no_fast_decoder' })]);
    await waitForJob(server.url, created.body.id);
    const { models } = (await (await fetch(`${server.url}/api/v1/models`)).json()) as { models: { name: string; tiny_decoder: boolean }[] };
    expect(models.find((m) => m.name === 'tiny-plain')?.tiny_decoder).toBe(false);
    expect(models.find((m) => m.name === 'darkroom-tiny')?.tiny_decoder).toBe(true);
  });

  it('gives no warning where the model has one', async () => {
    const created = await post('/api/v1/jobs', { operation: 'txt2img', prompt: 'a red circle', steps: 4, fast_decode: true });
    expect(created.body.warnings).toBeUndefined();
  });
});
