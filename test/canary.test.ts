// The privacy canary: a random marker is put in a prompt, in an uploaded photo's EXIF
// description and in an account's email. After the account is erased, and separately after
// the retention windows pass and a purge runs, the marker is nowhere in the raw bytes of
// the database, its -wal and -shm files, the blob store, or the server's log output. A
// negative control (secure_delete off, no checkpoint) shows that the search does find
// leftovers when erasure is not done properly.

import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import sharp from 'sharp';
import { describe, expect, it, onTestFinished } from 'vitest';
import { logSerializers } from '../src/http/server.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitForJob } from './helpers/wait.js';

async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Every place on disk and in the logs where the marker might survive, with where it was found. */
async function findCanary(server: TestServer, logs: string[], canary: string): Promise<string[]> {
  const needles = [Buffer.from(canary, 'utf8'), Buffer.from(canary, 'utf16le')];
  const found: string[] = [];
  const files = [...['darkroom.db', 'darkroom.db-wal', 'darkroom.db-shm'].map((f) => join(server.dataDir, f)), ...(await filesUnder(join(server.dataDir, 'blobs')))];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const bytes = await readFile(file);
    if (needles.some((n) => bytes.includes(n))) found.push(file.slice(server.dataDir.length + 1));
  }
  if (logs.join('').includes(canary)) found.push('log output');
  return found;
}

/**
 * A server whose logs are kept in `logs`. `stop()` closes it and keeps its data folder, to
 * be searched after; when the test ends, however it ends, the server is stopped and the
 * folder deleted.
 */
async function setUp(env: NodeJS.ProcessEnv, unsafe: boolean, clock?: { now(): number }) {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'trace', serializers: logSerializers }, sink);
  const server = await startTestServer(
    { DARKROOM_AUTH: 'on', DARKROOM_SIGNUP: 'open', DARKROOM_RATE_LIMIT: '100000', ...env },
    { logger, log: logger, ...(unsafe ? { store: { unsafeKeepDeletedBytes: true } } : {}), ...(clock ? { clock } : {}) },
  );
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= server.close(true));
  onTestFinished(async () => {
    try {
      await stop();
    } finally {
      await rm(server.dataDir, { recursive: true, force: true });
    }
  });
  return { server, logs, stop };
}

/** Signs up with the marker in the email, generates with it in the prompt, uploads a photo with it in EXIF. */
async function leaveTraces(server: TestServer, canary: string, email = `${canary}@example.org`): Promise<string> {
  const register = await fetch(`${server.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'a long enough password' }),
  });
  expect(register.status).toBe(201);
  const cookie = register.headers.getSetCookie().find((c) => c.startsWith('darkroom_session='))!.split(';')[0]!;
  const headers = { cookie };
  const created = (await (
    await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'txt2img', prompt: `a red circle ${canary}`, negative_prompt: canary, steps: 3 }) })
  ).json()) as { id: string };
  await waitForJob(server.url, created.id, { init: { headers } });
  const photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#a06030' } })
    .jpeg()
    .withExif({ IFD0: { ImageDescription: canary } })
    .toBuffer();
  const form = new FormData();
  form.append('image', new Blob([photo], { type: 'image/jpeg' }), `${canary}.jpg`);
  expect((await fetch(`${server.url}/api/v1/uploads`, { method: 'POST', headers, body: form })).status).toBe(201);
  return cookie;
}

const marker = () => `canary${Math.random().toString(36).slice(2, 12)}`;

describe('the canary', () => {
  it('is gone from disk and logs after the account is erased', async () => {
    const canary = marker();
    const { server, logs, stop } = await setUp({}, false);
    const cookie = await leaveTraces(server, canary);
    // Before the erase the email is on disk: the search works on this data.
    expect(await findCanary(server, logs, canary)).not.toEqual([]);
    expect((await fetch(`${server.url}/api/v1/me`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
    expect(await findCanary(server, logs, canary)).toEqual([]);
    await stop();
    expect(await findCanary(server, logs, canary)).toEqual([]);
  });

  it('is gone from disk and logs after the retention windows and a purge (the account itself stays)', async () => {
    const canary = marker();
    let now = Date.now();
    const { server, logs } = await setUp({ DARKROOM_RETENTION_PROMPTS: '1h', DARKROOM_RETENTION_UPLOADS: '1h', DARKROOM_RETENTION_OUTPUTS: '1h' }, false, { now: () => now });
    // The email is account data, kept while the account exists, so it carries no marker here.
    const cookie = await leaveTraces(server, canary, 'kept@example.org');
    now += 2 * 3_600_000;
    const report = await server.services.purge();
    expect(report).toMatchObject({ images_deleted: 2, prompts_cleared: 1 });
    expect(await findCanary(server, logs, canary)).toEqual([]);
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { cookie } })).status).toBe(200);
  });

  it('is found when erasure skips secure_delete and the checkpoint (negative control)', async () => {
    const canary = marker();
    const { server, logs } = await setUp({}, true);
    const cookie = await leaveTraces(server, canary);
    expect((await fetch(`${server.url}/api/v1/me`, { method: 'DELETE', headers: { cookie } })).status).toBe(204);
    const found = await findCanary(server, logs, canary);
    expect(found.some((place) => place.startsWith('darkroom.db'))).toBe(true);
  });
});
