// The per-account sign-in slowdown with a clock the test moves: free failures, a wait that
// doubles up to its cap, forgetting, a success that clears it, and emails kept only hashed.

import { describe, expect, it } from 'vitest';
import { DarkroomError } from '../domain/errors.js';
import { LoginThrottle } from './login-throttle.js';

function setUp(options: { maxTracked?: number } = {}) {
  let now = 1_000_000;
  const throttle = new LoginThrottle({ clock: { now: () => now }, freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000, ...options });
  return { throttle, advance: (ms: number) => (now += ms) };
}

/** The seconds the throttle says to wait, or 0 when it lets the attempt through. */
function waitFor(throttle: LoginThrottle, email: string): number {
  try {
    throttle.check(email);
    return 0;
  } catch (error) {
    if (!DarkroomError.isInstance(error) || error.code !== 'rate_limited') throw error;
    return (error as DarkroomError & { retryAfter: number }).retryAfter;
  }
}

describe('LoginThrottle', () => {
  it('lets the free failures through, then waits 1, 2, 4, 8, 8 s', () => {
    const { throttle, advance } = setUp();
    const waits = [];
    for (let i = 0; i < 8; i++) {
      const wait = waitFor(throttle, 'ana@example.org');
      waits.push(wait);
      advance(wait * 1000);
      throttle.failed('ana@example.org');
    }
    expect(waits).toEqual([0, 0, 0, 0, 1, 2, 4, 8]);
    expect(waitFor(throttle, 'ana@example.org')).toBe(8);
  });

  it('counts one account whatever the spelling, and no other', () => {
    const { throttle } = setUp();
    for (let i = 0; i < 4; i++) throttle.failed(i % 2 ? 'Ana@Example.org ' : 'ana@example.org');
    expect(waitFor(throttle, 'ANA@example.org')).toBe(1);
    expect(waitFor(throttle, 'bo@example.org')).toBe(0);
  });

  it('starts over after a success', () => {
    const { throttle, advance } = setUp();
    for (let i = 0; i < 5; i++) throttle.failed('ana@example.org');
    advance(10_000);
    throttle.succeeded('ana@example.org');
    throttle.failed('ana@example.org');
    expect(waitFor(throttle, 'ana@example.org')).toBe(0);
  });

  it('forgets failures after a quiet spell', () => {
    const { throttle, advance } = setUp();
    for (let i = 0; i < 4; i++) throttle.failed('ana@example.org');
    advance(60_000);
    throttle.failed('ana@example.org');
    expect(waitFor(throttle, 'ana@example.org')).toBe(0);
  });

  it('tracks a bounded number of emails, the stalest going first', () => {
    const { throttle, advance } = setUp({ maxTracked: 2 });
    for (const email of ['a@example.org', 'b@example.org', 'c@example.org']) {
      for (let i = 0; i < 4; i++) throttle.failed(email);
      advance(1);
    }
    expect([waitFor(throttle, 'a@example.org'), waitFor(throttle, 'b@example.org'), waitFor(throttle, 'c@example.org')]).toEqual([0, 1, 1]);
  });

  it('holds no email in the clear', () => {
    const { throttle } = setUp();
    throttle.failed('ana@example.org');
    const held = (throttle as unknown as { failures: Map<string, unknown> }).failures;
    expect([...held.keys()].join()).not.toMatch(/ana|example/);
  });
});
