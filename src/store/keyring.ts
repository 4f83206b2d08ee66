// Envelope encryption at rest: every owner has a random AES-256 data key, stored only
// wrapped (AES-256-GCM) by the master key. Prompts and image files are sealed with the
// owner's data key, bound to the owner and to what they are (associated data), so a sealed
// value cannot be moved to another owner or use. Destroying an owner's key makes all of
// their sealed data unreadable at once (crypto-shredding).
//
// Sealed format: "DRK1" | 12-byte nonce | 16-byte tag | ciphertext.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { randomBytesPooled } from '../domain/random-pool.js';
import type { Kysely } from 'kysely';
import { DarkroomError } from '../domain/errors.js';
import type { Database } from './schema.js';

const MAGIC = Buffer.from('DRK1');
export type Purpose = 'image' | 'prompt' | 'key';

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const nonce = randomBytesPooled(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, nonce, cipher.getAuthTag(), body]);
}

function unseal(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 32 || !sealed.subarray(0, 4).equals(MAGIC)) throw new Error('not sealed data');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(4, 16));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(16, 32));
  return Buffer.concat([decipher.update(sealed.subarray(32)), decipher.final()]);
}

export class Keyring {
  private readonly cache = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly masterKey: Buffer,
    private readonly clock: { now(): number },
  ) {}

  /** The owner's data key; created on first use when `create`, otherwise undefined if there is none. */
  private async dataKey(owner: string, create: boolean): Promise<Buffer | undefined> {
    const cached = this.cache.get(owner);
    if (cached) return cached;
    const row = await this.db.selectFrom('data_keys').select('wrapped_key').where('owner', '=', owner).executeTakeFirst();
    if (!row && !create) return undefined;
    const key = row ? Promise.resolve(this.unwrap(owner, row.wrapped_key)) : this.create(owner);
    this.cache.set(owner, key);
    key.catch(() => this.cache.delete(owner));
    return key;
  }

  private unwrap(owner: string, wrapped: string): Buffer {
    try {
      return unseal(this.masterKey, Buffer.from(wrapped, 'base64'), `key:${owner}`);
    } catch {
      throw new DarkroomError('internal', 'A data key cannot be unwrapped: the master key is not the one this data was stored with (was DARKROOM_MASTER_KEY or master.key changed?)');
    }
  }

  private async create(owner: string): Promise<Buffer> {
    const wrapped = seal(this.masterKey, randomBytes(32), `key:${owner}`).toString('base64');
    await this.db.insertInto('data_keys').values({ owner, wrapped_key: wrapped, created_at: this.clock.now() }).onConflict((oc) => oc.column('owner').doNothing()).execute();
    // Another writer may have won the race: the stored key is the key.
    const stored = await this.db.selectFrom('data_keys').select('wrapped_key').where('owner', '=', owner).executeTakeFirstOrThrow();
    return this.unwrap(owner, stored.wrapped_key);
  }

  async seal(owner: string, plaintext: Buffer, purpose: Purpose): Promise<Buffer> {
    return seal((await this.dataKey(owner, true))!, plaintext, `${purpose}:${owner}`);
  }

  async open(owner: string, sealed: Buffer, purpose: Purpose): Promise<Buffer> {
    const key = await this.dataKey(owner, false);
    if (!key) throw new DarkroomError('not_found', 'This data can no longer be read: its key was destroyed');
    try {
      return unseal(key, sealed, `${purpose}:${owner}`);
    } catch {
      throw new DarkroomError('internal', 'Stored data failed its integrity check');
    }
  }

  async sealText(owner: string, text: string | null, purpose: Purpose): Promise<string | null> {
    return text === null ? null : (await this.seal(owner, Buffer.from(text, 'utf8'), purpose)).toString('base64');
  }

  async openText(owner: string, sealed: string | null, purpose: Purpose): Promise<string | null> {
    return sealed === null ? null : (await this.open(owner, Buffer.from(sealed, 'base64'), purpose)).toString('utf8');
  }

  /** Crypto-shredding: the owner's sealed data, wherever copies of it are, is unreadable from now on. */
  async destroy(owner: string): Promise<void> {
    this.cache.delete(owner);
    await this.db.deleteFrom('data_keys').where('owner', '=', owner).execute();
  }
}
