// Who a request acts for. With accounts off, the local owner. With accounts on, the user of
// a valid API key (Authorization: Bearer dk_...) or session cookie; anyone else is
// anonymous and may reach only the public routes (health, privacy, sign-in, the studio).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import '@fastify/cookie';
import type { ApiKeyService } from '../accounts/api-keys.js';
import { LOCAL_OWNER, type Identity } from '../accounts/identity.js';
import type { ImageLinks } from '../accounts/image-links.js';
import { SESSION_COOKIE, type SessionService } from '../accounts/sessions.js';
import { DarkroomError } from '../domain/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    identity: Identity | null;
  }
}

export interface AuthContext {
  enabled: boolean;
  sessions: SessionService;
  apiKeys: ApiKeyService;
  imageLinks: ImageLinks;
}

/** Routes anyone may call with accounts on; every other API route needs a signed-in caller. */
const PUBLIC = [/^\/healthz$/, /^\/privacy$/, /^\/api\/docs(\/|$)/, /^\/api\/v1\/auth\//];
const API = /^\/(api|v1|sdapi)\//;
/** The one route a signed image link opens: the image's bytes. */
const IMAGE_ROUTE = '/api/v1/images/:id';

/** Whether a route (its pattern, as registered) is open to anonymous callers. */
export function isPublicPath(path: string): boolean {
  return PUBLIC.some((p) => p.test(path)) || !API.test(path);
}

/**
 * The path the sign-in check decides on: the pattern of the route the router chose. The raw
 * URL would not do: the router decodes it first, so "/%61pi/v1/models" reaches
 * /api/v1/models while looking like no API path at all. A request no route takes gets 404
 * whatever it is, so its raw path serves.
 */
function routePath(request: FastifyRequest): string {
  return request.routeOptions.url ?? request.url.split('?')[0]!;
}

export function installIdentity(app: FastifyInstance, auth: AuthContext) {
  app.decorateRequest('identity', null);
  app.addHook('onRequest', async (request) => {
    if (!auth.enabled) {
      request.identity = LOCAL_OWNER;
      return;
    }
    const header = request.headers.authorization;
    if (header) {
      const [scheme, token] = header.split(' ', 2);
      const user = scheme?.toLowerCase() === 'bearer' && token ? await auth.apiKeys.resolve(token.trim()) : undefined;
      if (!user) throw new DarkroomError('unauthorized', 'The API key is not valid (revoked, or mistyped)');
      request.identity = { owner: user.id, role: user.role, via: 'api-key' };
      return;
    }
    const path = routePath(request);
    const query = request.query as Record<string, string | undefined>;
    if (request.method === 'GET' && query.signature !== undefined && path === IMAGE_ROUTE) {
      const owner = auth.imageLinks.verify((request.params as { id: string }).id, query);
      if (!owner) throw new DarkroomError('unauthorized', 'This image link is not valid or has expired (links last an hour); ask for the image again');
      request.identity = { owner, role: 'user', via: 'image-link' };
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    const user = token ? await auth.sessions.resolve(token) : undefined;
    request.identity = user ? { owner: user.id, role: user.role, via: 'session' } : null;
    // Deny by default: a route that forgets to ask for an identity still gets no anonymous caller.
    if (!request.identity && !isPublicPath(path)) identityOf(request);
  });
}

/** The caller's identity, or 401. */
export function identityOf(request: FastifyRequest): Identity {
  if (!request.identity) throw new DarkroomError('unauthorized', 'Sign in, or send an API key as "Authorization: Bearer dk_..."');
  return request.identity;
}

export function requireAdmin(request: FastifyRequest): Identity {
  const identity = identityOf(request);
  if (identity.role !== 'admin') throw new DarkroomError('forbidden', 'This needs an administrator');
  return identity;
}
