import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type Store } from './database.js';
import { Keyring } from './keyring.js';

let store: Store;
let keyring: Keyring;
beforeEach(async () => {
  store = await openSqlite(':memory:');
  keyring = new Keyring(store.db, randomBytes(32), { now: () => 0 });
});
afterEach(() => store.close());

describe('Keyring', () => {
  it('seals and opens, with a fresh nonce every time', async () => {
    const a = await keyring.seal('alice', Buffer.from('hello'), 'prompt');
    const b = await keyring.seal('alice', Buffer.from('hello'), 'prompt');
    expect(a.equals(b)).toBe(false);
    expect((await keyring.open('alice', a, 'prompt')).toString()).toBe('hello');
  });

  it('binds sealed data to its owner and purpose', async () => {
    const sealed = await keyring.seal('alice', Buffer.from('hello'), 'prompt');
    await keyring.seal('bob', Buffer.from('x'), 'prompt');
    await expect(keyring.open('bob', sealed, 'prompt')).rejects.toMatchObject({ code: 'internal' });
    await expect(keyring.open('alice', sealed, 'image')).rejects.toMatchObject({ code: 'internal' });
  });

  it('detects tampering', async () => {
    const sealed = await keyring.seal('alice', Buffer.from('hello world'), 'image');
    sealed[sealed.length - 1]! ^= 1;
    await expect(keyring.open('alice', sealed, 'image')).rejects.toMatchObject({ code: 'internal' });
  });

  it('stores data keys only wrapped, and a different master key cannot unwrap them', async () => {
    const sealed = await keyring.seal('alice', Buffer.from('secret'), 'prompt');
    const row = await store.db.selectFrom('data_keys').selectAll().executeTakeFirstOrThrow();
    expect(Buffer.from(row.wrapped_key, 'base64').length).toBe(4 + 12 + 16 + 32);
    const other = new Keyring(store.db, randomBytes(32), { now: () => 0 });
    await expect(other.open('alice', sealed, 'prompt')).rejects.toThrow(/master key is not the one/);
  });

  it('makes everything of an owner unreadable once their key is destroyed', async () => {
    const sealed = await keyring.seal('alice', Buffer.from('secret'), 'prompt');
    await keyring.destroy('alice');
    await expect(keyring.open('alice', sealed, 'prompt')).rejects.toMatchObject({ code: 'not_found' });
  });
});
