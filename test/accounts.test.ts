// Accounts with DARKROOM_AUTH=on: email and password sessions in httpOnly SameSite cookies
// stored hashed, API keys shown once and stored hashed, revocation, and OAuth sign-in with
// GitHub and Google against a local stand-in that speaks their protocol.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../src/accounts/tokens.js';
import { anonymous, makeCaller, startAccountsServer } from './helpers/accounts.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let provider: Server;
let providerUrl: string;
const codes = new Map<string, { provider: 'github' | 'google'; subject: string; email: string; verified: boolean; challenge?: string }>();
const seen: { path: string; body: string; authorization: string | undefined }[] = [];
/** The client credentials each provider was registered with, as HTTP Basic (RFC 6749 2.3.1). */
const CLIENTS: Record<string, string> = {
  '/login/oauth/access_token': `Basic ${Buffer.from('gh-id:gh-secret').toString('base64')}`,
  '/token': `Basic ${Buffer.from('go-id:go-secret').toString('base64')}`,
};

beforeAll(async () => {
  // One stand-in for both providers: token exchange, user profile, GitHub's email list.
  provider = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://stub');
      seen.push({ path: url.pathname, body, authorization: req.headers.authorization });
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (url.pathname === '/login/oauth/access_token' || url.pathname === '/token') {
        if (req.headers.authorization !== CLIENTS[url.pathname]) return json(401, { error: 'invalid_client' });
        const code = new URLSearchParams(body).get('code') ?? '';
        if (!codes.has(code)) return json(400, { error: 'invalid_grant' });
        return json(200, { access_token: `token-${code}`, token_type: 'bearer', scope: 'read:user' });
      }
      const auth = req.headers.authorization?.replace('Bearer token-', '') ?? '';
      const grant = codes.get(auth);
      if (!grant) return json(401, { message: 'Bad credentials' });
      if (url.pathname === '/user') return json(200, { id: Number(grant.subject), login: 'octo', email: null });
      if (url.pathname === '/user/emails') return json(200, [{ email: grant.email, primary: true, verified: grant.verified }]);
      if (url.pathname === '/v1/userinfo') return json(200, { sub: grant.subject, email: grant.email, email_verified: grant.verified });
      json(404, {});
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
  server = await startAccountsServer({
    DARKROOM_SIGNUP: 'open',
    DARKROOM_OAUTH_GITHUB_CLIENT_ID: 'gh-id',
    DARKROOM_OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret',
    DARKROOM_OAUTH_GITHUB_BASE: providerUrl,
    DARKROOM_OAUTH_GOOGLE_CLIENT_ID: 'go-id',
    DARKROOM_OAUTH_GOOGLE_CLIENT_SECRET: 'go-secret',
    DARKROOM_OAUTH_GOOGLE_BASE: providerUrl,
  });
});
afterAll(async () => {
  await server.close();
  provider.close();
});

function cookieOf(response: Response, name: string): { value: string; attributes: string } | undefined {
  for (const header of response.headers.getSetCookie()) {
    const [pair, ...attributes] = header.split(';');
    const [key, value] = pair!.split('=');
    if (key === name) return { value: value!, attributes: attributes.join(';') };
  }
  return undefined;
}

