// The privacy policy in force, written from the configuration rather than by hand, so
// what the page promises is what the code does.

import { RETENTION_CLASSES, type RetentionClass, type RetentionPolicy } from './retention.js';

export interface PolicyDescription {
  retention: Record<RetentionClass, string>;
  purge_interval: string;
  /** The longest any expiring datum can outlive its window: the purge interval. */
  deletion_bound: string;
  promises: string[];
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return 'forever';
  // "24h" reads better than "1d"; days from two on.
  if (ms % 86_400_000 === 0 && ms >= 2 * 86_400_000) return `${ms / 86_400_000}d`;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export const RETENTION_LABELS: Record<RetentionClass, string> = {
  prompts: 'Prompts and negative prompts',
  uploads: 'Images you upload',
  outputs: 'Generated images you have not saved',
  saved: 'Images you saved to your gallery',
  usage: 'Usage records (job settings without prompts, purge runs)',
  audit: 'Audit records (administrators\' actions, moderation decisions: categories and hashes, never text)',
};

export function describePolicy(retention: RetentionPolicy, purgeIntervalMs: number): PolicyDescription {
  const windows = Object.fromEntries(RETENTION_CLASSES.map((k) => [k, formatDuration(retention[k])])) as Record<RetentionClass, string>;
  const purge = formatDuration(purgeIntervalMs);
  return {
    retention: windows,
    purge_interval: purge,
    deletion_bound: purge,
    promises: [
      ...RETENTION_CLASSES.map((k) =>
        windows[k] === 'forever' ? `${RETENTION_LABELS[k]} are kept until you delete them.` : `${RETENTION_LABELS[k]} are hidden after ${windows[k]} and erased within ${purge} after that.`,
      ),
      'Everything runs on this Darkroom server; prompts and images are sent to no other service.',
      'Server logs never contain prompts, request bodies or client IP addresses.',
      'Uploaded images are re-encoded: EXIF, GPS, XMP and text metadata are removed.',
      'Generated images carry no prompt in their metadata.',
      'You can download everything Darkroom holds for you, and erase it all at once; only audit records, which hold no text, stay for their window.',
    ],
  };
}
