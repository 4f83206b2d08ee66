// Retention with a clock the test moves: expired data is invisible at once, the purge
// erases it (rows and files), saved images stay, and every run is recorded for /healthz.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobFiles } from './helpers/blobs.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { readEvents } from './helpers/sse.js';

let now = Date.parse('2026-11-23T12:00:00Z');
const clock = { now: () => now };
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(
    { DARKROOM_RETENTION_PROMPTS: '1h', DARKROOM_RETENTION_OUTPUTS: '2h', DARKROOM_RETENTION_UPLOADS: '30m', DARKROOM_RETENTION_USAGE: '1d', DARKROOM_PURGE_INTERVAL: '1d' },
    { clock },
  );
});
afterAll(() => server.close());

const HOUR = 3_600_000;

async function json(path: string, init?: RequestInit) {
  return (await (await fetch(server.url + path, init)).json()) as Record<string, any>;
}

async function blobCount(): Promise<number> {
  return (await blobFiles(join(server.dataDir, 'blobs'))).length;
}

describe('retention', () => {
  it('hides expired data at once and erases it on purge, keeping saved images', async () => {
    const post = (body: unknown) => json('/api/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const kept = await post({ operation: 'txt2img', prompt: 'a saved circle', steps: 3, n: 1 });
    const dropped = await post({ operation: 'txt2img', prompt: 'a passing circle', steps: 3, n: 1 });
    await readEvents(`${server.url}/api/v1/jobs/${kept.id}/events`);
    await readEvents(`${server.url}/api/v1/jobs/${dropped.id}/events`);
    const keptImage = (await json(`/api/v1/jobs/${kept.id}`)).images[0].id;
    await json(`/api/v1/images/${keptImage}/save`, { method: 'POST' });
    expect(await blobCount()).toBe(2);

    now += 1.5 * HOUR;
    // Prompts are past their hour: hidden before any purge.
    expect((await json(`/api/v1/jobs/${dropped.id}`)).prompt).toBeNull();
    expect((await json('/api/v1/images')).images).toHaveLength(2);

    now += 1 * HOUR;
    // The unsaved output is past its two hours: hidden, its bytes unreachable.
    const listed = (await json('/api/v1/images')).images as { id: string }[];
    expect(listed.map((i) => i.id)).toEqual([keptImage]);
    expect(await blobCount()).toBe(2);

    const report = await server.services.purge();
    expect(report).toMatchObject({ images_deleted: 1, prompts_cleared: 2, jobs_deleted: 0 });
    expect(await blobCount()).toBe(1);
    const rows = await server.services.store.db.selectFrom('jobs').select(['prompt', 'negative_prompt']).execute();
    expect(rows.every((r) => r.prompt === null && r.negative_prompt === null)).toBe(true);

    const health = await json('/healthz');
    expect(health.purge).toMatchObject({ interval: '24h', last: { images_deleted: 1, prompts_cleared: 2 } });

    now += 2 * 24 * HOUR;
    // Past the usage window, finished jobs without images go; the saved image's job stays.
    const later = await server.services.purge();
    expect(later.jobs_deleted).toBe(1);
    expect((await json(`/api/v1/jobs/${dropped.id}`)).error?.code).toBe('not_found');
    expect((await json(`/api/v1/jobs/${kept.id}`)).status).toBe('done');
    expect((await json('/api/v1/images')).images).toHaveLength(1);
  });

  it('purges ended sessions and IP salts older than 48 hours', async () => {
    const { accounts, http, store } = server.services;
    const user = await accounts.create({ email: 'sessions@example.org', password: 'a long enough password' });
    await http.accounts.sessions.create(user.id);
    await http.accounts.ipHasher.hash('192.0.2.7');
    const count = async (table: 'sessions' | 'ip_salts') => (await store.db.selectFrom(table).selectAll().execute()).length;
    await server.services.purge();
    expect([await count('sessions'), await count('ip_salts')]).toEqual([1, 1]);

    now += 31 * 24 * HOUR;
    await server.services.purge();
    expect([await count('sessions'), await count('ip_salts')]).toEqual([0, 0]);
  });
});
