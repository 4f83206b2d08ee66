// Credits with accounts on: one Idempotency-Key charges once however many times it is
// sent at once, and is refused (422) with a different request; the balance never goes
// below zero; every ledger transaction sums to zero; failed and cancelled jobs get their
// hold back.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCaller, startAccountsServer, type Caller } from './helpers/accounts.js';
import type { TestServer } from './helpers/server.js';
import { waitForJob } from './helpers/wait.js';

let server: TestServer;
beforeAll(async () => {
  server = await startAccountsServer({ DARKROOM_COSTS: 'txt2img=2' });
});
afterAll(() => server.close());

/** Waits until the caller's job ends with `status`. */
function settled(caller: Caller, id: string, status: 'done' | 'failed' | 'cancelled' = 'done') {
  return waitForJob(server.url, id, { init: { headers: { authorization: `Bearer ${caller.key}` } }, status });
}

async function balance(caller: Caller): Promise<number> {
  return ((await (await caller.fetch('/api/v1/me')).json()) as { credits: number }).credits;
}

async function ledgerBalanced() {
  const rows = await server.services.store.db.selectFrom('ledger').select(['transaction_id', 'amount']).execute();
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(row.transaction_id, (sums.get(row.transaction_id) ?? 0) + Number(row.amount));
  return { transactions: sums.size, unbalanced: [...sums.values()].filter((s) => s !== 0).length };
}

const job = { operation: 'txt2img', prompt: 'a green triangle', steps: 3 };

describe('credits', () => {
  it('charges once for concurrent requests with one Idempotency-Key', async () => {
    const caller = await makeCaller(server, 'idem@example.org', 'user', 10);
    const send = () => caller.fetch('/api/v1/jobs', { method: 'POST', json: job, headers: { 'idempotency-key': 'retry-me-42' } });
    const answers = await Promise.all(Array.from({ length: 8 }, send));
    const ids = await Promise.all(answers.map(async (r) => ((await r.json()) as { id: string }).id));
    expect(new Set(ids).size).toBe(1);
    expect(answers.every((r) => r.status === 202)).toBe(true);
    await settled(caller, ids[0]!);
    expect(await balance(caller)).toBe(8);
    const other = await caller.fetch('/api/v1/jobs', { method: 'POST', json: job, headers: { 'idempotency-key': 'another' } });
    expect(((await other.json()) as { id: string }).id).not.toBe(ids[0]);
  });

  it('refuses an Idempotency-Key sent again with a different request, and still answers the same one', async () => {
    const caller = await makeCaller(server, 'reuse@example.org', 'user', 10);
    const send = (body: object) => caller.fetch('/api/v1/jobs', { method: 'POST', json: body, headers: { 'idempotency-key': 'reuse-me' } });
    const first = (await (await send(job)).json()) as { id: string };
    for (const changed of [{ ...job, prompt: 'a blue square' }, { ...job, steps: 4 }]) {
      const refused = await send(changed);
      expect(refused.status).toBe(422);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    }
    const again = await send(job);
    expect(again.status).toBe(202);
    expect(((await again.json()) as { id: string }).id).toBe(first.id);
    await settled(caller, first.id);
    expect(await balance(caller)).toBe(8);
  });

  it('never lets the balance go below zero', async () => {
    const caller = await makeCaller(server, 'poor@example.org', 'user', 5);
    const answers = await Promise.all(Array.from({ length: 6 }, () => caller.fetch('/api/v1/jobs', { method: 'POST', json: job })));
    const accepted = answers.filter((r) => r.status === 202);
    const refused = answers.filter((r) => r.status === 402);
    expect(accepted).toHaveLength(2);
    expect(refused).toHaveLength(4);
    expect(((await refused[0]!.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'insufficient_credits', message: expect.stringMatching(/costs 2 credits/) });
    for (const r of accepted) await settled(caller, ((await r.json()) as { id: string }).id);
    expect(await balance(caller)).toBe(1);
  });

  it('releases the hold of a cancelled job and of a failed one', async () => {
    const caller = await makeCaller(server, 'refund@example.org', 'user', 10);
    const slow = (await (await caller.fetch('/api/v1/jobs', { method: 'POST', json: { ...job, steps: 150, width: 256, height: 256 } })).json()) as { id: string };
    const queued = (await (await caller.fetch('/api/v1/jobs', { method: 'POST', json: job })).json()) as { id: string };
    expect(await balance(caller)).toBe(6);
    await caller.fetch(`/api/v1/jobs/${queued.id}`, { method: 'DELETE' });
    await caller.fetch(`/api/v1/jobs/${slow.id}`, { method: 'DELETE' });
    await settled(caller, slow.id, 'cancelled');
    await settled(caller, queued.id, 'cancelled');
    expect(await balance(caller)).toBe(10);
    // A job that fails at run time (its upload is gone by then) is not charged.
    const form = new FormData();
    const { default: sharp } = await import('sharp');
    form.append('image', new Blob([await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } }).png().toBuffer()], { type: 'image/png' }), 'x.png');
    const upload = (await (await caller.fetch('/api/v1/uploads', { method: 'POST', body: form })).json()) as { id: string };
    const blocker = (await (await caller.fetch('/api/v1/jobs', { method: 'POST', json: { ...job, steps: 150, width: 256, height: 256 } })).json()) as { id: string };
    const doomed = (await (await caller.fetch('/api/v1/jobs', { method: 'POST', json: { ...job, operation: 'img2img', image: upload.id } })).json()) as { id: string };
    await caller.fetch(`/api/v1/images/${upload.id}`, { method: 'DELETE' });
    await caller.fetch(`/api/v1/jobs/${blocker.id}`, { method: 'DELETE' });
    await settled(caller, doomed.id, 'failed');
    expect(await balance(caller)).toBe(10);
  });

  it('keeps every ledger transaction summing to zero', async () => {
    const { transactions, unbalanced } = await ledgerBalanced();
    expect(transactions).toBeGreaterThan(10);
    expect(unbalanced).toBe(0);
  });

  it('lets an administrator grant credits, and the CLI-facing ledger refuses to go negative', async () => {
    const admin = await makeCaller(server, 'boss@example.org', 'admin');
    const user = await makeCaller(server, 'granted@example.org', 'user', 0);
    const granted = await admin.fetch(`/api/v1/admin/users/${user.id}/credits`, { method: 'POST', json: { amount: 7 } });
    expect(await granted.json()).toEqual({ balance: 7 });
    await expect(server.services.ledger.grant(user.id, -8)).rejects.toMatchObject({ code: 'insufficient_credits' });
    expect(await balance(user)).toBe(7);
  });
});
