// The caller's images: uploads in, bytes and thumbnails out, the gallery, save and delete.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DarkroomError } from '../../domain/errors.js';
import { ownerOf, type HttpContext } from '../context.js';
import { readMultipart } from '../multipart.js';
import { IdParams, parse } from '../parse.js';

// owner, expires and signature belong to a signed link (src/accounts/image-links.ts), checked before the route.
const ImageQuery = z.object({ thumb: z.enum(['0', '1', 'true', 'false']).optional() });
const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  kind: z.enum(['output', 'upload']).optional(),
});

export async function imageRoutes(app: FastifyInstance, context: HttpContext) {
  const { images, limits } = context;
  app.post('/api/v1/uploads', { schema: { tags: ['images'], summary: 'Upload an image (multipart, field "image")', consumes: ['multipart/form-data'] } }, async (request, reply) => {
    const { files } = await readMultipart(request, { maxFileBytes: limits.maxUploadBytes, maxFiles: 1 });
    const file = files.get('image') ?? files.get('file') ?? [...files.values()][0];
    if (!file) throw new DarkroomError('invalid_parameter', 'Expected an image file in the "image" field');
    return reply.status(201).send(await images.upload(ownerOf(request), file));
  });
  app.get('/api/v1/images', { schema: { tags: ['images'], summary: "The caller's gallery and history, newest first" } }, async (request) => {
    const query = parse(ListQuery, request.query);
    return { images: await images.list(ownerOf(request), { limit: query.limit, ...(query.kind ? { kind: query.kind } : {}) }) };
  });
  app.get('/api/v1/images/:id', { schema: { tags: ['images'], summary: 'The image bytes (PNG); ?thumb=1 for a WebP thumbnail' } }, async (request, reply) => {
    const { id } = parse(IdParams, request.params);
    const { thumb } = parse(ImageQuery, request.query);
    const owner = ownerOf(request);
    // Not kept in the browser's cache: a deleted or expired image must not outlive its row there.
    reply.header('Cache-Control', 'no-store');
    if (thumb === '1' || thumb === 'true') return reply.type('image/webp').send(await images.thumbnail(owner, id));
    const { row, data } = await images.bytes(owner, id);
    return reply.type(row.mime).send(data);
  });
  app.post('/api/v1/images/:id/save', { schema: { tags: ['images'], summary: 'Keep an image in the gallery (no automatic deletion)' } }, async (request) => {
    const { id } = parse(IdParams, request.params);
    return images.save(ownerOf(request), id);
  });
  app.delete('/api/v1/images/:id', { schema: { tags: ['images'], summary: 'Delete an image now' } }, async (request, reply) => {
    const { id } = parse(IdParams, request.params);
    await images.delete(ownerOf(request), id);
    return reply.status(204).send();
  });
}
