// Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes).

import { hash, verify } from '@node-rs/argon2';
import { DarkroomError } from '../domain/errors.js';

const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 10;

export async function hashPassword(password: string): Promise<string> {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new DarkroomError('invalid_parameter', `Expected a password of at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return hash(password, OPTIONS);
}

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) return false;
  return verify(stored, password).catch(() => false);
}
