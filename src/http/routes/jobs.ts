// The native job API: create, read, list, cancel, and follow a job's events.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { JobRequest } from '../../domain/job.js';
import { TERMINAL, type JobEvent } from '../../jobs/progress-bus.js';
import { ownerOf, type HttpContext } from '../context.js';
import { IdParams, parse } from '../parse.js';
import { openEventStream } from '../sse.js';

const EventsQuery = z.object({ preview: z.enum(['0', '1', 'true', 'false']).optional() });
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

export async function jobRoutes(app: FastifyInstance, context: HttpContext) {
  const { jobs } = context;
  app.post(
    '/api/v1/jobs',
    { schema: { tags: ['jobs'], summary: 'Queue a job', body: z.toJSONSchema(JobRequest, { io: 'input' }) } },
    async (request, reply) => {
      const spec = parse(JobRequest, request.body);
      const key = request.headers['idempotency-key'];
      const job = await jobs.create(ownerOf(request), spec, typeof key === 'string' && key.length > 0 ? { idempotencyKey: key.slice(0, 255) } : {});
      return reply.status(202).header('Location', `/api/v1/jobs/${job.id}`).send(job);
    },
  );
  // Jobs hold prompts: no cache (the browser's, a proxy's) may keep a copy.
  app.get('/api/v1/jobs', { schema: { tags: ['jobs'], summary: "The caller's recent jobs (?limit=, default 50, at most 500)" } }, async (request, reply) => {
    const { limit } = parse(ListQuery, request.query);
    reply.header('Cache-Control', 'no-store');
    return { jobs: await jobs.list(ownerOf(request), limit) };
  });
  app.get('/api/v1/jobs/:id', { schema: { tags: ['jobs'], summary: 'A job: status, parameters, images' } }, async (request, reply) => {
    const { id } = parse(IdParams, request.params);
    reply.header('Cache-Control', 'no-store');
    return jobs.view(ownerOf(request), id);
  });
  app.delete('/api/v1/jobs/:id', { schema: { tags: ['jobs'], summary: 'Cancel a job' } }, async (request) => {
    const { id } = parse(IdParams, request.params);
    return jobs.cancel(ownerOf(request), id);
  });
  app.get(
    '/api/v1/jobs/:id/events',
    { schema: { tags: ['jobs'], summary: 'Server-sent events: queued, started, progress, done, failed, cancelled; ?preview=1 adds preview images' } },
    async (request, reply) => {
      const { id } = parse(IdParams, request.params);
      const { preview } = parse(EventsQuery, request.query);
      const withPreviews = preview === '1' || preview === 'true';
      const owner = ownerOf(request);
      // Followed before the stream opens, so an unknown job is an ordinary JSON 404; what
      // arrives meanwhile waits in `early`.
      const early: JobEvent[] = [];
      let deliver = (event: JobEvent) => void early.push(event);
      const unsubscribe = await jobs.follow(owner, id, (event) => deliver(event), { previews: withPreviews });
      const stream = openEventStream(request, reply);
      deliver = (event) => {
        const { type, ...data } = event;
        if (type === 'progress' && !withPreviews && 'preview' in data) delete (data as { preview?: string }).preview;
        stream.send(type, { job: id, ...data });
        if (TERMINAL.has(type)) queueMicrotask(() => stream.end());
      };
      for (const event of early) deliver(event);
      stream.onClose(unsubscribe);
    },
  );
}
