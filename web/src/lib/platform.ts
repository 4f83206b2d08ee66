// Small facts about the browser the studio runs in.

export const IS_MAC = /Mac|iPhone|iPad/.test(navigator.userAgent);

/** How the generate shortcut is written on this platform. */
export const SUBMIT_SHORTCUT = IS_MAC ? '⌘ Enter' : 'Ctrl Enter';

export function isSubmitShortcut(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): boolean {
  return event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey;
}

/** Whether the layout is the one-column phone layout (the form above the results). */
export function isNarrow(): boolean {
  return window.matchMedia('(max-width: 860px)').matches;
}
