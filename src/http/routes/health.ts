// GET /healthz: liveness and readiness, cheap enough to poll.

import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.js';

export async function healthRoutes(app: FastifyInstance, context: HttpContext) {
  // Monitors poll this from one address: it must not spend, or be refused for, the budget
  // anonymous callers share with the sign-in routes.
  app.get('/healthz', { schema: { tags: ['service'], summary: 'Liveness and readiness' }, config: { rateLimit: false } }, async () => ({
    status: 'ok',
    version: context.version,
    uptime_s: Math.round(process.uptime()),
    ...(await context.health()),
  }));
}
