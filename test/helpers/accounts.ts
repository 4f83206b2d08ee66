// A server with accounts on, and signed-in callers for tests.

import type { AppOptions } from '../../src/app.js';
import { startTestServer, type TestServer } from './server.js';

export interface Caller {
  email: string;
  id: string;
  key: string;
  /** fetch with this caller's API key. */
  fetch(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
}

export async function startAccountsServer(env: NodeJS.ProcessEnv = {}, options: AppOptions = {}): Promise<TestServer> {
  return startTestServer({ DARKROOM_AUTH: 'on', DARKROOM_RATE_LIMIT: '100000', ...env }, options);
}

export function anonymous(server: TestServer) {
  return (path: string, init: RequestInit & { json?: unknown } = {}) => call(server, undefined, path, init);
}

function call(server: TestServer, key: string | undefined, path: string, init: RequestInit & { json?: unknown }) {
  const { json, headers, ...rest } = init;
  return fetch(server.url + path, {
    ...rest,
    headers: {
      ...(headers as Record<string, string>),
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
}

export async function makeCaller(server: TestServer, email: string, role: 'admin' | 'user' = 'user', credits?: number): Promise<Caller> {
  const { accounts, http } = server.services;
  const user = await accounts.create({ email, password: 'correct horse battery', role });
  if (credits !== undefined) {
    const balance = await server.services.ledger.balance(user.id);
    if (credits !== balance) await server.services.ledger.grant(user.id, credits - balance);
  }
  const { key } = await http.accounts.apiKeys.create(user.id);
  return { email, id: user.id, key, fetch: (path, init = {}) => call(server, key, path, init) };
}
