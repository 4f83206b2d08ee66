// Random bytes from the CSPRNG, drawn 4 KB at a time: every submission needs a few small
// draws (ids, nonces), and each randomBytes() call costs microseconds of its own. A byte is
// handed out once and never again.

import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** `size` fresh random bytes (a copy: the caller may keep them). */
export function randomBytesPooled(size: number): Buffer {
  if (size > POOL_SIZE) return randomFillSync(Buffer.alloc(size));
  if (offset + size > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  // Wiped as handed out, so the pool never holds a byte someone already has.
  pool.fill(0, offset, offset + size);
  offset += size;
  return bytes;
}
