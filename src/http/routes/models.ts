// GET /api/v1/models: installed models and what each can do; GET /api/v1/styles: presets.

import type { FastifyInstance } from 'fastify';
import { DIFFUSION_OPERATIONS } from '../../domain/job.js';
import { STYLE_PRESETS } from '../../engine/diffusion/styles.js';
import { folderSize } from '../../models/catalog.js';
import type { HttpContext } from '../context.js';

export async function modelRoutes(app: FastifyInstance, context: HttpContext) {
  app.get('/api/v1/models', { schema: { tags: ['models'], summary: 'Installed models, the operations each supports, and the image tools' } }, async () => ({
    tools: context.tools,
    models: await Promise.all(
      (await context.catalog.list()).map(async (m) => ({
        name: m.name,
        source: m.source,
        engine: m.engine,
        size_bytes: await folderSize(m.path),
        operations: [...DIFFUSION_OPERATIONS],
        ...(await context.describeModel(m)),
      })),
    ),
  }));
  app.get('/api/v1/styles', { schema: { tags: ['models'], summary: 'Style presets: prompt and negative-prompt templates' } }, async () => ({
    styles: STYLE_PRESETS.map(({ name, label, prompt, negative }) => ({ name, label, prompt, negative_prompt: negative })),
  }));
}
