// The OpenAI-compatible API as OpenAI's own SDK sees it: a real server on the tiny model,
// images checked by decoding them, errors by the SDK's error classes.

import { request as httpRequest } from 'node:http';
import OpenAI, { BadRequestError, NotFoundError, toFile, type APIError } from 'openai';
import type { ImageCreateVariationParams, ImagesResponse } from 'openai/resources/images';
import sharp, { type Colour } from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RgbImage } from '../src/domain/image.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { meanAbsDiff } from './helpers/tiny.js';

let server: TestServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startTestServer();
  // No retries: a failure should show at once, not after the SDK's backoff.
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => server?.close());

function images(response: ImagesResponse): Buffer[] {
  return (response.data ?? []).map((image) => Buffer.from(image.b64_json ?? '', 'base64'));
}

async function describeImage(bytes: Buffer) {
  const { format, width, height } = await sharp(bytes).metadata();
  return { format, width, height };
}

async function rgb(bytes: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const GREY = { r: 128, g: 128, b: 128 };
/** The middle of a 64x64 image: transparent in the mask, so repainted. */
const HOLE = { left: 16, top: 16, size: 32 };
const inHole = (x: number, y: number) => x >= HOLE.left && x < HOLE.left + HOLE.size && y >= HOLE.top && y < HOLE.top + HOLE.size;

/**
 * Grey with a green square in a corner, outside the hole, and the hole filled with magenta,
 * a colour the model never paints, so that a repaint always shows.
 */
function inputImage(): Promise<Buffer> {
  const square = (size: number, left: number, top: number, background: Colour) => ({ input: { create: { width: size, height: size, channels: 3 as const, background } }, left, top });
  return sharp({ create: { width: 64, height: 64, channels: 3, background: GREY } })
    .composite([square(12, 2, 2, { r: 40, g: 170, b: 60 }), square(HOLE.size, HOLE.left, HOLE.top, { r: 255, g: 0, b: 255 })])
    .png()
    .toBuffer();
}

/** OpenAI's mask: opaque keeps, transparent (alpha 0) repaints. */
function holeMask(): Promise<Buffer> {
  const rgba = Buffer.alloc(64 * 64 * 4, 255);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if (inHole(x, y)) rgba[(y * 64 + x) * 4 + 3] = 0;
  return sharp(rgba, { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer();
}

async function failure(request: Promise<unknown>): Promise<APIError> {
  return request.then(
    () => expect.fail('expected the request to fail'),
    (error: APIError) => error,
  );
}

describe('POST /v1/images/generations', () => {
  it('returns n PNG images of the asked size as base64', async () => {
    const response = await client.images.generate({ prompt: 'a red circle on a blue background', n: 2, size: '64x64', response_format: 'b64_json' });
    expect(response.data).toHaveLength(2);
    for (const bytes of images(response)) expect(await describeImage(bytes)).toEqual({ format: 'png', width: 64, height: 64 });
    expect(response).toMatchObject({ output_format: 'png', size: '64x64', created: expect.any(Number) });
  });

  it('honours a size that is not square', async () => {
    const [bytes] = images(await client.images.generate({ prompt: 'a green square on a white background', size: '128x64' }));
    expect(await describeImage(bytes!)).toEqual({ format: 'png', width: 128, height: 64 });
  });

  it('encodes as the asked output_format', async () => {
    const response = await client.images.generate({ prompt: 'a green square on a white background', size: '64x64', output_format: 'webp' });
    expect((await describeImage(images(response)[0]!)).format).toBe('webp');
    expect(response.output_format).toBe('webp');
  });

  it('answers with a URL that serves the image', async () => {
    const response = await client.images.generate({ prompt: 'a yellow triangle on a black background', size: '64x64', response_format: 'url' });
    const url = response.data?.[0]?.url;
    expect(url).toMatch(new RegExp(`^${server.url}/api/v1/images/`));
    const bytes = Buffer.from(await (await fetch(url!)).arrayBuffer());
    expect(await describeImage(bytes)).toEqual({ format: 'png', width: 64, height: 64 });
  });

  it('maps OpenAI model names to the default model and ignores fields it has no use for', async () => {
    const response = await fetch(`${server.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a white square on a red background', model: 'dall-e-3', size: '64x64', quality: 'hd', style: 'vivid', user: 'someone', background: 'auto', moderation: 'low', n: null }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as ImagesResponse).data).toHaveLength(1);
  });
});

describe('POST /v1/images/edits', () => {
  it('repaints the transparent part of the mask and keeps the rest', async () => {
    const input = await inputImage();
    const response = await client.images.edit({
      image: await toFile(input, 'in.png', { type: 'image/png' }),
      mask: await toFile(await holeMask(), 'mask.png', { type: 'image/png' }),
      prompt: 'a red circle on a blue background',
      size: '64x64',
      response_format: 'b64_json',
    });
    const [bytes] = images(response);
    expect(await describeImage(bytes!)).toMatchObject({ width: 64, height: 64 });
    const [before, after] = [await rgb(input), await rgb(bytes!)];
    expect(meanAbsDiff(before, after, (x, y) => !inHole(x, y))).toBeLessThan(3);
    expect(meanAbsDiff(before, after, inHole)).toBeGreaterThan(40);
  });

  it('without a mask, starts from the image at its own size', async () => {
    const response = await client.images.edit({ image: await toFile(await inputImage(), 'in.png', { type: 'image/png' }), prompt: 'a green square on a white background' });
    expect(await describeImage(images(response)[0]!)).toEqual({ format: 'png', width: 64, height: 64 });
  });
});

describe('POST /v1/images/variations', () => {
  it('returns an image of the asked size', async () => {
    const response = await client.images.createVariation({
      image: await toFile(await inputImage(), 'in.png', { type: 'image/png' }),
      // The SDK's type lists only DALL-E 2's sizes.
      size: '128x64' as ImageCreateVariationParams['size'],
      response_format: 'b64_json',
    });
    expect(await describeImage(images(response)[0]!)).toEqual({ format: 'png', width: 128, height: 64 });
  });
});

describe('GET /v1/models', () => {
  it('lists the built-in model', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(models).toContainEqual({ id: 'darkroom-tiny', object: 'model', created: expect.any(Number), owned_by: 'darkroom' });
  });

  it('finds one model by name, and not an unknown one', async () => {
    expect((await client.models.retrieve('darkroom-tiny')).id).toBe('darkroom-tiny');
    expect(await failure(client.models.retrieve('no-such-model'))).toBeInstanceOf(NotFoundError);
  });
});

describe('bad input', () => {
  it('a size that is not WIDTHxHEIGHT is a 400 naming size', async () => {
    const error = await failure(client.images.generate({ prompt: 'x', size: 'abc' }));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.message).toMatch(/size: expected WIDTHxHEIGHT like 512x512/);
  });

  it('n = 0 is a 400', async () => {
    const error = await failure(client.images.generate({ prompt: 'x', n: 0 }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^400 n:/);
  });

  it('an unknown model is a 404', async () => {
    const error = await failure(client.images.generate({ prompt: 'x', model: 'no-such-model' }));
    expect(error.status).toBe(404);
    expect(error.code).toBe('model_not_found');
  });

  it('an edit whose image is not an image is a 400 invalid_image', async () => {
    const error = await failure(client.images.edit({ image: await toFile(Buffer.from('not a picture'), 'in.png', { type: 'image/png' }), prompt: 'x' }));
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_image');
  });

  it('a mask with no transparency is a 400 invalid_image', async () => {
    const error = await failure(
      client.images.edit({
        image: await toFile(await inputImage(), 'in.png', { type: 'image/png' }),
        mask: await toFile(await inputImage(), 'mask.png', { type: 'image/png' }),
        prompt: 'x',
      }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_image');
  });

  it.each([
    ['stream', { stream: true }],
    ['output_format', { response_format: 'url', output_format: 'webp' }],
  ])('what Darkroom cannot answer is refused before any work: %s', async (field, fields) => {
    const response = await fetch(`${server.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', ...fields }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(new RegExp(`^${field}:`));
  });

  it('the server keeps serving after bad requests', async () => {
    const response = await client.images.generate({ prompt: 'a red circle on a blue background', size: '64x64' });
    expect(images(response)).toHaveLength(1);
  });
});

describe('a client that goes away', () => {
  it('cancels its job', async () => {
    const prompt = 'a long job nobody waits for';
    // node:http rather than fetch, so that going away is exactly one socket closing.
    const request = httpRequest(`${server.url}/v1/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false });
    request.on('error', () => {});
    request.end(JSON.stringify({ prompt, n: 8, size: '192x192' }));
    const job = async () => (await server.services.jobs.list('local')).find((j) => j.prompt === prompt);
    await vi.waitFor(async () => expect((await job())?.status).toBe('running'), { timeout: 60_000, interval: 50 });
    request.destroy();
    await vi.waitFor(async () => expect((await job())?.status).toBe('cancelled'), { timeout: 60_000, interval: 50 });
  });
});
