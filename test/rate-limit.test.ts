// Rate limits with accounts on: per account, and for anonymous callers per salted hash of
// their address; the answer is 429 with Retry-After. /healthz is never limited.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, makeCaller, type Caller } from './helpers/accounts.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let a: Caller;
let b: Caller;
beforeAll(async () => {
  server = await startTestServer({ DARKROOM_AUTH: 'on', DARKROOM_RATE_LIMIT: '5' });
  a = await makeCaller(server, 'rate-a@example.org');
  b = await makeCaller(server, 'rate-b@example.org');
});
afterAll(() => server.close());

describe('rate limits', () => {
  it('limit each account on its own, with 429 and Retry-After', async () => {
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await a.fetch('/api/v1/me')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    const limited = await a.fetch('/api/v1/me');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect((await b.fetch('/api/v1/me')).status).toBe(200);
  });

  it('limit anonymous callers by a hash of their address, stored nowhere as the address', async () => {
    const call = anonymous(server);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await call('/api/v1/auth/methods')).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.at(-1)).toBe(429);
    const salts = await server.services.store.db.selectFrom('ip_salts').selectAll().execute();
    expect(salts).toHaveLength(1);
    expect(JSON.stringify(salts)).not.toContain('127.0.0.1');
  });

  it('never limit /healthz, which monitors poll from one address', async () => {
    const call = anonymous(server);
    expect((await call('/api/v1/auth/methods')).status).toBe(429);
    const statuses = new Set<number>();
    for (let i = 0; i < 12; i++) statuses.add((await call('/healthz')).status);
    expect([...statuses]).toEqual([200]);
  });
});
