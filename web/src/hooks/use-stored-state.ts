// Preferences kept in this browser only (localStorage, never a cookie), under "darkroom.".

import { useCallback, useEffect, useRef, useState } from 'react';
import { load, local, PREFIX, save, session } from '../lib/browser-storage';

function read<T>(key: string, fallback: T, sanitize: (value: unknown) => T): T {
  const stored = load(local, key);
  return stored === undefined ? fallback : sanitize(stored);
}

export function useStoredState<T>(key: string, fallback: T, sanitize: (value: unknown) => T = (v) => v as T) {
  const [value, setValue] = useState<T>(() => read(key, fallback, sanitize));
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    save(local, key, value);
  }, [key, value]);
  return [value, setValue] as const;
}

/** Forgets every studio preference in this browser (and this tab's prompts). */
export function clearStoredPreferences(): number {
  let removed = 0;
  for (const storage of [local, session]) {
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
