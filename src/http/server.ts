// The HTTP server: Fastify with the native API, the OpenAI- and AUTOMATIC1111-compatible
// APIs, OpenAPI docs at /api/docs, and one error format. Logs name the method, path and
// status of a request, never its body, query string, headers or the client's address, so
// prompts and IPs cannot reach them.

import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';
import { DarkroomError } from '../domain/errors.js';
import { installIdentity } from './auth.js';
import { installErrorHandling } from './errors.js';
import { installOriginGuard } from './origin-guard.js';
import { adminRoutes } from './routes/admin.js';
import { authRoutes } from './routes/auth.js';
import { a1111Routes } from './routes/a1111.js';
import { healthRoutes } from './routes/health.js';
import { imageRoutes } from './routes/images.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';
import { openAiRoutes } from './routes/openai.js';
import { privacyRoutes } from './routes/privacy.js';
import { studioRoutes } from './routes/studio.js';

export const STUDIO_CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export interface ServerOptions {
  /** A pino logger; none by default. */
  logger?: FastifyBaseLogger;
}

/** The only request and response details that are ever logged. */
export const logSerializers = {
  req: (req: { method?: string; url?: string; id?: string }) => ({ id: req.id, method: req.method, path: req.url?.split('?')[0] }),
  res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
};

export async function buildServer(context: HttpContext, options: ServerOptions = {}): Promise<FastifyInstance> {
  // Plugins log at trace level with request headers (cookies, forwarded addresses): drop them.
  const logger = options.logger?.child({}, { redact: { paths: ['headers', '*.headers', 'req.headers', 'req.remoteAddress', 'req.ip'], remove: true } });
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: context.limits.maxBodyBytes,
    // Never trust X-Forwarded-For by default: the address is not used anyway.
    trustProxy: false,
    // Shutting down does not wait for idle keep-alive or open event-stream connections.
    forceCloseConnections: true,
    genReqId: () => Math.random().toString(36).slice(2, 10),
  });
  // An empty JSON body (some clients send one with POST /sdapi/v1/interrupt) is no body.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('The request body is not valid JSON'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }), undefined);
    }
  });
  // Route schemas document the API; requests are parsed by the shared zod schemas instead.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  installErrorHandling(app);
  app.addHook('onSend', async (_request, reply, payload) => {
    // The studio may load nothing from any other origin: scripts, styles, images,
    // connections and frames are limited to this server (and data/blob URLs for images).
    // Routes with their own policy (the API docs page) keep it.
    if (!reply.hasHeader('content-security-policy')) reply.header('Content-Security-Policy', STUDIO_CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    return payload;
  });
  await app.register(fastifyCookie);
  installOriginGuard(app, context.origins);
  installIdentity(app, context.accounts);
  if (context.accounts.enabled) {
    // Per account; anonymous callers by a keyed hash of their address (never the address).
    await app.register(fastifyRateLimit, {
      max: context.accounts.rateLimit,
      timeWindow: 60_000,
      keyGenerator: async (request) => (request.identity ? `user:${request.identity.owner}` : `ip:${await context.accounts.ipHasher.hash(request.ip)}`),
      errorResponseBuilder: (_request, limit) =>
        Object.assign(new DarkroomError('rate_limited', `Too many requests: the limit is ${limit.max} a minute; try again in ${Math.ceil(limit.ttl / 1000)} s`), {
          retryAfter: Math.ceil(limit.ttl / 1000),
        }),
    });
  }
  await app.register(fastifyMultipart, { limits: { fileSize: context.limits.maxUploadBytes } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Darkroom API', version: context.version, description: 'Native API, OpenAI-compatible /v1 and AUTOMATIC1111-compatible /sdapi/v1.' },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs', staticCSP: true });
  for (const routes of [healthRoutes, authRoutes, adminRoutes, jobRoutes, imageRoutes, modelRoutes, privacyRoutes, openAiRoutes, a1111Routes]) {
    await app.register(async (scope) => routes(scope, context));
  }
  await app.register(async (scope) => studioRoutes(scope, context.webRoot));
  return app;
}
