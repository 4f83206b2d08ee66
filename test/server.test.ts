// The native API over HTTP: jobs from creation to images, event streams in order,
// cancellation, uploads, the gallery, and bad requests that get a 4xx and change nothing.

import { request } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../src/jobs/progress-bus.js';
import { UPLOAD_FORMAT_NAMES, UPLOAD_FORMATS } from '../src/images/formats.js';
import { readEvents } from './helpers/sse.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitForJob } from './helpers/wait.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function api(path: string, init: RequestInit & { json?: unknown } = {}) {
  const { json, ...rest } = init;
  const response = await fetch(server.url + path, {
    ...rest,
    ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } } : {}),
  });
  const type = response.headers.get('content-type') ?? '';
  const body = type.includes('json') ? ((await response.json()) as Record<string, any>) : undefined;
  return { status: response.status, headers: response.headers, body: body as Record<string, any> };
}

const txt2img = { operation: 'txt2img', prompt: 'a red circle on a blue background', steps: 6, seed: 3 };

describe('jobs', () => {
  it('queues a job, runs it, and serves its image', async () => {
    const created = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, n: 2 } });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'queued', operation: 'txt2img', prompt: txt2img.prompt, n: 2 });
    expect(created.headers.get('location')).toBe(`/api/v1/jobs/${created.body.id}`);
    const job = await waitForJob(server.url, created.body.id);
    expect(job).toMatchObject({ progress: { step: 6, total: 6 }, error: null });
    expect(job.images.map((i) => i.seed)).toEqual([3, 4]);
    const png = await fetch(server.url + job.images[0]!.url);
    expect(png.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 64, height: 64 });
    const thumb = await fetch(`${server.url}${job.images[0]!.url}?thumb=1`);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
  });

  it('streams queued, started, every step and done, in order', async () => {
    const created = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 12 } });
    const events = await readEvents(`${server.url}/api/v1/jobs/${created.body.id}/events`);
    expect(events.map((e) => e.type)).toEqual(['queued', 'started', ...Array(12).fill('progress'), 'done']);
    expect(events.filter((e) => e.type === 'progress').map((e) => e.data.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect((events.at(-1)!.data.images as unknown[]).length).toBe(1);
  });

  it('adds previews to the stream on request, and only then', async () => {
    // Previews are rendered only while someone watches them: the stream opens before the job starts.
    const ahead = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 150, width: 256, height: 256 } });
    const created = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 8 } });
    const stream = readEvents(`${server.url}/api/v1/jobs/${created.body.id}/events?preview=1`);
    await api(`/api/v1/jobs/${ahead.body.id}`, { method: 'DELETE' });
    const withPreview = await stream;
    const previews = withPreview.filter((e) => typeof e.data.preview === 'string');
    expect(previews.length).toBeGreaterThan(0);
    expect(previews.at(-1)!.data.preview).toMatch(/^data:image\/webp;base64,/);
    const without = await readEvents(`${server.url}/api/v1/jobs/${created.body.id}/events`);
    expect(without.some((e) => 'preview' in e.data)).toBe(false);
  });

  it("sends a preview on every step of a model with a tiny decoder", async () => {
    // A long job ahead keeps this one queued until the stream is open, so no step is missed.
    const ahead = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 150, width: 256, height: 256 } });
    const created = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 10 } });
    const stream = readEvents(`${server.url}/api/v1/jobs/${created.body.id}/events?preview=1`);
    await api(`/api/v1/jobs/${ahead.body.id}`, { method: 'DELETE' });
    const progress = (await stream).filter((e) => e.type === 'progress');
    expect(progress.map((e) => e.data.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const event of progress) expect(event.data.preview).toMatch(/^data:image\/webp;base64,/);
  });

  it('renders no preview while nobody watches them', async () => {
    const ahead = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 150, width: 256, height: 256 } });
    const created = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 10 } });
    const events: JobEvent[] = [];
    const watching = server.services.jobs.watch('local', created.body.id, (event) => events.push(event));
    await api(`/api/v1/jobs/${ahead.body.id}`, { method: 'DELETE' });
    await watching.ended;
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress).toHaveLength(10);
    expect(progress.some((e) => 'preview' in e)).toBe(false);
  });

  it('ends a cancelled job within a step of the cancel', async () => {
    // 256x256 makes each step slow enough to see where the cancel lands.
    const created = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 150, width: 256, height: 256 } });
    const id = created.body.id as string;
    let received = 0;
    // Resolves to how many events had come when the DELETE was answered: only the events
    // after that count, so a slow answer on a busy machine is not taken for a late stop.
    let cancelled: Promise<number> | undefined;
    const events = await readEvents(`${server.url}/api/v1/jobs/${id}/events`, (event) => {
      received++;
      if (event.type === 'progress' && event.data.step === 3 && cancelled === undefined) {
        cancelled = api(`/api/v1/jobs/${id}`, { method: 'DELETE' }).then((response) => {
          if (response.status !== 200) throw new Error(`DELETE answered ${response.status}`);
          return received;
        });
      }
    });
    expect(cancelled).toBeDefined();
    const answeredAt = await cancelled!;
    expect(events.at(-1)!.type).toBe('cancelled');
    // The step running when the cancel came, and a report already on its way, may still
    // arrive; no step after them.
    const stepsAfter = events.slice(answeredAt).filter((e) => e.type === 'progress').length;
    expect(stepsAfter).toBeLessThanOrEqual(2);
    const job = await waitForJob(server.url, id, { status: 'cancelled' });
    expect(job.images).toEqual([]);
  });

  it('cancels a queued job before it starts', async () => {
    const slow = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 150, width: 256, height: 256 } });
    const queued = await api('/api/v1/jobs', { method: 'POST', json: txt2img });
    const cancelled = await api(`/api/v1/jobs/${queued.body.id}`, { method: 'DELETE' });
    expect(cancelled.body.status).toBe('cancelled');
    await api(`/api/v1/jobs/${slow.body.id}`, { method: 'DELETE' });
    await waitForJob(server.url, slow.body.id, { status: 'cancelled' });
  });

  it('runs img2img and inpaint on uploads', async () => {
    const source = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#7040c0' } }).png().toBuffer();
    const mask = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 32, height: 32, channels: 3, background: '#fff' } }).png().toBuffer(), left: 16, top: 16 }])
      .png()
      .toBuffer();
    const image = await upload(source, 'source.png');
    const maskUpload = await upload(mask, 'mask.png');
    expect(image.status).toBe(201);
    const edit = await api('/api/v1/jobs', { method: 'POST', json: { operation: 'img2img', prompt: 'a red circle', image: image.body.id, strength: 0.5, steps: 6 } });
    await waitForJob(server.url, edit.body.id);
    const inpaint = await api('/api/v1/jobs', {
      method: 'POST',
      json: { operation: 'inpaint', prompt: 'a red circle', image: image.body.id, mask: maskUpload.body.id, steps: 6 },
    });
    const done = await waitForJob(server.url, inpaint.body.id);
    const out = await sharp(Buffer.from(await (await fetch(server.url + done.images[0]!.url)).arrayBuffer())).raw().toBuffer();
    expect([out[0], out[1], out[2]]).toEqual([0x70, 0x40, 0xc0]);
  });
});

