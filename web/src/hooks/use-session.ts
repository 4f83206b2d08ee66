// Who is using the studio. With accounts off (or a server from before accounts) there is
// no one to sign in: the studio is the local owner's. With accounts on: signed in (the
// account and its credits) or signed out (the sign-in screen), and any 401 from the API
// later, such as an expired session, signs the studio out.

import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { ApiError, api, messageOf, onSignedOut } from '../api/client';
import type { AuthMethods, Me } from '../api/types';
import { takeSignInProblem } from '../lib/sign-in-problems';
import { forgetPrompts } from './use-params-state';

export type Session =
  | { status: 'loading' }
  | { status: 'off' }
  | { status: 'signed-out'; methods: AuthMethods; reason: string | null; /** Whose session ended, to fill in. */ email?: string }
  | { status: 'signed-in'; methods: AuthMethods; me: Me };

const OFF: AuthMethods = { accounts: false, signup: false, oauth: [] };
// Read once, as the studio loads: only the way back from a failed GitHub or Google sign-in carries one.
const returnedProblem = takeSignInProblem();

async function check(reason: string | null = null): Promise<Session> {
  let methods: AuthMethods;
  try {
    methods = await api.authMethods();
  } catch (error) {
    // A server from before accounts has no such route.
    if (!(ApiError.isInstance(error) && error.status === 404)) throw error;
    methods = OFF;
  }
  if (!methods.accounts) return { status: 'off' };
  try {
    return { status: 'signed-in', methods, me: await api.me() };
  } catch (error) {
    if (ApiError.isInstance(error) && error.status === 401) return { status: 'signed-out', methods, reason };
    throw error;
  }
}

export function useSession() {
  const [session, setSession] = useState<Session>({ status: 'loading' });
  const [error, setError] = useState<string | null>(null);
  // Whose prompts this tab holds: kept through an expired session, not handed to someone else.
  const lastUser = useRef<string | null>(null);

  const adopt = useCallback((next: Session) => {
    if (next.status === 'signed-in') {
      if (lastUser.current !== null && lastUser.current !== next.me.user.id) forgetPrompts();
      lastUser.current = next.me.user.id;
    }
    setSession(next);
    setError(null);
  }, []);

  const refresh = useCallback(
    async (reason: string | null = null) => {
      try {
        adopt(await check(reason));
      } catch (e) {
        setError(messageOf(e));
      }
    },
    [adopt],
  );

  /**
   * After the server accepted a sign-in: whether this browser now has a session (one that
   * refuses the cookie has none). A failure is thrown, for the sign-in form to show.
   */
  const signedIn = useCallback(async (): Promise<boolean> => {
    const next = await check();
    adopt(next);
    return next.status === 'signed-in';
  }, [adopt]);

  useEffect(() => {
    void refresh(returnedProblem);
  }, [refresh]);

  useEffect(
    () =>
      onSignedOut(() =>
        setSession((s) =>
          s.status === 'signed-in'
            ? { status: 'signed-out', methods: s.methods, reason: 'Your session has ended. Sign in again to carry on; what you typed is kept.', email: s.me.user.email }
            : s,
        ),
      ),
    [],
  );

  /** Reloads the balance (after a job); a failure here is not worth a message. */
  const refreshCredits = useCallback(() => {
    api.me().then(
      (me) => setSession((s) => (s.status === 'signed-in' ? { ...s, me } : s)),
      () => {},
    );
  }, []);

  const leave = useCallback((reason: string | null) => {
    forgetPrompts();
    lastUser.current = null;
    setSession((s) => (s.status === 'signed-in' ? { status: 'signed-out', methods: s.methods, reason } : s));
  }, []);

  const signOut = useCallback(async () => {
    await api.logout();
    leave(null);
  }, [leave]);

  /** After "delete everything": with accounts the account is gone too, so back to the sign-in. */
  const erased = useCallback(() => leave('Your account and everything in it were deleted.'), [leave]);

  return { session, error, refresh, signedIn, refreshCredits, signOut, erased };
}

/** Lets a page say "a job was queued or ended" so the header's balance follows, without threading props. */
export const CreditsRefresh = createContext<() => void>(() => {});
export const useCreditsRefresh = () => useContext(CreditsRefresh);
