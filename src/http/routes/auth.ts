// Signing in and out (email and password, GitHub, Google), the caller's account, and their
// API keys. Only the sign-in routes are open to anonymous callers.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { OAuthProfile } from '../../accounts/oauth.js';
import { cookieOptions, SESSION_COOKIE } from '../../accounts/sessions.js';
import { userView, type UserRow } from '../../accounts/users.js';
import { DarkroomError } from '../../domain/errors.js';
import { identityOf } from '../auth.js';
import type { HttpContext } from '../context.js';
import { parse } from '../parse.js';

const Credentials = z.object({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024) });
const Provider = z.object({ provider: z.enum(['github', 'google']) });
const Callback = z.object({ code: z.string().min(1).max(2048), state: z.string().min(1).max(512) });
const KeyParams = z.object({ id: z.string().min(1).max(64) });
const OAUTH_COOKIE = 'darkroom_oauth';

/** Why an OAuth sign-in came back without one; the studio words each (web/src/lib/sign-in-problems.ts). */
type SignInProblem = 'cancelled' | 'unverified' | 'failed' | 'no_email' | 'has_password';

/** What the sign-in start left in its cookie; nothing usable if it was tampered with. */
function readOAuthCookie(value: string | undefined): { provider?: string; state?: string; verifier?: string } {
  try {
    const parsed: unknown = JSON.parse(value ?? '{}');
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

export async function authRoutes(app: FastifyInstance, context: HttpContext) {
  const { accounts } = context;
  const cookie = cookieOptions(accounts.secureCookies);

  async function startSession(reply: FastifyReply, userId: string) {
    const { token, expiresAt } = await accounts.sessions.create(userId);
    reply.setCookie(SESSION_COOKIE, token, { ...cookie, expires: new Date(expiresAt) });
  }

  function requireAccounts() {
    if (!accounts.enabled) throw new DarkroomError('not_found', 'Accounts are off on this server (DARKROOM_AUTH=off): there is nothing to sign in to');
  }

  app.get('/api/v1/auth/methods', { schema: { tags: ['accounts'], summary: 'How one signs in here (public)' } }, async () => ({
    accounts: accounts.enabled,
    signup: accounts.enabled && accounts.signupOpen,
    oauth: [...accounts.oauth.keys()],
  }));

  app.post('/api/v1/auth/register', { schema: { tags: ['accounts'], summary: 'Create an account (when sign-up is open)' } }, async (request, reply) => {
    requireAccounts();
    if (!accounts.signupOpen) throw new DarkroomError('forbidden', 'Sign-up is closed on this server; ask its administrator for an account');
    const { email, password } = parse(Credentials, request.body);
    const user = await accounts.accounts.create({ email, password });
    await startSession(reply, user.id);
    return reply.status(201).send({ user: userView(user) });
  });

  app.post('/api/v1/auth/login', { schema: { tags: ['accounts'], summary: 'Sign in with email and password (sets the session cookie)' } }, async (request, reply) => {
    requireAccounts();
    const { email, password } = parse(Credentials, request.body);
    accounts.loginThrottle.check(email);
    let user: UserRow;
    try {
      user = await accounts.users.verify(email, password);
    } catch (error) {
      if (DarkroomError.isInstance(error) && error.code === 'unauthorized') accounts.loginThrottle.failed(email);
      throw error;
    }
    accounts.loginThrottle.succeeded(email);
    await startSession(reply, user.id);
    return { user: userView(user) };
  });

  app.post('/api/v1/auth/logout', { schema: { tags: ['accounts'], summary: 'Sign out' } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await accounts.sessions.revoke(token);
    reply.clearCookie(SESSION_COOKIE, cookie);
    return reply.status(204).send();
  });

  app.get('/api/v1/auth/oauth/:provider', { schema: { tags: ['accounts'], summary: 'Sign in with GitHub or Google (redirects)' } }, async (request, reply) => {
    requireAccounts();
    const { provider } = parse(Provider, request.params);
    const client = accounts.oauth.get(provider);
    if (!client) throw new DarkroomError('not_found', `Sign-in with ${provider} is not set up on this server`);
    const { url, state, verifier } = client.start();
    reply.setCookie(OAUTH_COOKIE, JSON.stringify({ provider, state, verifier }), { ...cookie, maxAge: 600 });
    return reply.redirect(url);
  });

  app.get('/api/v1/auth/oauth/:provider/callback', { schema: { tags: ['accounts'], summary: 'Where the provider sends the user back' } }, async (request, reply) => {
    requireAccounts();
    const { provider } = parse(Provider, request.params);
    const saved = readOAuthCookie(request.cookies[OAUTH_COOKIE]);
    reply.clearCookie(OAUTH_COOKIE, cookie);
    // A browser lands here, so a failed sign-in goes back to the studio's sign-in screen with
    // a code it puts into words, not to a page of JSON.
    const back = (problem: SignInProblem) => {
      request.log.info({ provider, problem }, 'oauth sign-in failed');
      return reply.redirect(`/?signin_error=${problem}&provider=${provider}`);
    };
    // The provider sends `error` instead of a code when the user declines (RFC 6749 4.1.2.1).
    if ((request.query as Record<string, unknown>).error !== undefined) return back('cancelled');
    const callback = Callback.safeParse(request.query);
    const client = accounts.oauth.get(provider);
    // The state must come back unchanged in the same browser: otherwise this is a forged callback.
    if (!callback.success || !client || saved.provider !== provider || !saved.state || saved.state !== callback.data.state) return back('unverified');
    let profile: OAuthProfile;
    try {
      profile = await client.finish(callback.data.code, saved.verifier);
    } catch {
      return back('failed');
    }
    let user: UserRow;
    try {
      user = await accounts.accounts.signInWithOAuth(provider, profile);
    } catch (error) {
      // Its refusals: a new identity without a verified email address, or one whose address
      // belongs to a password account.
      if (DarkroomError.isInstance(error) && error.code === 'unauthorized') return back('no_email');
      if (DarkroomError.isInstance(error) && error.code === 'conflict') return back('has_password');
      throw error;
    }
    await startSession(reply, user.id);
    return reply.redirect('/');
  });

  app.get('/api/v1/me', { schema: { tags: ['accounts'], summary: 'The caller: account, role and credits' } }, async (request) => {
    const identity = identityOf(request);
    const user = await accounts.users.byId(identity.owner);
    return {
      accounts: accounts.enabled,
      user: user ? userView(user) : { id: identity.owner, email: null, role: identity.role },
      credits: accounts.enabled ? await accounts.ledger.balance(identity.owner) : null,
    };
  });

  app.get('/api/v1/me/keys', { schema: { tags: ['accounts'], summary: "The caller's API keys (never the secrets)" } }, async (request) => ({
    keys: await accounts.apiKeys.list(identityOf(request).owner),
  }));
  app.post('/api/v1/me/keys', { schema: { tags: ['accounts'], summary: 'Make an API key; its secret is shown this once' } }, async (request, reply) => {
    requireAccounts();
    return reply.status(201).send(await accounts.apiKeys.create(identityOf(request).owner));
  });
  app.delete('/api/v1/me/keys/:id', { schema: { tags: ['accounts'], summary: 'Revoke an API key' } }, async (request, reply) => {
    const { id } = parse(KeyParams, request.params);
    await accounts.apiKeys.revoke(identityOf(request).owner, id);
    return reply.status(204).send();
  });
}
