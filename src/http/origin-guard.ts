// Refuses requests a browser was tricked into sending, before anything else looks at them.
// DNS rebinding: a page whose name the attacker points at 127.0.0.1 talks to Darkroom as
// same-origin, but its requests carry the attacker's name in Host; with accounts off every
// request acts for the local owner, so only this server's own names are served. Cross-site
// requests: a state-changing request from a page of another origin (another port or
// subdomain of the same site sends the session cookie too) is refused. A request with an
// API key passes: no page can attach an Authorization header to a cross-origin request
// without CORS, which Darkroom never grants.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isLoopback } from '../config.js';
import { DarkroomError } from '../domain/errors.js';

export interface OriginPolicy {
  /** Serve any Host (accounts on: a rebound name carries no session cookie, so its requests are anonymous). */
  anyHost: boolean;
  /** Origins served besides loopback, whose pages may also send state-changing requests: the public URL and DARKROOM_ALLOWED_ORIGINS. */
  origins: readonly string[];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** A Host header as browsers send it: a name or IPv4 address, or a bracketed IPv6 address, and an optional port. */
const HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function installOriginGuard(app: FastifyInstance, policy: OriginPolicy) {
  // The default public URL of an IPv6 host ("http://::1:7860") is no URL; such a host is loopback anyway.
  const origins = new Set(policy.origins.filter((o) => URL.canParse(o)).map((o) => new URL(o).origin));
  const names = new Set([...origins].map((o) => new URL(o).hostname));
  const openAt = origins.values().next().value ?? 'http://127.0.0.1:7860';
  // Host headers already found served, so each request does not parse its Host again; a
  // refused one is never kept, so no caller can grow this.
  const served = new Set<string>();

  app.addHook('onRequest', async (request) => {
    const host = request.headers.host;
    if (!policy.anyHost && host !== undefined && !served.has(host)) {
      if (!hostServed(host, names)) {
        throw new DarkroomError(
          'host_not_allowed',
          `This server does not answer to the name ${JSON.stringify(host.slice(0, 100))}: open it at ${openAt} or another loopback address, or add the origin to DARKROOM_ALLOWED_ORIGINS`,
        );
      }
      if (served.size < 64) served.add(host);
    }
    checkOrigin(request);
  });

  function checkOrigin(request: FastifyRequest) {
    if (SAFE_METHODS.has(request.method) || hasApiKey(request)) return;
    const foreign = foreignOrigin(request, origins);
    if (foreign !== undefined) {
      throw new DarkroomError(
        'origin_not_allowed',
        `A request that changes something must come from this server's own pages, not from ${foreign}; scripts send an API key (Authorization: Bearer dk_...), and DARKROOM_ALLOWED_ORIGINS lets another origin's pages in`,
      );
    }
  }
}

/** Whether a Host header names this server: a loopback name or address (any port), or the host of an allowed origin. */
export function hostServed(host: string, names: ReadonlySet<string>): boolean {
  if (!HOST.test(host)) return false;
  let hostname: string;
  try {
    // The URL parser folds case and the other spellings of an address (127.1, 0x7f.0.0.1).
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return isLoopback(hostname.replace(/^\[(.*)\]$/, '$1')) || names.has(hostname);
}

function hasApiKey(request: FastifyRequest): boolean {
  return /^bearer\s+\S/i.test(request.headers.authorization ?? '');
}

/**
 * The foreign origin a request comes from, for the error message, or undefined when it comes
 * from this server's own origin (the one its Host names), an allowed origin, or no page at
 * all (scripts send neither Origin nor Sec-Fetch-Site).
 */
export function foreignOrigin(request: FastifyRequest, allowed: ReadonlySet<string>): string | undefined {
  const origin = request.headers.origin;
  if (origin === undefined) {
    // Browsers that leave Origin out still say where a request comes from; "same-site" is
    // another port or subdomain, which gets the cookie but is another origin.
    const site = request.headers['sec-fetch-site'];
    return site === 'cross-site' || site === 'same-site' ? `a ${site} page` : undefined;
  }
  if (!URL.canParse(origin)) return JSON.stringify(origin.slice(0, 100));
  const url = new URL(origin);
  if (allowed.has(url.origin)) return undefined;
  const host = request.headers.host;
  // Read with the origin's scheme, so a default port written out ("x:443") still matches.
  if (host !== undefined && HOST.test(host) && URL.canParse(`${url.protocol}//${host}`) && new URL(`${url.protocol}//${host}`).host === url.host) return undefined;
  return url.origin;
}
