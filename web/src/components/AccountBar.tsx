// The signed-in account in the header: who (email), the credits left, and Sign out. The
// email and balance lead to the account page; on a phone Sign out is an icon alone.

import { useState } from 'react';
import type { Me } from '../api/types';
import { Icon } from './Icon';

export function AccountBar({ me, onSignOut }: { me: Me; onSignOut: () => Promise<void> }) {
  const [leaving, setLeaving] = useState(false);
  const credits = `${me.credits} credit${me.credits === 1 ? '' : 's'}`;
  return (
    <div className="account">
      <a className="account-who" href="#/privacy" title="Your account and API keys">
        <span className="account-email">{me.user.email}</span>
        <span className={me.credits > 0 ? 'account-credits' : 'account-credits empty'}>{credits}</span>
      </a>
      <button
        type="button"
        className="button button-small button-quiet account-signout"
        aria-label="Sign out"
        title="Sign out"
        disabled={leaving}
        onClick={async () => {
          setLeaving(true);
          try {
            await onSignOut();
          } finally {
            setLeaving(false);
          }
        }}
      >
        <Icon name="signout" size={16} />
        <span className="account-signout-text">Sign out</span>
      </button>
    </div>
  );
}
