// Moderation at the job service: a blocked prompt is refused before anything is queued,
// a "blur" prompt's outputs are stored blurred, the hard-block category cannot be switched
// off, and decisions are recorded as categories and a keyed hash, never the prompt.

import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from './helpers/sse.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  const policy = join(tmpdir(), `darkroom-policy-${process.pid}.json`);
  await writeFile(
    policy,
    JSON.stringify({
      prompts: {
        weapons: { terms: ['grenade'], action: 'block' },
        shapes: { terms: ['triangle'], action: 'blur' },
        sexual_minors: { terms: [], action: 'allow' },
      },
    }),
  );
  server = await startTestServer({ DARKROOM_MODERATION_POLICY: policy });
});
afterAll(() => server.close());

async function post(body: Record<string, unknown>) {
  return fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'txt2img', steps: 6, seed: 4, ...body }) });
}

async function imageOf(id: string): Promise<Buffer> {
  const events = await readEvents(`${server.url}/api/v1/jobs/${id}/events`);
  const url = (events.at(-1)!.data.images as { url: string }[])[0]!.url;
  return sharp(Buffer.from(await (await fetch(server.url + url)).arrayBuffer())).raw().toBuffer();
}

/**
 * Mean squared difference between horizontal neighbours: how much sharp edge there is. Squared,
 * because a blur spreads an edge's step over more pixels without changing its absolute sum.
 */
function edges(rgb: Buffer, width = 64): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i + 3 < rgb.length; i += 3) {
    if ((i / 3) % width === width - 1) continue;
    for (let c = 0; c < 3; c++) sum += (rgb[i + c]! - rgb[i + 3 + c]!) ** 2;
    n += 3;
  }
  return sum / n;
}

describe('moderation', () => {
  it('refuses a blocked prompt, obfuscated too, and queues nothing', async () => {
    for (const prompt of ['a grenade', 'a GR3N4D3 on a table', 'a g r e n a d e']) {
      const response = await post({ prompt });
      expect(response.status).toBe(422);
      expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'content_blocked', message: expect.stringContaining('weapons') });
    }
    expect(await server.services.jobStore.count('queued')).toBe(0);
    expect((await (await fetch(`${server.url}/api/v1/jobs`)).json()) as { jobs: unknown[] }).toEqual({ jobs: [] });
  });

  it('keeps the hard-block category on even when the policy file turns it off', async () => {
    const response = await post({ prompt: 'nude child' });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('sexual_minors');
  });

  it('blurs the outputs of a "blur" prompt', async () => {
    const plain = (await (await post({ prompt: 'a red square on a white background' })).json()) as { id: string };
    const blurred = (await (await post({ prompt: 'a red square on a white background, triangle' })).json()) as { id: string };
    expect(edges(await imageOf(blurred.id))).toBeLessThan(edges(await imageOf(plain.id)) / 4);
  });

  it('records decisions by category and keyed hash, never the prompt', async () => {
    const rows = await server.services.store.db.selectFrom('moderation_decisions').selectAll().execute();
    expect(rows.map((r) => [r.subject, r.categories, r.action])).toEqual(
      expect.arrayContaining([
        ['prompt', 'weapons', 'block'],
        ['prompt', 'sexual_minors', 'block'],
        ['prompt', 'shapes', 'blur'],
      ]),
    );
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.content_hash))).toBe(true);
    // The same normalised prompt hashes alike, so repeats are recognisable; another does not.
    const hashes = new Set(rows.filter((r) => r.categories === 'weapons').map((r) => r.content_hash));
    for (const spelling of ['a  GRENADE', 'A grenade']) expect((await post({ prompt: spelling })).status).toBe(422);
    const again = await server.services.store.db.selectFrom('moderation_decisions').select('content_hash').where('categories', '=', 'weapons').execute();
    const added = again.map((r) => r.content_hash).filter((h) => !hashes.has(h));
    expect(added).toEqual([]);
    expect(hashes.size).toBeGreaterThan(1);
    expect(JSON.stringify(rows)).not.toMatch(/grenade|GR3N4D3|child|square/i);
  });
});

describe('image screening', () => {
  async function serverWith(images: Record<string, { threshold: number; action: string }>) {
    const policy = join(tmpdir(), `darkroom-image-policy-${process.pid}-${Object.keys(images).join()}.json`);
    await writeFile(policy, JSON.stringify({ images }));
    return startTestServer({ DARKROOM_MODERATION_POLICY: policy, DARKROOM_MODERATION_IMAGES: 'on' });
  }

  async function finalEvent(s: TestServer, body: Record<string, unknown>) {
    const created = (await (await fetch(`${s.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'txt2img', steps: 4, seed: 1, ...body }) })).json()) as { id: string };
    return (await readEvents(`${s.url}/api/v1/jobs/${created.id}/events`)).at(-1)!;
  }

  // Synthetic pictures score as Drawing or Neutral; rules on those classes make the path testable
  // without any NSFW fixture.
  it('fails a job whose output the image policy blocks, and records the decision', async () => {
    const s = await serverWith({ Drawing: { threshold: 0, action: 'block' } });
    try {
      const last = await finalEvent(s, { prompt: 'a red circle on a blue background' });
      expect(last.type).toBe('failed');
      expect(last.data.error).toMatchObject({ code: 'content_blocked' });
      const rows = await s.services.store.db.selectFrom('moderation_decisions').selectAll().execute();
      expect(rows.map((r) => [r.subject, r.categories, r.action])).toContainEqual(['output', 'drawing', 'block']);
      expect((await s.services.store.db.selectFrom('images').selectAll().execute()).filter((r) => r.kind === 'output')).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('passes ordinary synthetic images with the default rules', async () => {
    const s = await startTestServer({ DARKROOM_MODERATION_IMAGES: 'on' });
    try {
      expect((await finalEvent(s, { prompt: 'a green square on a white background' })).type).toBe('done');
      expect(await s.services.store.db.selectFrom('moderation_decisions').selectAll().execute()).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
