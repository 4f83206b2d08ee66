// darkroom-tiny-flow, the Z-Image-shaped built-in model, on every interface with no new
// fields: the native API, the OpenAI and A1111 APIs and the CLI take it by name, list its
// family and recommendations, and refuse by name what a flow model cannot do.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitForJob } from './helpers/wait.js';

const MODEL = 'darkroom-tiny-flow';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.close());

async function post(path: string, body: unknown) {
  const response = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('the native API', () => {
  it('lists its family, what it can do and what it recommends', async () => {
    const { models } = (await (await fetch(`${server.url}/api/v1/models`)).json()) as { models: Record<string, unknown>[] };
    expect(models.find((m) => m.name === MODEL)).toMatchObject({
      family: 'z-image',
      native_size: 64,
      size_multiple: 8,
      operations: ['txt2img', 'img2img', 'style', 'blend'],
      schedulers: ['euler'],
      defaults: { steps: 8, guidance: 0, scheduler: 'euler', width: 64, height: 64 },
    });
    expect(models.find((m) => m.name === 'darkroom-tiny')).toMatchObject({ family: 'sd', schedulers: expect.arrayContaining(['euler', 'ddim', 'lcm']) });
  });

  it('runs a job that names only the model and a prompt, in English or Chinese, with its recommendations', async () => {
    for (const prompt of ['a red circle on a blue background', '红色圆形,蓝色背景']) {
      const created = await post('/api/v1/jobs', { operation: 'txt2img', prompt, model: MODEL, seed: 4 });
      expect(created.status).toBe(202);
      const job = await waitForJob(server.url, created.body.id);
      expect(job).toMatchObject({ status: 'done', steps: 8, guidance: 0, scheduler: 'euler', progress: { step: 8, total: 8 } });
      expect(job.images[0]).toMatchObject({ width: 64, height: 64 });
    }
  });

  it('refuses inpainting, other samplers and a prompt too long for its text encoder, by name', async () => {
    const upload = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      body: await (async () => {
        const form = new FormData();
        const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
        form.append('file', new Blob([png], { type: 'image/png' }), 'grey.png');
        return form;
      })(),
    });
    const { id } = (await upload.json()) as { id: string };
    const inpaint = await post('/api/v1/jobs', { operation: 'inpaint', prompt: 'a red circle', model: MODEL, image: id, mask: id });
    expect(inpaint.body.error).toMatchObject({ code: 'unsupported_operation', message: expect.stringContaining(MODEL) });
    const ddim = await post('/api/v1/jobs', { operation: 'txt2img', prompt: 'a red circle', model: MODEL, scheduler: 'ddim' });
    expect(ddim.status).toBe(400);
    expect(ddim.body.error).toMatchObject({ code: 'invalid_parameter', message: expect.stringContaining('"euler"') });
    const long = await post('/api/v1/jobs', { operation: 'txt2img', prompt: 'a red circle on a blue background '.repeat(80), model: MODEL });
    expect(long.body.error).toMatchObject({ code: 'invalid_parameter', message: expect.stringMatching(/is \d+ tokens long .* at most 512/) });
  });
});

describe('the compatible APIs', () => {
  it('OpenAI images.generate makes a picture with it', async () => {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const response = await client.images.generate({ model: MODEL, prompt: 'a green square on a white background', size: '64x64' as never, response_format: 'b64_json' });
    const bytes = Buffer.from(response.data?.[0]?.b64_json ?? '', 'base64');
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 64, height: 64 });
  });

  it("A1111's txt2img runs it with its recommendations", async () => {
    const { status, body } = await post('/sdapi/v1/txt2img', { prompt: 'a yellow triangle', override_settings: { sd_model_checkpoint: MODEL } });
    expect(status).toBe(200);
    expect(JSON.parse(body.info)).toMatchObject({ steps: 8, cfg_scale: 0, sampler_name: 'Euler' });
  });
});

describe('the CLI', () => {
  it('generates with it, in low-memory mode when asked', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'darkroom-flow-cli-'));
    const result = await runCli({ cwd: dir }, 'generate', '一个绿色正方形,白色背景', '--model', MODEL, '--seed', '3', '--low-memory', '-o', 'square.png');
    expect(result.stderr).toMatch(/low-memory mode/);
    expect(result.code).toBe(0);
    expect(await sharp(await readFile(join(dir, 'square.png'))).metadata()).toMatchObject({ width: 64, height: 64 });
    const refused = await runCli({ cwd: dir }, 'edit', join(dir, 'square.png'), 'a red circle', '--model', MODEL, '--mask', join(dir, 'square.png'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/darkroom-tiny-flow cannot inpaint/);
    await rm(dir, { recursive: true, force: true });
  });
});
