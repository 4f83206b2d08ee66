// A form's parameters kept in this browser: the settings (size, steps, seed...) in
// localStorage, so they are there next time; the prompts only in sessionStorage, so they
// survive a reload but leave with the tab, like the server forgets them after a day.

import { useEffect, useRef, useState } from 'react';
import type { GenerationParams } from '../lib/params';
import { load, local, PREFIX, save, session } from '../lib/browser-storage';
import { sanitizeParams } from '../lib/params';

export function useParamsState<T extends GenerationParams>(key: string, defaults: T) {
  const [value, setValue] = useState<T>(() => {
    const settings = load(local, key);
    const prompts = load(session, `${key}.prompts`);
    return sanitizeParams({ ...(settings as object), ...(prompts as object) }, defaults);
  });
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const { prompt, negative_prompt, ...settings } = value;
    save(local, key, settings);
    save(session, `${key}.prompts`, { prompt, negative_prompt });
  }, [key, value]);
  return [value, setValue] as const;
}

/** Forgets the prompts typed in this tab (signing out: the next person should not see them). */
export function forgetPrompts(): void {
  try {
    for (const key of Object.keys(session())) if (key.startsWith(PREFIX) && key.endsWith('.prompts')) session().removeItem(key);
  } catch {
    // Storage off: nothing was kept.
  }
}