async function upload(bytes: Buffer, name: string) {
  const form = new FormData();
  form.append('image', new Blob([bytes], { type: 'image/png' }), name);
  return api('/api/v1/uploads', { method: 'POST', body: form });
}

describe('gallery', () => {
  it('lists, saves and deletes the caller’s images', async () => {
    const created = await api('/api/v1/jobs', { method: 'POST', json: txt2img });
    const job = await waitForJob(server.url, created.body.id);
    const id = job.images[0]!.id;
    const listed = await api('/api/v1/images');
    expect(listed.body.images.some((i: { id: string }) => i.id === id)).toBe(true);
    const saved = await api(`/api/v1/images/${id}/save`, { method: 'POST' });
    expect(saved.body).toMatchObject({ saved: true, expires_at: null });
    expect((await api(`/api/v1/images/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/api/v1/images/${id}`)).status).toBe(404);
    expect((await api('/api/v1/images')).body.images.some((i: { id: string }) => i.id === id)).toBe(false);
  });

  it('lists the models', async () => {
    const { body } = await api('/api/v1/models');
    expect(body.models).toContainEqual(
      expect.objectContaining({ name: 'darkroom-tiny', family: 'sd', operations: ['txt2img', 'img2img', 'inpaint', 'style', 'blend', 'outpaint'], native_size: 64, size_multiple: 4 }),
    );
    expect(body.models).toContainEqual(expect.objectContaining({ name: 'darkroom-tiny-xl', family: 'sdxl', native_size: 64, size_multiple: 4 }));
    const tiny = body.models.find((m: { name: string }) => m.name === 'darkroom-tiny');
    expect(tiny.example_prompts).toContain('a red circle on a blue background');
  });

  it('queues a prompt the model does not know, with a warning naming its words', async () => {
    const created = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, prompt: 'a cat sleeping on a sofa' } });
    expect(created.status).toBe(202);
    expect(created.body.warnings).toEqual([
      {
        code: 'unfamiliar_prompt',
        message: 'darkroom-tiny does not know most words of this prompt ("cat", "sleeping", "sofa"), so the image will not show them',
        examples: expect.arrayContaining(['a red circle on a blue background']),
      },
    ]);
    const known = await api('/api/v1/jobs', { method: 'POST', json: txt2img });
    expect(known.body.warnings).toBeUndefined();
    await waitForJob(server.url, created.body.id);
    await waitForJob(server.url, known.body.id);
  });
});

