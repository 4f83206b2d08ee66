// Secrets handed to clients (session tokens, API keys) are random and stored only as
// sha256 hashes, so the database alone never lets anyone in.

import { createHash, randomBytes } from 'node:crypto';

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
