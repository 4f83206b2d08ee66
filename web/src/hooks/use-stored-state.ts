// Preferences kept in this browser only (localStorage, never a cookie), under "darkroom.".

import { useCallback, useEffect, useRef, useState } from 'react';

const PREFIX = 'darkroom.';

function read<T>(key: string, fallback: T, sanitize: (value: unknown) => T): T {
  try {
    const raw = window.localStorage.getItem(PREFIX + key);
    return raw === null ? fallback : sanitize(JSON.parse(raw));
  } catch {
    // Storage off (private mode, quota) or an old unreadable value: use the default.
    return fallback;
  }
}

export function useStoredState<T>(key: string, fallback: T, sanitize: (value: unknown) => T = (v) => v as T) {
  const [value, setValue] = useState<T>(() => read(key, fallback, sanitize));
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    try {
      window.localStorage.setItem(PREFIX + key, JSON.stringify(value));
    } catch {
      // Not stored; the studio still works for this visit.
    }
  }, [key, value]);
  return [value, setValue] as const;
}

/** Forgets every studio preference in this browser (and this tab's prompts). */
export function clearStoredPreferences(): number {
  let removed = 0;
  for (const storage of [() => window.localStorage, () => window.sessionStorage]) {
    try {
      const store = storage();
      for (const key of Object.keys(store)) {
        if (key.startsWith(PREFIX)) {
          store.removeItem(key);
          removed++;
        }
      }
    } catch {
      // Nothing stored that we could reach.
    }
  }
  return removed;
}

/** A stable callback that always calls the latest `fn` (for event listeners set up once). */
export function useLatest<T extends (...args: never[]) => unknown>(fn: T): T {
  const ref = useRef(fn);
  ref.current = fn;
  return useCallback(((...args) => ref.current(...args)) as T, []);
}
