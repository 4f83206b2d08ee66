// Human wording for the times the API gives: how long until an item is deleted, how long
// ago something happened, and the policy's durations ("24h", "forever").

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "23 h 5 min", "12 min", "less than a minute" until `iso`; null when it has no end. */
export function timeLeft(iso: string | null, now: number): string | null {
  if (iso === null) return null;
  const ms = Date.parse(iso) - now;
  if (ms <= MINUTE) return 'less than a minute';
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < 2 * DAY) {
    const hours = Math.floor(ms / HOUR);
    const minutes = Math.floor((ms % HOUR) / MINUTE);
    return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  }
  return plural(Math.floor(ms / DAY), 'day');
}

export function ago(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  if (ms < MINUTE) return 'just now';
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ago`;
  return formatDate(iso);
}

/** "3 May 2025", in the reader's locale. */
export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
}

const UNITS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', y: 'year' };

/** "24h" -> "24 hours", "forever" -> "until you delete them"; anything else as given. */
export function describeDuration(value: string): string {
  if (/^(forever|never|infinite)$/i.test(value)) return 'until you delete them';
  const match = /^(\d+)\s*([smhdwy])$/i.exec(value.trim());
  if (!match) return value;
  const unit = UNITS[match[2]!.toLowerCase()]!;
  return plural(Number(match[1]), unit);
}
