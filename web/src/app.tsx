// The studio's frame: the header (the pages, and the account when accounts are on), the
// sign-in screen for a signed-out caller, or the pages themselves.

import { useEffect, useRef, useState } from 'react';
import { messageOf } from './api/client';
import { AccountBar } from './components/AccountBar';
import { ErrorNotice } from './components/ErrorNotice';
import { PageNav } from './components/PageNav';
import { useHashRoute } from './hooks/use-hash-route';
import { CreditsRefresh, useSession } from './hooks/use-session';
import { pagesFor } from './lib/pages';
import { SignInPage } from './pages/SignInPage';
import { Studio } from './studio';

const noop = () => {};

export function App() {
  const route = useHashRoute();
  const { session, error, refresh, signedIn, refreshCredits, signOut, erased } = useSession();
  const [signOutError, setSignOutError] = useState<string | null>(null);
  const accounts = session.status === 'signed-in' || session.status === 'signed-out';
  const pages = pagesFor(accounts);
  const showPages = session.status === 'off' || session.status === 'signed-in';

  // Signing in or out replaces the whole page: put the focus at its start (unless the
  // sign-in form already took it for one of its fields).
  const shownStatus = useRef(session.status);
  useEffect(() => {
    const previous = shownStatus.current;
    shownStatus.current = session.status;
    if (previous === 'signed-out' && session.status === 'signed-in') document.getElementById('main')?.focus();
    if (previous === 'signed-in' && session.status === 'signed-out' && document.activeElement === document.body) document.getElementById('signin-title')?.focus();
  }, [session.status]);

  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          // Not a route: move the focus instead of changing the hash.
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to the page
      </a>
      <header className={session.status === 'signed-in' ? 'app-header has-account' : 'app-header'}>
        <a className="brand" href="#/create" aria-label="Darkroom, home">
          <span className="brand-mark" aria-hidden="true" />
          <span>Darkroom</span>
        </a>
        {showPages ? <PageNav pages={pages} route={route} /> : null}
        {session.status === 'signed-in' ? (
          <AccountBar
            me={session.me}
            onSignOut={async () => {
              setSignOutError(null);
              try {
                await signOut();
              } catch (e) {
                setSignOutError(`Could not sign out: ${messageOf(e)}`);
              }
            }}
          />
        ) : null}
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        <ErrorNotice message={signOutError} onDismiss={() => setSignOutError(null)} />
        {error ? (
          <ErrorNotice message={`Cannot start the studio: ${error}`}>
            <div className="button-row">
              <button type="button" className="button" onClick={() => void refresh()}>
                Try again
              </button>
            </div>
          </ErrorNotice>
        ) : null}
        {session.status === 'signed-out' ? (
          <SignInPage methods={session.methods} reason={session.reason} email={session.email ?? ''} onSignedIn={signedIn} />
        ) : showPages ? (
          <CreditsRefresh.Provider value={session.status === 'signed-in' ? refreshCredits : noop}>
            <Studio
              route={route}
              pages={pages}
              account={session.status === 'signed-in' ? session.me : null}
              onErased={session.status === 'signed-in' ? erased : noop}
            />
          </CreditsRefresh.Provider>
        ) : null}
      </main>
      <footer className="app-footer">
        <p>
          Darkroom runs on this {accounts ? 'server' : 'machine'}. Nothing here is loaded from, or sent to, anywhere else. <a href="/api/docs">API</a>
        </p>
      </footer>
    </>
  );
}
