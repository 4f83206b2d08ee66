// Public identifiers: a short type prefix and 96 random bits, so ids reveal nothing and
// cannot be guessed; the prefix tells a reader what kind of thing an id names.

import { randomBytes } from 'node:crypto';

export type IdKind = 'job' | 'img' | 'up' | 'usr' | 'key' | 'tx';

export function newId(kind: IdKind): string {
  return `${kind}_${randomBytes(12).toString('base64url')}`;
}
