// Sign in with email and password, create an account when the server lets anyone, or sign
// in with GitHub or Google (a plain link: the server redirects there and back to /).

import { useId, useRef, useState, type FormEvent } from 'react';
import { api, messageOf } from '../api/client';
import type { AuthMethods, OAuthProvider } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { PasswordInput } from '../components/PasswordInput';
import { isNarrow } from '../lib/platform';
import { PROVIDER_NAMES } from '../lib/sign-in-problems';

/** The server's rule (src/accounts/passwords.ts), checked here first to save a round trip. */
const MIN_PASSWORD = 10;

/** The server said yes and set its cookie, yet the next request came without it. */
const NO_SESSION = 'Your email and password were accepted, but this browser did not keep the session. Allow cookies for this site (the studio sets one, for the session), then sign in again.';

interface Props {
  methods: AuthMethods;
  /** Why the sign-in is shown again (session ended, account deleted), if it is. */
  reason: string | null;
  /** Filled in when the same person signs in again. */
  email: string;
  /** Whether a session resulted from the server's yes. */
  onSignedIn: () => Promise<boolean>;
}

export function SignInPage({ methods, reason, email: knownEmail, onSignedIn }: Props) {
  const id = useId();
  const [mode, setMode] = useState<'sign-in' | 'register'>('sign-in');
  const [email, setEmail] = useState(knownEmail);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<{ message: string; field: 'email' | 'password' | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const register = mode === 'register' && methods.signup;

  const fail = (message: string, field: 'email' | 'password' | null) => {
    setError({ message, field });
    (field === 'password' ? passwordRef : emailRef).current?.focus();
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const address = email.trim();
    if (!address) return fail('Enter your email address.', 'email');
    if (!/^[^\s@]+@[^\s@]+$/.test(address)) return fail(`“${address}” does not look like an email address.`, 'email');
    if (!password) return fail('Enter your password.', 'password');
    if (register && password.length < MIN_PASSWORD) return fail(`Choose a password of at least ${MIN_PASSWORD} characters.`, 'password');
    setBusy(true);
    setError(null);
    try {
      await (register ? api.register(address, password) : api.login(address, password));
      if (!(await onSignedIn())) setError({ message: NO_SESSION, field: null });
    } catch (e) {
      setError({ message: messageOf(e), field: null });
    } finally {
      setBusy(false);
    }
  };

  const switchMode = () => {
    setMode(register ? 'sign-in' : 'register');
    setError(null);
    emailRef.current?.focus();
  };

  const invalid = (field: 'email' | 'password') => (error?.field === field ? true : undefined);
  const describedBy = (field: 'email' | 'password', hint?: string) =>
    [hint, error && (error.field === field || error.field === null) ? `${id}-error` : undefined].filter(Boolean).join(' ') || undefined;

  return (
    <div className="signin">
      <section className="panel signin-card" aria-labelledby="signin-title">
        <h1 id="signin-title" tabIndex={-1}>
          {register ? 'Create your account' : 'Sign in to Darkroom'}
        </h1>
        <p className="page-intro">{register ? 'Your images and prompts are yours alone on this server.' : 'Your private image studio on this server.'}</p>
        {reason ? (
          <p className="notice" role="status">
            {reason}
          </p>
        ) : null}
        <form className="signin-form" onSubmit={(event) => void submit(event)} noValidate aria-label={register ? 'Create an account' : 'Sign in'}>
          <div className="field">
            <label htmlFor={`${id}-email`}>Email</label>
            <input
              ref={emailRef}
              id={`${id}-email`}
              className="input"
              type="email"
              name="email"
              autoComplete={register ? 'email' : 'username'}
              inputMode="email"
              autoCapitalize="none"
              spellCheck={false}
              autoFocus={!isNarrow() && !knownEmail}
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              aria-invalid={invalid('email')}
              aria-describedby={describedBy('email')}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-password`}>Password</label>
            <PasswordInput
              autoFocus={!isNarrow() && Boolean(knownEmail)}
              inputRef={passwordRef}
              id={`${id}-password`}
              value={password}
              onChange={setPassword}
              autoComplete={register ? 'new-password' : 'current-password'}
              invalid={invalid('password')}
              describedBy={describedBy('password', register ? `${id}-password-hint` : undefined)}
            />
            {register ? (
              <p className="hint" id={`${id}-password-hint`}>
                At least {MIN_PASSWORD} characters. A short sentence is easy to remember.
              </p>
            ) : null}
          </div>
          <ErrorNotice id={`${id}-error`} message={error?.message ?? null} />
          <button type="submit" className="button button-primary button-wide" disabled={busy}>
            {busy ? (register ? 'Creating your account…' : 'Signing in…') : register ? 'Create account' : 'Sign in'}
          </button>
        </form>
        {methods.oauth.length ? (
          <div className="signin-oauth">
            <p className="divider">
              <span>or</span>
            </p>
            {methods.oauth.map((provider) => (
              <a key={provider} className="button button-wide" href={`/api/v1/auth/oauth/${provider}`}>
                {register ? 'Sign up' : 'Sign in'} with {PROVIDER_NAMES[provider] ?? provider}
              </a>
            ))}
          </div>
        ) : null}
        <p className="signin-switch">
          {methods.signup ? (
            <>
              {register ? 'Have an account already?' : 'New here?'}{' '}
              <button type="button" className="link-button" onClick={switchMode}>
                {register ? 'Sign in' : 'Create an account'}
              </button>
            </>
          ) : (
            <span className="hint">Accounts on this server are made by its administrator.</span>
          )}
        </p>
      </section>
    </div>
  );
}
