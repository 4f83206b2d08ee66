// The retention policy: every stored datum belongs to a class, and each class has a window
// after which the datum is invisible and then purged. Windows come from configuration
// (DARKROOM_RETENTION_*), in durations like 30s, 15m, 24h, 90d, or "forever".

export const RETENTION_CLASSES = ['prompts', 'uploads', 'outputs', 'saved', 'usage', 'audit'] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

/** Window in milliseconds; null keeps the datum until its owner deletes it. */
export type RetentionPolicy = Record<RetentionClass, number | null>;

export const DEFAULT_RETENTION: Record<RetentionClass, string> = {
  prompts: '24h',
  uploads: '24h',
  outputs: '24h',
  saved: 'forever',
  usage: '90d',
  audit: '365d',
};

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string, name = 'duration'): number | null {
  const value = text.trim().toLowerCase();
  if (value === 'forever') return null;
  const match = /^(\d+)\s*(s|m|h|d)$/.exec(value);
  if (!match) throw new RangeError(`Expected ${name} to be a duration like 30s, 15m, 24h, 90d or "forever", got "${text}"`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

export function retentionFromEnv(env: NodeJS.ProcessEnv): RetentionPolicy {
  const policy = {} as RetentionPolicy;
  for (const kind of RETENTION_CLASSES) {
    const variable = `DARKROOM_RETENTION_${kind.toUpperCase()}`;
    policy[kind] = parseDuration(env[variable] || DEFAULT_RETENTION[kind], variable);
  }
  return policy;
}

/** When a datum of this class made now expires (null: never). */
export function expiresAt(policy: RetentionPolicy, kind: RetentionClass, now: number): number | null {
  const window = policy[kind];
  return window === null ? null : now + window;
}
