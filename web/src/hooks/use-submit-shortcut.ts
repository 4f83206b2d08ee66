// Ctrl+Enter (⌘ Enter on a Mac) runs the form of the page in view, wherever the focus is.

import { useEffect } from 'react';
import { isSubmitShortcut } from '../lib/platform';
import { useLatest } from './use-stored-state';

export function useSubmitShortcut(active: boolean, submit: () => void): void {
  const latest = useLatest(submit);
  useEffect(() => {
    if (!active) return;
    const onKey = (event: KeyboardEvent) => {
      if (!isSubmitShortcut(event)) return;
      event.preventDefault();
      latest();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, latest]);
}
