// The privacy page in force, and the caller's rights: export everything, erase everything.

import type { FastifyInstance } from 'fastify';
import { cookieOptions, SESSION_COOKIE } from '../../accounts/sessions.js';
import { RETENTION_CLASSES } from '../../privacy/retention.js';
import { RETENTION_LABELS } from '../../privacy/policy.js';
import { ownerOf, type HttpContext } from '../context.js';
import { escapeMarkup } from '../../domain/markup.js';

export async function privacyRoutes(app: FastifyInstance, context: HttpContext) {
  const { privacy } = context;
  app.get('/privacy', { schema: { tags: ['privacy'], summary: 'The privacy policy in force (HTML, or JSON with Accept: application/json)' } }, async (request, reply) => {
    const policy = privacy.policy();
    if ((request.headers.accept ?? '').includes('application/json')) return policy;
    const rows = RETENTION_CLASSES.map((k) => `<tr><th scope="row">${escapeMarkup(RETENTION_LABELS[k])}</th><td>${escapeMarkup(policy.retention[k])}</td></tr>`).join('');
    const promises = policy.promises.map((p) => `<li>${escapeMarkup(p)}</li>`).join('');
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Darkroom privacy policy</title></head><body><main>
<h1>Privacy policy</h1><p>Generated from the configuration this Darkroom server runs with.</p>
<h2>What is kept, and for how long</h2>
<table><thead><tr><th scope="col">Data</th><th scope="col">Kept for</th></tr></thead><tbody>${rows}</tbody></table>
<p>Expired data is hidden at once and erased by a purge that runs every ${escapeMarkup(policy.purge_interval)}.</p>
<h2>Promises</h2><ul>${promises}</ul>
<h2>Your data</h2><p>Download everything: <a href="/api/v1/me/export">/api/v1/me/export</a>. Erase everything: <code>DELETE /api/v1/me</code>, or the button on the studio's Privacy page.</p>
</main></body></html>`);
  });
  app.get('/api/v1/me/export', { schema: { tags: ['privacy'], summary: "A zip of everything Darkroom holds for the caller" } }, async (request, reply) => {
    const archive = await privacy.export(ownerOf(request));
    const name = `darkroom-export-${new Date().toISOString().slice(0, 10)}.zip`;
    return reply.type('application/zip').header('Content-Disposition', `attachment; filename="${name}"`).header('Cache-Control', 'no-store').send(archive);
  });
  app.delete('/api/v1/me', { schema: { tags: ['privacy'], summary: "Erase everything of the caller's, now" } }, async (request, reply) => {
    await privacy.erase(ownerOf(request));
    // The account's sessions went with it; the browser's cookie goes too.
    reply.clearCookie(SESSION_COOKIE, cookieOptions(context.accounts.secureCookies));
    return reply.status(204).send();
  });
}
