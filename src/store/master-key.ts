// The master key that wraps every owner's data key: DARKROOM_MASTER_KEY (64 hex digits or
// base64 of 32 bytes), or a random key generated once into <data dir>/master.key, readable
// by the owner of the process only.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DarkroomError } from '../domain/errors.js';

export function parseMasterKey(text: string): Buffer {
  const value = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new DarkroomError('invalid_parameter', 'Expected DARKROOM_MASTER_KEY to be 32 bytes as 64 hex digits or base64');
  return key;
}

export function loadMasterKey(configured: string | undefined, file: string): Buffer {
  if (configured) return parseMasterKey(configured);
  if (existsSync(file)) return parseMasterKey(readFileSync(file, 'utf8'));
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  // 'wx' fails if another process created it meanwhile; then use theirs.
  try {
    writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch {
    return parseMasterKey(readFileSync(file, 'utf8'));
  }
}