/** A PNG whose header claims width x height, with almost no data: a decompression bomb. */
async function bombPng(width: number, height: number): Promise<Buffer> {
  const real = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer();
  const bomb = Buffer.from(real);
  bomb.writeUInt32BE(width, 16);
  bomb.writeUInt32BE(height, 20);
  // Fix the IHDR chunk's CRC so decoders read the header rather than reject it as corrupt.
  const { crc32 } = await import('node:zlib');
  bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)) >>> 0, 29);
  return bomb;
}

describe('bad requests get a 4xx with a clear code, and the server keeps serving', () => {
  it.each([
    ['malformed JSON', () => fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"operation": "txt2img", ' }), 400, 'invalid_json'],
    ['an unknown operation', () => api('/api/v1/jobs', { method: 'POST', json: { operation: 'teleport', prompt: 'x' } }), 400, 'invalid_parameter'],
    ['a negative size', () => api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, width: -64 } }), 400, 'invalid_parameter'],
    ['a huge size', () => api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, width: 100_000 } }), 400, 'invalid_parameter'],
    ['a size off the model grid', () => api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, width: 66 } }), 400, 'invalid_parameter'],
    ['an unknown model', () => api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, model: 'nope' } }), 404, 'model_not_found'],
    ['an image id that does not exist', () => api('/api/v1/jobs', { method: 'POST', json: { operation: 'img2img', prompt: 'x', image: 'up_missing' } }), 400, 'invalid_parameter'],
    ['a job id that does not exist', () => api('/api/v1/jobs/job_missing'), 404, 'not_found'],
    ['an unknown route', () => api('/api/v1/teleport'), 404, 'not_found'],
  ] as const)('%s', async (_, send, status, code) => {
    const response = await send();
    const body = response instanceof Response ? ((await response.json()) as Record<string, any>) : response.body;
    expect(response.status).toBe(status);
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(5);
    expect((await api('/healthz')).status).toBe(200);
  });

  it.each([
    ['a truncated PNG', async () => (await sharp({ create: { width: 64, height: 64, channels: 3, background: '#f00' } }).png().toBuffer()).subarray(0, 60), 400, 'invalid_image'],
    ['a decompression bomb (50000x50000 claimed)', () => bombPng(50_000, 50_000), 413, 'image_too_large'],
    ['text named .png', async () => Buffer.from('this is not an image at all'), 400, 'invalid_image'],
    ['an empty file', async () => Buffer.alloc(0), 400, 'invalid_image'],
  ] as const)('upload of %s', async (_, make, status, code) => {
    const response = await upload(await make(), 'x.png');
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect((await api('/healthz')).status).toBe(200);
  });

  it('an oversized body', async () => {
    const big = 'x'.repeat(server.services.http.limits.maxBodyBytes + 10);
    const response = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: big }) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    expect((await api('/healthz')).status).toBe(200);
  });

  it('an upload over the size limit', async () => {
    const big = Buffer.alloc(server.services.http.limits.maxUploadBytes + 1024, 1);
    const response = await upload(big, 'big.png');
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('a full queue answers 429 with Retry-After', async () => {
    const small = await startTestServer({ DARKROOM_QUEUE_LIMIT: '2' });
    try {
      const post = () => fetch(`${small.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...txt2img, steps: 150, width: 256, height: 256 }) });
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await post());
      const refused = answers.find((r) => r.status === 429);
      expect(refused).toBeDefined();
      expect(refused!.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused!.json()) as { error: { code: string } }).error.code).toBe('queue_full');
    } finally {
      await small.close();
    }
  });
});

describe('OpenAPI', () => {
  it('documents the API at /api/docs', async () => {
    const spec = await api('/api/docs/json');
    expect(spec.body.openapi).toBe('3.1.0');
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(['/api/v1/jobs', '/api/v1/jobs/{id}/events', '/healthz']));
    expect((await fetch(`${server.url}/api/docs/`)).status).toBe(200);
  });
});

describe('uploads take exactly the formats their messages name', () => {
  it.each(Object.keys(UPLOAD_FORMATS) as (keyof typeof UPLOAD_FORMATS)[])('%s', async (format) => {
    const bytes = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#2a6' } })
      .toFormat(format)
      .toBuffer();
    const response = await upload(bytes, `x.${format}`);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  });

  it('names that list when it refuses a format', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
    const response = await upload(svg, 'x.svg');
    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(`Unsupported image format svg (use ${UPLOAD_FORMAT_NAMES})`);
    expect(UPLOAD_FORMAT_NAMES).toBe('PNG, JPEG, WebP, GIF, AVIF or TIFF');
  });
});

describe('job reads', () => {
  it('are never cached: they hold prompts', async () => {
    const created = await api('/api/v1/jobs', { method: 'POST', json: { ...txt2img, steps: 2 } });
    for (const path of ['/api/v1/jobs', `/api/v1/jobs/${created.body.id}`]) {
      expect((await api(path)).headers.get('cache-control'), path).toBe('no-store');
    }
    await waitForJob(server.url, created.body.id);
  });
});

/** A raw request to the listening server with any Host header (fetch always sends the URL's). */
function withHost(host: string, path: string): Promise<{ status: number; body: { error?: { code: string } } }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(text) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('browsers cannot be turned against the local owner', () => {
  it('answers only to loopback names: a page whose name was rebound to 127.0.0.1 is refused', async () => {
    const { port } = new URL(server.url);
    const rebound = await withHost(`rebind.attacker.example:${port}`, '/api/v1/jobs');
    expect(rebound.status).toBe(421);
    expect(rebound.body.error?.code).toBe('host_not_allowed');
    expect((await withHost(`localhost:${port}`, '/api/v1/jobs')).status).toBe(200);
    expect((await withHost(`[::1]:${port}`, '/api/v1/jobs')).status).toBe(200);
  });

  it('refuses uploads, edits and interrupts sent by another origin’s pages, and takes them from its own', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#123' } }).png().toBuffer();
    const form = () => {
      const body = new FormData();
      body.append('image', new Blob([png], { type: 'image/png' }), 'a.png');
      body.append('prompt', 'a red circle');
      return body;
    };
    const from = (origin: string) => [
      fetch(`${server.url}/api/v1/uploads`, { method: 'POST', headers: { origin }, body: form() }),
      fetch(`${server.url}/v1/images/edits`, { method: 'POST', headers: { origin }, body: form() }),
      fetch(`${server.url}/sdapi/v1/interrupt`, { method: 'POST', headers: { origin } }),
    ];
    for (const response of await Promise.all([...from('https://evil.example'), ...from('http://localhost:3000')])) {
      expect(response.status, response.url).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    }
    const own = await fetch(`${server.url}/api/v1/uploads`, { method: 'POST', headers: { origin: server.url }, body: form() });
    expect(own.status).toBe(201);
  });
});
