// Administration: accounts and credits. An administrator looking at someone else's images
// is possible, and is written to the audit log every time.

import type { FastifyInstance } from 'fastify';
import { iso } from '../../domain/clock.js';
import { z } from 'zod';
import { userView } from '../../accounts/users.js';
import { DarkroomError } from '../../domain/errors.js';
import { requireAdmin } from '../auth.js';
import type { HttpContext } from '../context.js';
import { parse } from '../parse.js';

const NewUser = z.object({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024).optional(), role: z.enum(['admin', 'user']).default('user') });
const UserParams = z.object({ id: z.string().min(1).max(64) });
const Grant = z.object({ amount: z.number().int() });

export async function adminRoutes(app: FastifyInstance, context: HttpContext) {
  const { accounts, images } = context;
  const existing = async (id: string) => {
    const user = await accounts.users.byId(id);
    if (!user) throw new DarkroomError('not_found', `No account ${id}`);
    return user;
  };

  app.get('/api/v1/admin/users', { schema: { tags: ['admin'], summary: 'All accounts' } }, async (request) => {
    requireAdmin(request);
    const users = await accounts.users.list();
    return { users: await Promise.all(users.map(async (u) => ({ ...userView(u), credits: await accounts.ledger.balance(u.id) }))) };
  });
  app.post('/api/v1/admin/users', { schema: { tags: ['admin'], summary: 'Create an account' } }, async (request, reply) => {
    const admin = requireAdmin(request);
    const body = parse(NewUser, request.body);
    const user = await accounts.accounts.create({ email: body.email, role: body.role, ...(body.password ? { password: body.password } : {}) });
    await accounts.audit.record(admin.owner, 'user.create', user.id);
    return reply.status(201).send({ user: userView(user) });
  });
  app.delete('/api/v1/admin/users/:id', { schema: { tags: ['admin'], summary: 'Erase an account and everything in it' } }, async (request, reply) => {
    const admin = requireAdmin(request);
    const { id } = parse(UserParams, request.params);
    await existing(id);
    await accounts.accounts.remove(id);
    await accounts.audit.record(admin.owner, 'user.erase', id);
    return reply.status(204).send();
  });
  app.post('/api/v1/admin/users/:id/credits', { schema: { tags: ['admin'], summary: 'Grant (or, negative, take) credits' } }, async (request) => {
    const admin = requireAdmin(request);
    const { id } = parse(UserParams, request.params);
    const { amount } = parse(Grant, request.body);
    await existing(id);
    const balance = await accounts.ledger.grant(id, amount);
    await accounts.audit.record(admin.owner, 'credits.grant', id);
    return { balance };
  });
  app.get('/api/v1/admin/users/:id/images', { schema: { tags: ['admin'], summary: "An account's images (audited)" } }, async (request) => {
    const admin = requireAdmin(request);
    const { id } = parse(UserParams, request.params);
    await existing(id);
    await accounts.audit.record(admin.owner, 'images.read', id);
    return { images: await images.list(id, { limit: 500 }) };
  });
  app.get('/api/v1/admin/audit', { schema: { tags: ['admin'], summary: 'The audit log' } }, async (request) => {
    requireAdmin(request);
    const rows = await accounts.audit.list();
    return { entries: rows.map((r) => ({ actor: r.actor, action: r.action, target: r.target, at: iso(r.created_at) })) };
  });
}
