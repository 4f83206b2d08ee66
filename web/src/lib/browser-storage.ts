// The studio's storage in this browser, every key under "darkroom.": settings in
// localStorage, this tab's prompts in sessionStorage. Storage may be off (private mode, a
// full quota) or hold an old unreadable value; then nothing is kept and the studio still works.

export const PREFIX = 'darkroom.';

export const local = () => window.localStorage;
export const session = () => window.sessionStorage;

export function load(storage: () => Storage, key: string): unknown {
  try {
    const raw = storage().getItem(PREFIX + key);
    return raw === null ? undefined : JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function save(storage: () => Storage, key: string, value: unknown): void {
  try {
    storage().setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Not stored; the studio still works for this visit.
  }
}
