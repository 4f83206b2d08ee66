// The signed-in account on the account & privacy page: who, the credits left, and the API
// keys.

import type { Me } from '../api/types';
import { ApiKeys } from './ApiKeys';

export function AccountPanel({ me }: { me: Me }) {
  return (
    <section className="panel account-panel" aria-labelledby="account-title">
      <h2 className="section-title" id="account-title">
        Your account
      </h2>
      <div className="account-columns">
        <dl className="account-facts">
          <div>
            <dt>Email</dt>
            <dd>{me.user.email}</dd>
          </div>
          <div>
            <dt>Credits</dt>
            <dd>
              <span className="account-balance">{me.credits}</span>
              <span className="hint">Each image costs credits; a job that fails or is cancelled costs none.</span>
            </dd>
          </div>
          {me.user.role === 'admin' ? (
            <div>
              <dt>Role</dt>
              <dd>Administrator</dd>
            </div>
          ) : null}
        </dl>
        <ApiKeys />
      </div>
    </section>
  );
}
