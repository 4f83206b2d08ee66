// The caller's API keys: the list (never the secrets: the last characters, when made,
// revoked or not), making one (its secret shown once), revoking one after a confirmation.

import { useEffect, useState } from 'react';
import { api, messageOf } from '../api/client';
import type { ApiKeyView } from '../api/types';
import { formatDate } from '../lib/time';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorNotice } from './ErrorNotice';
import { Icon } from './Icon';
import { NewApiKey } from './NewApiKey';

/** Active keys first, then the newest. */
const order = (a: ApiKeyView, b: ApiKeyView) => Number(a.revoked_at !== null) - Number(b.revoked_at !== null) || b.created_at.localeCompare(a.created_at);

export function ApiKeys() {
  const [keys, setKeys] = useState<ApiKeyView[] | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [making, setMaking] = useState(false);
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      setKeys((await api.apiKeys()).sort(order));
    } catch (e) {
      setError(messageOf(e));
    }
  };

  useEffect(() => {
    void load();
  }, []);

  const make = async () => {
    setMaking(true);
    setError(null);
    try {
      setSecret((await api.createApiKey()).key);
      await load();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setMaking(false);
    }
  };

  const revoke = async (key: ApiKeyView) => {
    setBusy(true);
    setError(null);
    try {
      await api.revokeApiKey(key.id);
      await load();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
      setRevoking(null);
    }
  };

  return (
    <section className="api-keys" aria-labelledby="api-keys-title">
      <div className="panel-head">
        <h3 id="api-keys-title">API keys</h3>
        <button type="button" className="button button-small" onClick={() => void make()} disabled={making}>
          <Icon name="key" size={16} /> {making ? 'Making a key…' : 'Make a new key'}
        </button>
      </div>
      <p className="hint">
        For scripts and other apps: send a key as <code>Authorization: Bearer dk_…</code>. A key acts as you and spends your credits.
      </p>
      {secret ? <NewApiKey secret={secret} onDone={() => setSecret(null)} /> : null}
      <ErrorNotice message={error} onDismiss={() => setError(null)} />
      {keys === null ? (
        error ? null : <p className="hint">Loading your keys…</p>
      ) : keys.length === 0 ? (
        <p className="hint">No keys yet.</p>
      ) : (
        <ul className="key-list" aria-label="Your API keys">
          {keys.map((key) => (
            <li key={key.id} className={key.revoked_at ? 'key-item revoked' : 'key-item'}>
              <code className="key-hint">{key.hint}</code>
              <span className="key-meta">Made {formatDate(key.created_at)}</span>
              {key.revoked_at ? (
                <span className="key-status">Revoked {formatDate(key.revoked_at)}</span>
              ) : (
                <button type="button" className="button button-small button-danger-quiet" onClick={() => setRevoking(key)} aria-label={`Revoke the key ending ${key.hint.replace(/^…/, '')}`}>
                  Revoke…
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke the key"
        busy={busy}
        onConfirm={() => revoking && void revoke(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <p>Scripts and apps that use the key ending {revoking?.hint.replace(/^…/, '')} stop working at once. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}
