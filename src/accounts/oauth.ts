// Sign-in with GitHub or Google through arctic's OAuth 2.0 client (Google with PKCE). The
// endpoints default to the providers' own and can be pointed elsewhere (a proxy,
// or a local stand-in in tests) with DARKROOM_OAUTH_<PROVIDER>_BASE.

import { CodeChallengeMethod, generateCodeVerifier, generateState, OAuth2Client } from 'arctic';
import { DarkroomError } from '../domain/errors.js';

export type ProviderName = 'github' | 'google';

export interface ProviderEndpoints {
  authorize: string;
  token: string;
  user: string;
  /** GitHub: where a private primary email is found. */
  emails?: string;
}

const DEFAULTS: Record<ProviderName, ProviderEndpoints & { scopes: string[]; pkce: boolean }> = {
  github: {
    authorize: 'https://github.com/login/oauth/authorize',
    token: 'https://github.com/login/oauth/access_token',
    user: 'https://api.github.com/user',
    emails: 'https://api.github.com/user/emails',
    scopes: ['read:user', 'user:email'],
    pkce: false,
  },
  google: {
    authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
    token: 'https://oauth2.googleapis.com/token',
    user: 'https://openidconnect.googleapis.com/v1/userinfo',
    scopes: ['openid', 'email'],
    pkce: true,
  },
};

/** The same paths on another host: a proxy, or a local stand-in in tests. */
export function endpointsAt(provider: ProviderName, base: string): ProviderEndpoints {
  const root = base.replace(/\/+$/, '');
  const swap = (url: string) => root + new URL(url).pathname;
  const d = DEFAULTS[provider];
  return { authorize: swap(d.authorize), token: swap(d.token), user: swap(d.user), ...(d.emails ? { emails: swap(d.emails) } : {}) };
}

export interface OAuthStart {
  url: string;
  state: string;
  verifier: string | undefined;
}

export interface OAuthProfile {
  subject: string;
  /** Only a verified address; undefined otherwise. */
  email: string | undefined;
}

export class OAuthProvider {
  private readonly client: OAuth2Client;
  private readonly endpoints: ProviderEndpoints;

  constructor(
    readonly name: ProviderName,
    credentials: { clientId: string; clientSecret: string; redirectUri: string; base?: string },
    private readonly http: typeof fetch = fetch,
  ) {
    this.client = new OAuth2Client(credentials.clientId, credentials.clientSecret, credentials.redirectUri);
    this.endpoints = credentials.base ? endpointsAt(name, credentials.base) : DEFAULTS[name];
  }

  start(): OAuthStart {
    const state = generateState();
    const { scopes, pkce } = DEFAULTS[this.name];
    if (!pkce) return { url: this.client.createAuthorizationURL(this.endpoints.authorize, state, scopes).toString(), state, verifier: undefined };
    const verifier = generateCodeVerifier();
    const url = this.client.createAuthorizationURLWithPKCE(this.endpoints.authorize, state, CodeChallengeMethod.S256, verifier, scopes);
    return { url: url.toString(), state, verifier };
  }

  async finish(code: string, verifier: string | undefined): Promise<OAuthProfile> {
    let accessToken: string;
    try {
      accessToken = (await this.client.validateAuthorizationCode(this.endpoints.token, code, verifier ?? null)).accessToken();
    } catch (error) {
      throw new DarkroomError('unauthorized', `${this.name} did not accept the sign-in: ${(error as Error).message}`);
    }
    const get = async (url: string) => {
      const response = await this.http(url, { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json', 'User-Agent': 'Darkroom' } });
      if (!response.ok) throw new DarkroomError('unauthorized', `${this.name} refused the profile request (HTTP ${response.status})`);
      return (await response.json()) as Record<string, unknown>;
    };
    const profile = await get(this.endpoints.user);
    if (this.name === 'google') {
      return { subject: String(profile.sub), email: profile.email_verified === true ? String(profile.email) : undefined };
    }
    let email: string | undefined;
    if (this.endpoints.emails) {
      const emails = (await get(this.endpoints.emails)) as unknown as { email: string; primary: boolean; verified: boolean }[];
      email = emails.find((e) => e.primary && e.verified)?.email;
    }
    return { subject: String(profile.id), email };
  }
}
