// After a failed GitHub or Google sign-in the server sends the browser back to
// /?signin_error=<code>&provider=<name> (src/http/routes/auth.ts). Only known codes and
// providers are put into words, so a crafted link cannot put its own text on the page.

import type { OAuthProvider } from '../api/types';

export const PROVIDER_NAMES: Record<OAuthProvider, string> = { github: 'GitHub', google: 'Google' };

const MESSAGES: Record<string, (provider: string) => string> = {
  cancelled: (p) => `Sign-in with ${p} was cancelled.`,
  unverified: (p) => `The sign-in with ${p} could not be verified: it took too long, or was started in another browser. Please try again.`,
  failed: (p) => `${p} did not complete the sign-in. Please try again.`,
  no_email: (p) => `Your ${p} account has no verified email address. Verify one at ${p}, or sign in with email and password.`,
  has_password: (p) => `An account with your ${p} email address already exists here. Sign in with its password.`,
};

/** The sign-in problem the address reports, if any, in words; takes it out of the address bar. */
export function takeSignInProblem(): string | null {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('signin_error');
  if (code === null) return null;
  window.history.replaceState(null, '', window.location.pathname + window.location.hash);
  const provider = PROVIDER_NAMES[params.get('provider') as OAuthProvider];
  const message = MESSAGES[code];
  return provider && message ? message(provider) : 'The sign-in did not complete. Please try again.';
}
