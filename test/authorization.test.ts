// The authorisation matrix: every route, called by an anonymous caller, user A, user B and
// an administrator, answers with the expected status. B never reads, streams, cancels,
// saves, deletes or exports A's things; an administrator reads them only through the
// audited admin route.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, makeCaller, startAccountsServer, type Caller } from './helpers/accounts.js';
import type { TestServer } from './helpers/server.js';
import { waitForJob } from './helpers/wait.js';

let server: TestServer;
let a: Caller;
let b: Caller;
let admin: Caller;
let jobA: string;
let imageA: string;
let uploadA: string;

beforeAll(async () => {
  server = await startAccountsServer();
  a = await makeCaller(server, 'a@example.org');
  b = await makeCaller(server, 'b@example.org');
  admin = await makeCaller(server, 'admin@example.org', 'admin');
  const created = (await (await a.fetch('/api/v1/jobs', { method: 'POST', json: { operation: 'txt2img', prompt: "A's circle", steps: 3 } })).json()) as { id: string };
  jobA = created.id;
  const done = await waitForJob(server.url, jobA, { init: { headers: { authorization: `Bearer ${a.key}` } } });
  imageA = done.images[0]!.id;
  const form = new FormData();
  form.append('image', new Blob([await sharp({ create: { width: 64, height: 64, channels: 3, background: '#345' } }).png().toBuffer()], { type: 'image/png' }), 'a.png');
  uploadA = ((await (await a.fetch('/api/v1/uploads', { method: 'POST', body: form })).json()) as { id: string }).id;
});
afterAll(() => server.close());

