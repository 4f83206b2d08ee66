// The studio's pages: their names in the navigation and their headings. With accounts on,
// the privacy page also holds the account and its API keys, and says so.

import type { Route } from '../hooks/use-hash-route';

export interface PageInfo {
  route: Route;
  label: string;
  /** A shorter label for the phone navigation, when the label would wrap there. */
  shortLabel?: string;
  title: string;
  intro: string;
}

export function pagesFor(accounts: boolean): PageInfo[] {
  return [
    { route: 'create', label: 'Create', title: 'Create', intro: `Describe an image; Darkroom makes it on this ${accounts ? 'server' : 'machine'}.` },
    { route: 'edit', label: 'Edit', title: 'Edit', intro: 'Transform, restyle or extend an image, repaint part of it, or blend several.' },
    { route: 'gallery', label: 'Gallery', title: 'Gallery & history', intro: 'Your images and the settings that made them.' },
    accounts
      ? { route: 'privacy', label: 'Account & privacy', shortLabel: 'Account', title: 'Account & privacy', intro: 'Your account and API keys; what is kept, and how to take it all back.' }
      : { route: 'privacy', label: 'Privacy', title: 'Privacy', intro: 'What is kept, for how long, and how to take it all back.' },
  ];
}
