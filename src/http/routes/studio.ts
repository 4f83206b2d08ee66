// The web studio: the built files of web/ served from /, or, when they have not been
// built, a page that says how to build them.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Darkroom</title>
<body><h1>Darkroom</h1>
<p>The web studio has not been built. Run <code>npm start</code> (or <code>npm run build:web</code>), then reload.</p>
<p>The API is running: <a href="/api/docs">/api/docs</a>.</p></body></html>`;

export async function studioRoutes(app: FastifyInstance, webRoot: string | undefined) {
  if (webRoot && existsSync(join(webRoot, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: webRoot,
      prefix: '/',
      index: ['index.html'],
      // Vite names built assets by content hash: they never change, so browsers may keep them.
      setHeaders: (res, path) => res.header('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
    return;
  }
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT));
}
