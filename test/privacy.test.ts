// The caller's rights over HTTP: the policy page in force, the export archive, and erasure.

import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobFiles } from './helpers/blobs.js';
import { readEvents } from './helpers/sse.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ DARKROOM_RETENTION_PROMPTS: '2h', DARKROOM_PURGE_INTERVAL: '5m' });
});
afterAll(() => server.close());

async function generate(prompt: string) {
  const response = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'txt2img', prompt, steps: 4 }) });
  const { id } = (await response.json()) as { id: string };
  await readEvents(`${server.url}/api/v1/jobs/${id}/events`);
  return id;
}

describe('privacy', () => {
  it('shows the policy generated from the configuration, as HTML and JSON', async () => {
    const json = (await (await fetch(`${server.url}/privacy`, { headers: { accept: 'application/json' } })).json()) as Record<string, any>;
    expect(json.retention).toEqual({ prompts: '2h', uploads: '24h', outputs: '24h', saved: 'forever', usage: '90d', audit: '365d' });
    expect(json.purge_interval).toBe('5m');
    const html = await (await fetch(`${server.url}/privacy`)).text();
    expect(html).toContain('<h1>Privacy policy</h1>');
    expect(html).toMatch(/Prompts and negative prompts<\/th><td>2h/);
  });

  it('exports jobs, images and their files as one zip', async () => {
    const id = await generate('a purple square for the archive');
    const response = await fetch(`${server.url}/api/v1/me/export`);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="darkroom-export-/);
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const jobs = JSON.parse(new TextDecoder().decode(files['jobs.json'])) as { id: string; prompt: string }[];
    expect(jobs.find((j) => j.id === id)?.prompt).toBe('a purple square for the archive');
    const images = JSON.parse(new TextDecoder().decode(files['images.json'])) as { file: string; job_id: string }[];
    const mine = images.find((i) => i.job_id === id)!;
    expect(files[mine.file]!.subarray(1, 4).toString()).toBe('80,78,71');
  });

  it('erases everything of the caller at once, remembered Idempotency-Keys too', async () => {
    await generate('a yellow circle to forget');
    const submit = () =>
      fetch(`${server.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'erase-me' },
        body: JSON.stringify({ operation: 'txt2img', prompt: 'a keyed circle', steps: 2 }),
      });
    const before = (await (await submit()).json()) as { id: string };
    expect((await fetch(`${server.url}/api/v1/me`, { method: 'DELETE' })).status).toBe(204);
    // The key no longer points at the erased job: the same request makes a new one.
    const after = await submit();
    expect(after.status).toBe(202);
    const fresh = ((await after.json()) as { id: string }).id;
    expect(fresh).not.toBe(before.id);
    await readEvents(`${server.url}/api/v1/jobs/${fresh}/events`);
    expect((await fetch(`${server.url}/api/v1/me`, { method: 'DELETE' })).status).toBe(204);
    const jobs = (await (await fetch(`${server.url}/api/v1/jobs`)).json()) as { jobs: unknown[] };
    const images = (await (await fetch(`${server.url}/api/v1/images`)).json()) as { images: unknown[] };
    expect(jobs.jobs).toEqual([]);
    expect(images.images).toEqual([]);
    expect(await blobFiles(join(server.dataDir, 'blobs'))).toEqual([]);
  });
});
