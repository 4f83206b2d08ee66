// GET /api/v1/models: installed models and what each can do.

import type { FastifyInstance } from 'fastify';
import { OPERATIONS } from '../../domain/job.js';
import type { HttpContext } from '../context.js';

export async function modelRoutes(app: FastifyInstance, context: HttpContext) {
  app.get('/api/v1/models', { schema: { tags: ['models'], summary: 'Installed models and the operations each supports' } }, async () => ({
    models: (await context.catalog.list()).map((m) => ({
      name: m.name,
      source: m.source,
      engine: m.engine,
      size_bytes: m.sizeBytes,
      operations: [...OPERATIONS],
    })),
  }));
}
