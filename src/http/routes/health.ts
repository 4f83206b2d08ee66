// GET /healthz: liveness and readiness, cheap enough to poll.

import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.js';

export async function healthRoutes(app: FastifyInstance, context: HttpContext) {
  app.get('/healthz', { schema: { tags: ['service'], summary: 'Liveness and readiness' } }, async () => ({
    status: 'ok',
    version: context.version,
    uptime_s: Math.round(process.uptime()),
    ...(await context.health()),
  }));
}