type Who = 'anon' | 'a' | 'b' | 'admin';
interface Row {
  route: string;
  send: (call: (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>) => Promise<Response>;
  expect: Record<Who, number>;
}

const job = { operation: 'txt2img', prompt: 'x', steps: 2 };
const owned = (ok: number) => ({ anon: 401, a: ok, b: 404, admin: 404 });
const mine = (ok: number) => ({ anon: 401, a: ok, b: ok, admin: ok });
const adminOnly = (ok: number) => ({ anon: 401, a: 403, b: 403, admin: ok });
const open = (ok: number) => ({ anon: ok, a: ok, b: ok, admin: ok });

const matrix = (): Row[] => [
  { route: 'GET /healthz', send: (c) => c('/healthz'), expect: open(200) },
  { route: 'GET /privacy', send: (c) => c('/privacy'), expect: open(200) },
  { route: 'GET /api/docs/json', send: (c) => c('/api/docs/json'), expect: open(200) },
  { route: 'POST /api/v1/jobs', send: (c) => c('/api/v1/jobs', { method: 'POST', json: job }), expect: mine(202) },
  { route: 'GET /api/v1/jobs', send: (c) => c('/api/v1/jobs'), expect: mine(200) },
  { route: "GET /api/v1/jobs/:id (A's)", send: (c) => c(`/api/v1/jobs/${jobA}`), expect: owned(200) },
  { route: "GET /api/v1/jobs/:id/events (A's)", send: (c) => c(`/api/v1/jobs/${jobA}/events`), expect: owned(200) },
  { route: "DELETE /api/v1/jobs/:id (A's)", send: (c) => c(`/api/v1/jobs/${jobA}`, { method: 'DELETE' }), expect: owned(200) },
  { route: "POST /api/v1/jobs img2img on A's upload", send: (c) => c('/api/v1/jobs', { method: 'POST', json: { operation: 'img2img', prompt: 'x', image: uploadA, steps: 2 } }), expect: { anon: 401, a: 202, b: 400, admin: 400 } },
  { route: 'GET /api/v1/images', send: (c) => c('/api/v1/images'), expect: mine(200) },
  { route: "GET /api/v1/images/:id (A's)", send: (c) => c(`/api/v1/images/${imageA}`), expect: owned(200) },
  { route: "GET /api/v1/images/:id?thumb=1 (A's)", send: (c) => c(`/api/v1/images/${imageA}?thumb=1`), expect: owned(200) },
  { route: "GET /api/v1/images/:id (A's upload)", send: (c) => c(`/api/v1/images/${uploadA}`), expect: owned(200) },
  { route: "POST /api/v1/images/:id/save (A's)", send: (c) => c(`/api/v1/images/${imageA}/save`, { method: 'POST' }), expect: owned(200) },
  { route: 'GET /api/v1/models', send: (c) => c('/api/v1/models'), expect: mine(200) },
  { route: 'GET /api/v1/me', send: (c) => c('/api/v1/me'), expect: mine(200) },
  { route: 'GET /api/v1/me/keys', send: (c) => c('/api/v1/me/keys'), expect: mine(200) },
  { route: 'GET /api/v1/me/export', send: (c) => c('/api/v1/me/export'), expect: mine(200) },
  { route: 'GET /api/v1/admin/users', send: (c) => c('/api/v1/admin/users'), expect: adminOnly(200) },
  { route: "GET /api/v1/admin/users/:id/images (A's)", send: (c) => c(`/api/v1/admin/users/${a.id}/images`), expect: adminOnly(200) },
  { route: 'POST /api/v1/admin/users/:id/credits', send: (c) => c(`/api/v1/admin/users/${b.id}/credits`, { method: 'POST', json: { amount: 1 } }), expect: adminOnly(200) },
  { route: 'GET /api/v1/admin/audit', send: (c) => c('/api/v1/admin/audit'), expect: adminOnly(200) },
  { route: 'GET /v1/models', send: (c) => c('/v1/models'), expect: mine(200) },
  { route: 'GET /sdapi/v1/sd-models', send: (c) => c('/sdapi/v1/sd-models'), expect: mine(200) },
  { route: 'GET /sdapi/v1/progress', send: (c) => c('/sdapi/v1/progress'), expect: mine(200) },
  { route: 'GET /sdapi/v1/options', send: (c) => c('/sdapi/v1/options'), expect: mine(200) },
];

describe('authorisation matrix', () => {
  it('answers every route as expected for every caller', async () => {
    const callers: Record<Who, (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>> = {
      anon: anonymous(server),
      a: (p, i) => a.fetch(p, i),
      b: (p, i) => b.fetch(p, i),
      admin: (p, i) => admin.fetch(p, i),
    };
    const wrong: string[] = [];
    for (const row of matrix()) {
      // A goes last, so A's own destructive calls do not change what the others see.
      for (const who of ['anon', 'b', 'admin', 'a'] as Who[]) {
        const response = await row.send(callers[who]);
        if (row.route.includes('/events') && response.status === 200) await response.body?.cancel();
        else await response.arrayBuffer();
        if (response.status !== row.expect[who]) wrong.push(`${row.route} as ${who}: ${response.status}, expected ${row.expect[who]}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("keeps A's things out of B's lists and export", async () => {
    const images = (await (await b.fetch('/api/v1/images?limit=500')).json()) as { images: { id: string }[] };
    expect(images.images.map((i) => i.id)).not.toContain(imageA);
    const jobs = (await (await b.fetch('/api/v1/jobs')).json()) as { jobs: { id: string }[] };
    expect(jobs.jobs.map((j) => j.id)).not.toContain(jobA);
    const archive = Buffer.from(await (await b.fetch('/api/v1/me/export')).arrayBuffer());
    expect(archive.includes(Buffer.from(imageA))).toBe(false);
    expect(archive.includes(Buffer.from(jobA))).toBe(false);
  });

  it("records an administrator reading A's images in the audit log", async () => {
    const log = (await (await admin.fetch('/api/v1/admin/audit')).json()) as { entries: { actor: string; action: string; target: string }[] };
    expect(log.entries).toContainEqual(expect.objectContaining({ actor: admin.id, action: 'images.read', target: a.id }));
  });

  it("lets B not delete A's image, and A delete it", async () => {
    expect((await b.fetch(`/api/v1/images/${imageA}`, { method: 'DELETE' })).status).toBe(404);
    expect((await admin.fetch(`/api/v1/images/${imageA}`, { method: 'DELETE' })).status).toBe(404);
    expect((await a.fetch(`/api/v1/images/${imageA}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('erases only the caller with DELETE /api/v1/me', async () => {
    expect((await b.fetch('/api/v1/me', { method: 'DELETE' })).status).toBe(204);
    expect((await b.fetch('/api/v1/me')).status).toBe(401);
    expect((await a.fetch('/api/v1/me')).status).toBe(200);
    expect((await a.fetch(`/api/v1/images/${uploadA}`)).status).toBe(200);
  });
});
