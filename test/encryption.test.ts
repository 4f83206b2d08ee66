// Encryption at rest: image files and prompts are sealed with the owner's data key, and
// erasing the owner destroys the key, so copies of their files taken earlier (a backup)
// cannot be read with the server's keys afterwards.

import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobFiles } from './helpers/blobs.js';
import { readEvents } from './helpers/sse.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const PROMPT = `a red circle ${Math.random().toString(36).slice(2)}`;

describe('encryption at rest', () => {
  it('seals image files and prompts; the master key file is private', async () => {
    const created = (await (await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'txt2img', prompt: PROMPT, steps: 3 }) })).json()) as { id: string };
    await readEvents(`${server.url}/api/v1/jobs/${created.id}/events`);
    const [file] = await blobFiles(join(server.dataDir, 'blobs'));
    const raw = await readFile(file!);
    expect(raw.subarray(0, 4).toString()).toBe('DRK1');
    expect(raw.includes(Buffer.from('PNG'))).toBe(false);
    const served = Buffer.from(await (await fetch(`${server.url}/api/v1/images?kind=output`).then((r) => r.json()).then((b: any) => fetch(server.url + b.images[0].url))).arrayBuffer());
    expect(served.subarray(1, 4).toString()).toBe('PNG');
    const row = await server.services.store.db.selectFrom('jobs').select('prompt').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.prompt).not.toContain('red circle');
    expect((await fetch(`${server.url}/api/v1/jobs/${created.id}`).then((r) => r.json()) as { prompt: string }).prompt).toBe(PROMPT);
    expect((await stat(join(server.dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
  });

  it('crypto-shreds: a copy of the files taken before an erase cannot be decrypted after it', async () => {
    const backup = await mkdtemp(join(tmpdir(), 'darkroom-backup-'));
    await cp(join(server.dataDir, 'blobs'), backup, { recursive: true });
    const copies = await blobFiles(backup);
    expect(copies.length).toBeGreaterThan(0);
    // Before the erase, the server's keys open the copies: the check below can fail.
    for (const copy of copies) {
      const png = await server.services.keyring.open('local', await readFile(copy), 'image');
      expect(png.subarray(1, 4).toString()).toBe('PNG');
    }
    expect((await fetch(`${server.url}/api/v1/me`, { method: 'DELETE' })).status).toBe(204);
    for (const copy of copies) {
      await expect(server.services.keyring.open('local', await readFile(copy), 'image')).rejects.toMatchObject({ code: 'not_found' });
    }
    const keys = await server.services.store.db.selectFrom('data_keys').selectAll().where('owner', '=', 'local').execute();
    expect(keys).toEqual([]);
    await rm(backup, { recursive: true, force: true });
  });
});
