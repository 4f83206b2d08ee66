// Slows password guessing against one account, wherever the guesses come from (the rate
// limit counts per address, and a botnet has many). Each email gets a few free failures,
// then a wait that doubles with every further failure up to a cap; a success clears it.
// Held in memory under a keyed hash of the address (the key lives and dies with the
// process), so no email is written anywhere, and unknown emails are slowed the same way
// as known ones, which says nothing about which exist.

import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { DarkroomError } from '../domain/errors.js';

export interface LoginThrottleOptions {
  clock: Clock;
  /** Failures before the first wait. */
  freeFailures?: number;
  /** The first wait; each further failure doubles it. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A record with no failure for this long is forgotten. */
  forgetAfterMs?: number;
  /** Emails tracked at once; the stalest go first. */
  maxTracked?: number;
}

interface Failures {
  count: number;
  last: number;
  /** No attempt before this time. */
  until: number;
}

export class LoginThrottle {
  private readonly key = randomBytes(32);
  /** In order of the last failure, stalest first. */
  private readonly failures = new Map<string, Failures>();
  private readonly free: number;
  private readonly base: number;
  private readonly max: number;
  private readonly forget: number;
  private readonly capacity: number;

  constructor(private readonly options: LoginThrottleOptions) {
    this.free = options.freeFailures ?? 5;
    this.base = options.baseDelayMs ?? 1000;
    this.max = options.maxDelayMs ?? 15 * 60_000;
    this.forget = options.forgetAfterMs ?? 24 * 3_600_000;
    this.capacity = options.maxTracked ?? 100_000;
  }

  private keyOf(email: string): string {
    return createHmac('sha256', this.key).update(email.trim().toLowerCase()).digest('base64url');
  }

  /** Throws rate_limited, with the seconds to wait, while this email must wait; the password is not even checked. */
  check(email: string): void {
    const now = this.options.clock.now();
    const record = this.failures.get(this.keyOf(email));
    if (!record || record.until <= now) return;
    const seconds = Math.ceil((record.until - now) / 1000);
    throw Object.assign(new DarkroomError('rate_limited', `Too many failed sign-ins for this account; try again in ${seconds} s`), { retryAfter: seconds });
  }

  failed(email: string): void {
    const now = this.options.clock.now();
    const key = this.keyOf(email);
    const previous = this.failures.get(key);
    const count = previous && now - previous.last < this.forget ? previous.count + 1 : 1;
    const over = count - this.free;
    const delay = over > 0 ? Math.min(this.max, this.base * 2 ** Math.min(over - 1, 30)) : 0;
    this.failures.delete(key);
    this.failures.set(key, { count, last: now, until: now + delay });
    this.prune(now);
  }

  succeeded(email: string): void {
    this.failures.delete(this.keyOf(email));
  }

  private prune(now: number) {
    for (const [key, record] of this.failures) {
      if (this.failures.size <= this.capacity && now - record.last < this.forget) break;
      this.failures.delete(key);
    }
  }
}
