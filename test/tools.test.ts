// The image tools end to end: upscale and remove-background as jobs on the native API, with
// transparency kept from upload to result, and from the command line.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { readEvents } from './helpers/sse.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'darkroom-tools-'));
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** A blue disc on a striped background, left half transparent. */
async function picture(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48">
    <defs><pattern id="p" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="4" height="8" fill="#d8c070"/><rect x="4" width="4" height="8" fill="#a0a060"/></pattern></defs>
    <rect width="64" height="48" fill="url(#p)"/><circle cx="36" cy="24" r="14" fill="#2040c0"/></svg>`;
  const opaque = await sharp(Buffer.from(svg)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { data, info } = opaque;
  for (let y = 0; y < info.height; y++) for (let x = 0; x < 32; x++) data[(y * info.width + x) * 4 + 3] = 0;
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } }).png().toBuffer();
}

async function job(body: Record<string, unknown>) {
  const form = new FormData();
  form.append('image', new Blob([await picture()], { type: 'image/png' }), 'picture.png');
  const upload = (await (await fetch(`${server.url}/api/v1/uploads`, { method: 'POST', body: form })).json()) as { id: string };
  const created = (await (await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ image: upload.id, ...body }) })).json()) as { id: string };
  const events = await readEvents(`${server.url}/api/v1/jobs/${created.id}/events`);
  expect(events.at(-1)!.type).toBe('done');
  const url = (events.at(-1)!.data.images as { url: string }[])[0]!.url;
  return Buffer.from(await (await fetch(server.url + url)).arrayBuffer());
}

describe('image tools over the API', () => {
  it('lists the tools with the models', async () => {
    const models = (await (await fetch(`${server.url}/api/v1/models`)).json()) as { tools: string[] };
    expect(models.tools).toEqual(['upscale', 'remove-background']);
  });

  it('upscales an upload, keeping its transparency', async () => {
    const png = await job({ operation: 'upscale', scale: 2 });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([128, 96, 4]);
    expect(data[(48 * 128 + 10) * 4 + 3]).toBe(0);
    expect(data[(48 * 128 + 72) * 4 + 3]).toBe(255);
  });

  it('removes the background, and gives the matte on request', async () => {
    const cut = await sharp(await job({ operation: 'remove-background' })).raw().toBuffer({ resolveWithObject: true });
    expect(cut.info.channels).toBe(4);
    // The disc stays, the stripes beside it go.
    expect(cut.data[(24 * 64 + 36) * 4 + 3]).toBeGreaterThan(200);
    expect(cut.data[(4 * 64 + 60) * 4 + 3]).toBeLessThan(40);
    const matte = await sharp(await job({ operation: 'remove-background', output: 'mask' })).raw().toBuffer({ resolveWithObject: true });
    expect(matte.data[(24 * 64 + 36) * matte.info.channels]).toBeGreaterThan(200);
  });

  it('refuses a scale the networks do not have', async () => {
    const response = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'upscale', image: 'up_x', scale: 5 }) });
    expect(response.status).toBe(400);
  });
});

describe('image tools on the command line', () => {
  const darkroom = (...args: string[]) => runCli({ cwd: dir }, ...args);

  it('upscale writes a PNG twice the size, or a WebP when asked', async () => {
    await writeFile(join(dir, 'picture.png'), await picture());
    const png = await darkroom('upscale', 'picture.png', '--scale', '2');
    expect(png).toMatchObject({ code: 0, stdout: `${join(dir, 'picture-x2.png')}\n` });
    expect(await sharp(join(dir, 'picture-x2.png')).metadata()).toMatchObject({ width: 128, height: 96, hasAlpha: true });
    const webp = await darkroom('upscale', 'picture.png', '--scale', '3', '-o', 'big.webp');
    expect(webp.code).toBe(0);
    const meta = await sharp(await readFile(join(dir, 'big.webp'))).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 192, height: 144, hasAlpha: true });
    expect(meta.xmp?.toString()).toContain('compositeWithTrainedAlgorithmicMedia');
  });

  it('remove-bg writes a transparent PNG, or the matte', async () => {
    expect((await darkroom('remove-bg', 'picture.png')).stdout.trim()).toBe(join(dir, 'picture-nobg.png'));
    expect((await sharp(join(dir, 'picture-nobg.png')).metadata()).hasAlpha).toBe(true);
    expect((await darkroom('remove-bg', 'picture.png', '--mask')).stdout.trim()).toBe(join(dir, 'picture-mask.png'));
  });

  it('says what is wrong with a bad scale', async () => {
    const result = await darkroom('upscale', 'picture.png', '--scale', '5');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Allowed choices are 2, 3, 4, 8/);
  });
});