describe('email and password', () => {
  it('registers, signs in with an httpOnly SameSite cookie stored only hashed, and signs out', async () => {
    const call = anonymous(server);
    const registered = await call('/api/v1/auth/register', { method: 'POST', json: { email: 'Ana@Example.org', password: 'a long enough password' } });
    expect(registered.status).toBe(201);
    const login = await call('/api/v1/auth/login', { method: 'POST', json: { email: 'ana@example.org', password: 'a long enough password' } });
    expect(login.status).toBe(200);
    const session = cookieOf(login, 'darkroom_session')!;
    expect(session.attributes).toMatch(/HttpOnly/i);
    expect(session.attributes).toMatch(/SameSite=Lax/i);
    const me = await call('/api/v1/me', { headers: { cookie: `darkroom_session=${session.value}` } });
    expect(await me.json()).toMatchObject({ accounts: true, user: { email: 'ana@example.org', role: 'user' }, credits: 100 });
    const stored = await server.services.store.db.selectFrom('sessions').select('token_hash').execute();
    expect(stored.map((s) => s.token_hash)).toContain(sha256(decodeURIComponent(session.value)));
    expect(JSON.stringify(stored)).not.toContain(session.value);
    await call('/api/v1/auth/logout', { method: 'POST', headers: { cookie: `darkroom_session=${session.value}` } });
    expect((await call('/api/v1/me', { headers: { cookie: `darkroom_session=${session.value}` } })).status).toBe(401);
  });

  it('refuses a wrong password with the same answer as an unknown email', async () => {
    const call = anonymous(server);
    const wrong = await call('/api/v1/auth/login', { method: 'POST', json: { email: 'ana@example.org', password: 'not the password' } });
    const unknown = await call('/api/v1/auth/login', { method: 'POST', json: { email: 'nobody@example.org', password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual(await unknown.json());
  });

  it('stores passwords as argon2id', async () => {
    const row = await server.services.store.db.selectFrom('users').select('password_hash').where('email', '=', 'ana@example.org').executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

describe('API keys', () => {
  it('are shown once with the dk_ prefix, stored hashed, listed without the secret, and revocable', async () => {
    const caller = await makeCaller(server, 'keys@example.org');
    const made = (await (await caller.fetch('/api/v1/me/keys', { method: 'POST' })).json()) as { id: string; key: string };
    expect(made.key).toMatch(/^dk_[A-Za-z0-9_-]{43}$/);
    const listed = (await (await caller.fetch('/api/v1/me/keys')).json()) as { keys: { id: string; hint: string }[] };
    expect(JSON.stringify(listed)).not.toContain(made.key);
    expect(listed.keys.find((k) => k.id === made.id)?.hint).toBe(`…${made.key.slice(-4)}`);
    const rows = await server.services.store.db.selectFrom('api_keys').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(made.key);
    const withKey = (key: string) => fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${key}` } });
    expect((await withKey(made.key)).status).toBe(200);
    expect((await caller.fetch(`/api/v1/me/keys/${made.id}`, { method: 'DELETE' })).status).toBe(204);
    const revoked = await withKey(made.key);
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

async function oauthSignIn(name: 'github' | 'google', grant: { subject: string; email: string; verified: boolean }) {
  const start = await fetch(`${server.url}/api/v1/auth/oauth/${name}`, { redirect: 'manual' });
  expect(start.status).toBe(302);
  const location = new URL(start.headers.get('location')!);
  expect(location.origin).toBe(providerUrl);
  expect(location.searchParams.get('client_id')).toBe(name === 'github' ? 'gh-id' : 'go-id');
  if (name === 'google') expect(location.searchParams.get('code_challenge_method')).toBe('S256');
  const state = location.searchParams.get('state')!;
  const code = `code-${Math.random().toString(36).slice(2)}`;
  codes.set(code, { provider: name, ...grant });
  const cookie = cookieOf(start, 'darkroom_oauth')!;
  return fetch(`${server.url}/api/v1/auth/oauth/${name}/callback?code=${code}&state=${state}`, { redirect: 'manual', headers: { cookie: `darkroom_oauth=${cookie.value}` } });
}

describe('OAuth', () => {
  it.each(['github', 'google'] as const)('signs in with %s and creates the account from the verified email', async (name) => {
    const done = await oauthSignIn(name, { subject: name === 'github' ? '4242' : 'g-4242', email: `${name}-user@example.org`, verified: true });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/');
    const session = cookieOf(done, 'darkroom_session')!;
    const me = (await (await fetch(`${server.url}/api/v1/me`, { headers: { cookie: `darkroom_session=${session.value}` } })).json()) as { user: { email: string } };
    expect(me.user.email).toBe(`${name}-user@example.org`);
    // The second sign-in finds the same account through the provider identity.
    const again = await oauthSignIn(name, { subject: name === 'github' ? '4242' : 'g-4242', email: 'changed@example.org', verified: true });
    const second = cookieOf(again, 'darkroom_session')!;
    const me2 = (await (await fetch(`${server.url}/api/v1/me`, { headers: { cookie: `darkroom_session=${second.value}` } })).json()) as { user: { email: string } };
    expect(me2.user.email).toBe(`${name}-user@example.org`);
  });

  it('sent the client secret to the token endpoint, and Google the PKCE verifier', () => {
    const github = seen.find((s) => s.path === '/login/oauth/access_token');
    const google = seen.find((s) => s.path === '/token');
    expect(github?.authorization).toBe(CLIENTS['/login/oauth/access_token']);
    expect(google?.authorization).toBe(CLIENTS['/token']);
    expect(google?.body).toMatch(/code_verifier=/);
  });

  it('refuses a callback whose state does not match', async () => {
    const start = await fetch(`${server.url}/api/v1/auth/oauth/github`, { redirect: 'manual' });
    const cookie = cookieOf(start, 'darkroom_oauth')!;
    codes.set('forged', { provider: 'github', subject: '1', email: 'x@example.org', verified: true });
    const forged = await fetch(`${server.url}/api/v1/auth/oauth/github/callback?code=forged&state=wrong`, { redirect: 'manual', headers: { cookie: `darkroom_oauth=${cookie.value}` } });
    expect(forged.status).toBe(302);
    expect(forged.headers.get('location')).toBe('/?signin_error=unverified&provider=github');
    expect(cookieOf(forged, 'darkroom_session')).toBeUndefined();
  });

  it('refuses an account without a verified email', async () => {
    const done = await oauthSignIn('google', { subject: 'g-unverified', email: 'unverified@example.org', verified: false });
    expect(done.headers.get('location')).toBe('/?signin_error=no_email&provider=google');
    expect(cookieOf(done, 'darkroom_session')).toBeUndefined();
  });

  it('does not hand a password account to whoever signs in with its address (no pre-registration takeover)', async () => {
    const registered = await anonymous(server)('/api/v1/auth/register', { method: 'POST', json: { email: 'victim@example.org', password: 'registered by someone else' } });
    expect(registered.status).toBe(201);
    const done = await oauthSignIn('github', { subject: 'victim-gh', email: 'victim@example.org', verified: true });
    expect(done.headers.get('location')).toBe('/?signin_error=has_password&provider=github');
    expect(cookieOf(done, 'darkroom_session')).toBeUndefined();
    const linked = await server.services.store.db.selectFrom('oauth_identities').select('subject').where('subject', '=', 'victim-gh').execute();
    expect(linked).toEqual([]);
  });

  it('sends a declined sign-in back to the studio, and one the provider fails to finish', async () => {
    const start = await fetch(`${server.url}/api/v1/auth/oauth/github`, { redirect: 'manual' });
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const headers = { cookie: `darkroom_oauth=${cookieOf(start, 'darkroom_oauth')!.value}` };
    const declined = await fetch(`${server.url}/api/v1/auth/oauth/github/callback?error=access_denied&state=${state}`, { redirect: 'manual', headers });
    expect(declined.headers.get('location')).toBe('/?signin_error=cancelled&provider=github');
    // A code the provider never issued: its token endpoint refuses it.
    const unknown = await fetch(`${server.url}/api/v1/auth/oauth/github/callback?code=never-issued&state=${state}`, { redirect: 'manual', headers });
    expect(unknown.headers.get('location')).toBe('/?signin_error=failed&provider=github');
    expect(cookieOf(unknown, 'darkroom_session')).toBeUndefined();
  });
});

describe('export', () => {
  it('includes the account, its keys without secrets, its credit history and its sign-in identities', async () => {
    const caller = await makeCaller(server, 'export@example.org', 'user', 40);
    const response = await caller.fetch('/api/v1/me/export');
    expect(response.status).toBe(200);
    const files = unzipSync(new Uint8Array(await response.arrayBuffer()));
    const text = new TextDecoder().decode(files['account.json']);
    const account = JSON.parse(text) as Record<string, any>;
    expect(account.account).toMatchObject({ id: caller.id, email: 'export@example.org', role: 'user' });
    expect(account.api_keys).toEqual([expect.objectContaining({ hint: caller.key.slice(-4), revoked_at: null })]);
    expect(account.credits.map((c: { amount: number }) => c.amount).reduce((a: number, b: number) => a + b, 0)).toBe(40);
    expect(account.sign_in_identities).toEqual([]);
    const stored = await server.services.store.db.selectFrom('users').select('password_hash').where('id', '=', caller.id).executeTakeFirstOrThrow();
    expect(text).not.toContain(stored.password_hash!);
    expect(text).not.toContain(caller.key);
  });
});

describe('image links', () => {
  it('gives OpenAI url responses links that open without a key, for that image only', async () => {
    const caller = await makeCaller(server, 'links@example.org');
    const response = await caller.fetch('/v1/images/generations', { method: 'POST', json: { prompt: 'a red circle', n: 2, size: '64x64', response_format: 'url' } });
    expect(response.status).toBe(200);
    const [first, second] = ((await response.json()) as { data: { url: string }[] }).data.map((d) => new URL(d.url));
    const image = await fetch(first!);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(100);

    // The second image's signature does not open the first.
    const swapped = new URL(first!);
    swapped.searchParams.set('signature', second!.searchParams.get('signature')!);
    expect((await fetch(swapped)).status).toBe(401);
    // Nor does a link reach anything but the image's bytes, or anyone else's images.
    const list = new URL(`${server.url}/api/v1/images${first!.search}`);
    expect((await fetch(list)).status).toBe(401);
    const other = await makeCaller(server, 'links-other@example.org');
    const theirs = new URL(first!);
    theirs.searchParams.set('owner', other.id);
    expect((await fetch(theirs)).status).toBe(401);
    // Deleting the image ends its links.
    const id = first!.pathname.split('/').at(-1)!;
    expect((await caller.fetch(`/api/v1/images/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(first!)).status).toBe(404);
  });
});

describe('serving', () => {
  it('lets anonymous callers reach only the public routes', async () => {
    const call = anonymous(server);
    expect((await call('/healthz')).status).toBe(200);
    expect((await call('/privacy')).status).toBe(200);
    expect((await call('/api/docs/json')).status).toBe(200);
    for (const path of ['/api/v1/jobs', '/api/v1/images', '/api/v1/models', '/v1/models', '/sdapi/v1/sd-models', '/api/v1/me/export']) {
      const response = await call(path);
      expect(response.status, path).toBe(401);
    }
  });
});

describe('encoded paths', () => {
  it('are refused to anonymous callers like the paths the router decodes them to', async () => {
    const caller = await makeCaller(server, 'encoded@example.org');
    const call = anonymous(server);
    for (const path of ['/%61pi/v1/models', '/%73dapi/v1/sd-models', '/%761/models', '/api/v1/%6de/export', '/%61pi/v1/images/x?signature=y&expires=1']) {
      expect((await call(path)).status, path).toBe(401);
    }
    // The router does take them to the API routes: a signed-in caller is answered.
    expect((await caller.fetch('/%61pi/v1/models')).status).toBe(200);
  });
});

describe('requests from other origins', () => {
  it("refuses a session's state-changing request sent by a page on another port, and takes it from the studio's own origin or with an API key", async () => {
    const caller = await makeCaller(server, 'origins@example.org');
    const login = await anonymous(server)('/api/v1/auth/login', { method: 'POST', headers: { origin: server.url }, json: { email: caller.email, password: 'correct horse battery' } });
    expect(login.status).toBe(200);
    const cookie = `darkroom_session=${cookieOf(login, 'darkroom_session')!.value}`;
    const { port } = new URL(server.url);
    for (const origin of [`http://127.0.0.1:${Number(port) + 1}`, `http://sub.localhost:${port}`, 'https://evil.example']) {
      const refused = await fetch(`${server.url}/api/v1/me/keys`, { method: 'POST', headers: { cookie, origin } });
      expect(refused.status, origin).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    }
    expect((await fetch(`${server.url}/api/v1/me/keys`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-site' } })).status).toBe(403);
    expect((await fetch(`${server.url}/api/v1/me/keys`, { method: 'POST', headers: { cookie, origin: server.url } })).status).toBe(201);
    expect((await caller.fetch('/api/v1/me/keys', { method: 'POST', headers: { origin: 'https://evil.example' } })).status).toBe(201);
  });
});

describe('sign-in slowdown per account', () => {
  let throttled: TestServer;
  let offset = 0;
  beforeAll(async () => {
    throttled = await startTestServer({ DARKROOM_AUTH: 'on', DARKROOM_RATE_LIMIT: '100000' }, { clock: { now: () => Date.now() + offset } });
    await makeCaller(throttled, 'target@example.org');
    await makeCaller(throttled, 'bystander@example.org');
  });
  afterAll(() => throttled.close());

  const login = (email: string, password: string) => anonymous(throttled)('/api/v1/auth/login', { method: 'POST', json: { email, password } });

  it('makes an account wait after repeated failures, whatever address they come from, and clears on success', async () => {
    // The anonymous rate limit is far away (100000 a minute): only the account's own count can refuse.
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await login('target@example.org', `guess ${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    const refused = await login('Target@Example.org', 'correct horse battery');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect((await login('bystander@example.org', 'correct horse battery')).status).toBe(200);
    offset += 1000;
    expect((await login('target@example.org', 'correct horse battery')).status).toBe(200);
    expect((await login('target@example.org', 'one more guess')).status).toBe(401);
    expect((await login('target@example.org', 'correct horse battery')).status).toBe(200);
  });

  it('slows unknown emails the same way, so it tells nothing about which exist', async () => {
    for (let i = 0; i < 6; i++) await login('nobody@example.org', `guess ${i}`);
    expect((await login('nobody@example.org', 'guess')).status).toBe(429);
  });
});
