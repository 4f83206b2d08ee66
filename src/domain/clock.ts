// Time, passed in so tests can move it.

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A stored time (milliseconds; SQLite may hand back a bigint) as ISO 8601, as the APIs show it. */
export function iso(ms: number | bigint): string;
export function iso(ms: number | bigint | null): string | null;
export function iso(ms: number | bigint | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}
