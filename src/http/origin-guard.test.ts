// The Host and Origin checks on a small Fastify app, through inject: which names are served
// with accounts off and on, and which pages may send a state-changing request.

import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandling } from './errors.js';
import { installOriginGuard, type OriginPolicy } from './origin-guard.js';

async function appWith(policy: OriginPolicy): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandling(app);
  installOriginGuard(app, policy);
  app.get('/thing', async () => ({ ok: true }));
  app.post('/thing', async () => ({ ok: true }));
  await app.ready();
  return app;
}

let local: FastifyInstance;
let shared: FastifyInstance;
beforeAll(async () => {
  local = await appWith({ anyHost: false, origins: ['http://127.0.0.1:7860', 'https://studio.example.com', 'http://::1:7860'] });
  shared = await appWith({ anyHost: true, origins: ['https://darkroom.example.com'] });
});
afterAll(async () => {
  await local.close();
  await shared.close();
});

describe('Host, with accounts off', () => {
  it.each(['localhost', 'localhost:7860', 'LOCALHOST:80', '127.0.0.1:7860', '127.0.0.2', '127.1:7860', '[::1]:7860', '[::1]', 'studio.example.com', 'studio.example.com:8443'])(
    'serves %s',
    async (host) => {
      expect((await local.inject({ url: '/thing', headers: { host } })).statusCode).toBe(200);
    },
  );

  it.each(['rebind.attacker.example', 'rebind.attacker.example:7860', 'localhost.attacker.example', '127.0.0.1.nip.io', '0.0.0.0:7860', '192.168.1.5:7860', 'evil@localhost', 'localhost/x', '[::2]:7860'])(
    'refuses %s with 421 host_not_allowed',
    async (host) => {
      const response = await local.inject({ url: '/thing', headers: { host } });
      expect(response.statusCode).toBe(421);
      expect(response.json().error.code).toBe('host_not_allowed');
      expect(response.json().error.message).toContain('DARKROOM_ALLOWED_ORIGINS');
    },
  );
});

describe('Host, with accounts on', () => {
  it('serves any name (a rebound name carries no session cookie)', async () => {
    expect((await shared.inject({ url: '/thing', headers: { host: 'darkroom.lan:7860' } })).statusCode).toBe(200);
    expect((await shared.inject({ url: '/thing', headers: { host: '192.168.1.5:7860' } })).statusCode).toBe(200);
  });
});

describe('Origin of state-changing requests', () => {
  const post = (app: FastifyInstance, headers: Record<string, string>) => app.inject({ method: 'POST', url: '/thing', headers: { host: 'localhost:7860', ...headers } });

  it('lets in the server’s own pages, allowed origins, and callers that are no page', async () => {
    const callers: Record<string, string>[] = [
      { origin: 'http://localhost:7860' },
      { origin: 'https://localhost:7860' },
      { origin: 'http://127.0.0.1:7860', host: '127.0.0.1:7860' },
      { origin: 'https://studio.example.com' },
      { origin: 'http://127.0.0.1:7860' },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      {},
    ];
    for (const headers of callers) {
      expect((await post(local, headers)).statusCode, JSON.stringify(headers)).toBe(200);
    }
  });

  it('matches a default port written out in Host', async () => {
    expect((await post(shared, { host: 'darkroom.example.net:443', origin: 'https://darkroom.example.net' })).statusCode).toBe(200);
    expect((await post(shared, { host: 'darkroom.example.net', origin: 'https://darkroom.example.net:443' })).statusCode).toBe(200);
  });

  it.each([
    [{ origin: 'https://evil.example' }],
    [{ origin: 'http://localhost:3000' }],
    [{ origin: 'http://other.localhost:7860' }],
    [{ origin: 'null' }],
    [{ 'sec-fetch-site': 'cross-site' }],
    [{ 'sec-fetch-site': 'same-site' }],
    [{ origin: 'https://evil.example', cookie: 'darkroom_session=abc' }],
    [{ origin: 'https://evil.example', authorization: 'Basic dTpw' }],
  ])('refuses %j with 403 origin_not_allowed', async (headers) => {
    const response = await post(local, headers);
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('origin_not_allowed');
  });

  it('refuses foreign pages with accounts on too, where any Host is served', async () => {
    const response = await post(shared, { host: 'darkroom.example.com', origin: 'https://blog.example.com' });
    expect(response.statusCode).toBe(403);
  });

  it('lets API-key requests through whatever their Origin', async () => {
    expect((await post(local, { origin: 'https://evil.example', authorization: 'Bearer dk_anything' })).statusCode).toBe(200);
    expect((await post(local, { 'sec-fetch-site': 'cross-site', authorization: 'bearer dk_anything' })).statusCode).toBe(200);
  });

  it('does not look at the Origin of reads', async () => {
    expect((await local.inject({ url: '/thing', headers: { host: 'localhost:7860', origin: 'https://evil.example' } })).statusCode).toBe(200);
  });
});
