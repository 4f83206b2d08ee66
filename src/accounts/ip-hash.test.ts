import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type Store } from '../store/database.js';
import { IpHasher } from './ip-hash.js';

let store: Store;
let now = Date.parse('2026-11-23T10:00:00Z');
beforeEach(async () => {
  store = await openSqlite(':memory:');
});
afterEach(() => store.close());

describe('IpHasher', () => {
  it('hashes an address the same way all day, differently the next day, and never stores it', async () => {
    const hasher = new IpHasher({ db: store.db, clock: { now: () => now } });
    const morning = await hasher.hash('203.0.113.7');
    now += 6 * 3_600_000;
    expect(await hasher.hash('203.0.113.7')).toBe(morning);
    expect(await hasher.hash('203.0.113.8')).not.toBe(morning);
    expect(morning).not.toContain('203');
    now += 24 * 3_600_000;
    expect(await hasher.hash('203.0.113.7')).not.toBe(morning);
    const rows = await store.db.selectFrom('ip_salts').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain('203.0.113');
  });

  it('destroys salts 48 hours after they were made', async () => {
    const hasher = new IpHasher({ db: store.db, clock: { now: () => now } });
    await hasher.hash('198.51.100.1');
    const first = (await store.db.selectFrom('ip_salts').select('day').execute()).map((r) => r.day);
    now += 49 * 3_600_000;
    await hasher.hash('198.51.100.1');
    const days = (await store.db.selectFrom('ip_salts').select('day').execute()).map((r) => r.day);
    expect(days).not.toContain(first[0]);
    expect(days).toHaveLength(1);
  });
});
