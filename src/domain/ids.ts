// Public identifiers: a short type prefix and 96 random bits, so ids reveal nothing and
// cannot be guessed; the prefix tells a reader what kind of thing an id names.

import { randomBytesPooled } from './random-pool.js';

export type IdKind = 'job' | 'img' | 'up' | 'usr' | 'key' | 'tx';

export function newId(kind: IdKind): string {
  return `${kind}_${randomBytesPooled(12).toString('base64url')}`;
}
