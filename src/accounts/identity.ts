// Who a request acts for. Without accounts (auth off) every request is the local owner,
// who is an administrator of their own machine.

import type { Role } from '../store/schema.js';

export interface Identity {
  /** The owner id that rows are filed under: a user id, or "local". */
  owner: string;
  role: Role;
  /** How the request proved it: a session cookie, an API key, a signed image link, or nothing (auth off). */
  via: 'session' | 'api-key' | 'image-link' | 'local';
}

export const LOCAL_OWNER: Identity = { owner: 'local', role: 'admin', via: 'local' };
