// Privacy: the policy in force (from the server's /privacy), what the studio itself keeps,
// and the caller's rights: export everything, delete everything. With accounts on, the
// account and its API keys come first.

import { useEffect, useState } from 'react';
import { ApiError, api, messageOf } from '../api/client';
import type { Me, PrivacyPolicy } from '../api/types';
import { AccountPanel } from '../components/AccountPanel';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice } from '../components/ErrorNotice';
import { Icon } from '../components/Icon';
import { clearStoredPreferences } from '../hooks/use-stored-state';
import { describeDuration } from '../lib/time';

const CLASSES: { key: string; label: string; what: string }[] = [
  { key: 'prompts', label: 'Prompts', what: 'what you typed, and negative prompts' },
  { key: 'uploads', label: 'Uploads', what: 'images and masks you send for editing' },
  { key: 'outputs', label: 'Unsaved images', what: 'results you have not saved' },
  { key: 'saved', label: 'Saved images', what: 'results you chose to keep' },
  { key: 'usage', label: 'Usage records', what: 'job settings without prompts, and purge runs' },
  { key: 'audit', label: 'Audit records', what: 'administrators’ actions and moderation decisions: categories and hashes, never text; erasing everything keeps them for this window' },
];

function download(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function PrivacyPage({ account, onErased }: { account: Me | null; onErased: () => void }) {
  const [policy, setPolicy] = useState<PrivacyPolicy | null>(null);
  const [policyError, setPolicyError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [erasing, setErasing] = useState(false);
  const [eraseError, setEraseError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [forgotten, setForgotten] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api.privacy().then(
      (p) => live && setPolicy(p),
      (e: unknown) => {
        if (!live) return;
        setPolicyError(ApiError.isInstance(e) && e.status === 404 ? 'This server does not publish its privacy policy yet.' : messageOf(e));
      },
    );
    return () => {
      live = false;
    };
  }, []);

  const exportData = async () => {
    setExporting(true);
    setExportError(null);
    setStatus(null);
    try {
      const { blob, name } = await api.exportMyData();
      download(blob, name);
      setStatus(`Your archive (${Math.max(1, Math.round(blob.size / 1024))} KB) is downloading.`);
    } catch (e) {
      setExportError(messageOf(e));
    } finally {
      setExporting(false);
    }
  };

  const erase = async () => {
    setErasing(true);
    setEraseError(null);
    try {
      await api.deleteMe();
      setConfirming(false);
      setStatus('Everything you had on this server was deleted.');
      onErased();
    } catch (e) {
      setConfirming(false);
      setEraseError(messageOf(e));
    } finally {
      setErasing(false);
    }
  };

  return (
    <div className={account ? 'privacy has-account' : 'privacy'}>
      {account ? <AccountPanel me={account} /> : null}
      <div className="privacy-side">
        <section className="panel rights-panel" aria-labelledby="rights-title">
          <h2 className="section-title" id="rights-title">
            Your data
          </h2>
          {status ? (
            <p className="notice notice-ok" role="status">
              {status}
            </p>
          ) : null}
          <div className="rights">
            <div className="right">
              <h3>Export my data</h3>
              <p className="hint">One zip file with your images, uploads, prompts that are still kept and job records{account ? ", and your account: sign-ins, API keys (without their secrets), credits and moderation records" : ""}.</p>
              <button type="button" className="button" onClick={() => void exportData()} disabled={exporting}>
                <Icon name="download" size={16} /> {exporting ? 'Preparing the archive…' : 'Export my data'}
              </button>
              <ErrorNotice message={exportError} onDismiss={() => setExportError(null)} />
            </div>
            <div className="right danger-zone">
              <h3>Delete everything</h3>
              <p className="hint">
                Erases {account ? 'your account, ' : ''}all your images (saved ones too), uploads, prompts and jobs from this server, now. This cannot be undone.
              </p>
              <button type="button" className="button button-danger" onClick={() => setConfirming(true)}>
                <Icon name="trash" size={16} /> Delete everything…
              </button>
              <ErrorNotice message={eraseError} onDismiss={() => setEraseError(null)} />
            </div>
          </div>
        </section>
        <section className="panel studio-panel" aria-labelledby="studio-title">
          <h2 className="section-title" id="studio-title">
            This studio
          </h2>
          <ul className="promises">
            <li>
              <Icon name="check" size={16} />
              <span>Loads nothing from any other site: no web fonts, CDNs, analytics or trackers.</span>
            </li>
            <li>
              <Icon name="check" size={16} />
              <span>
                {account ? 'Uses cookies only to sign you in; scripts cannot read them and they go only to this server.' : 'Sets no cookies.'} Your settings (size, steps, brush size, gallery
                view) stay in this browser; the prompts you type only until you close the tab{account ? ' or sign out' : ''}.
              </span>
            </li>
          </ul>
          <button
            type="button"
            className="button button-small button-quiet"
            onClick={() => setForgotten(`Forgot ${clearStoredPreferences()} saved studio settings in this browser; reload to start fresh.`)}
          >
            Forget my settings in this browser
          </button>
          {forgotten ? (
            <p className="hint hint-ok" role="status">
              {forgotten}
            </p>
          ) : null}
        </section>
      </div>
      <section className="panel policy-panel" aria-labelledby="policy-title">
        <h2 className="section-title" id="policy-title">
          What this server keeps, and for how long
        </h2>
        <ErrorNotice message={policyError} />
        {policy ? (
          <>
            <table className="retention-table">
              <thead>
                <tr>
                  <th scope="col">Data</th>
                  <th scope="col">Kept for</th>
                </tr>
              </thead>
              <tbody>
                {CLASSES.filter((c) => policy.retention[c.key] !== undefined).map((c) => (
                  <tr key={c.key}>
                    <th scope="row">
                      {c.label}
                      <span className="hint">{c.what}</span>
                    </th>
                    <td>{describeDuration(policy.retention[c.key]!)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="hint">
              Expired items disappear at once and are erased from storage within {describeDuration(policy.purge_interval)} after that.
            </p>
            {policy.promises.length ? (
              <h3 className="promises-title">Darkroom’s promises</h3>
            ) : null}
            {policy.promises.length ? (
              <ul className="promises">
                {policy.promises.map((promise) => (
                  <li key={promise}>
                    <Icon name="check" size={16} />
                    <span>{promise}</span>
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        ) : !policyError ? (
          <p className="hint">Loading the policy…</p>
        ) : null}
        <p>
          <a href="/privacy" target="_blank" rel="noopener" className="link">
            Read the full policy <Icon name="external" size={14} />
          </a>
        </p>
      </section>

      <ConfirmDialog open={confirming} title="Delete everything?" confirmLabel="Yes, delete everything" busy={erasing} onConfirm={() => void erase()} onCancel={() => setConfirming(false)}>
        <p>
          {account ? 'Your account, all' : 'All'} your images, including saved ones, your uploads, prompts and job history will be erased from this server. There is no undo.
        </p>
        <p className="hint">Tip: export your data first if you want a copy.</p>
      </ConfirmDialog>
    </div>
  );
}
