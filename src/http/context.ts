// What the routes need from the rest of Darkroom, built once by createApp.

import type { ImageService } from '../gallery/image-service.js';
import type { JobService } from '../jobs/job-service.js';
import type { ModelCatalog, ModelEntry } from '../models/catalog.js';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { PolicyDescription } from '../privacy/policy.js';
import { identityOf } from './auth.js';
import type { OriginPolicy } from './origin-guard.js';
import type { Accounts } from '../accounts/accounts.js';
import type { ApiKeyService } from '../accounts/api-keys.js';
import type { AuditLog } from '../accounts/audit.js';
import type { ImageLinks } from '../accounts/image-links.js';
import type { IpHasher } from '../accounts/ip-hash.js';
import type { Ledger } from '../accounts/ledger.js';
import type { LoginThrottle } from '../accounts/login-throttle.js';
import type { OAuthProvider } from '../accounts/oauth.js';
import type { SessionService } from '../accounts/sessions.js';
import type { UserService } from '../accounts/users.js';
// Adds OpenAPI fields (tags, summary) to route schemas.
import '@fastify/swagger';

export interface HttpLimits {
  /** Largest JSON body (A1111 clients send images inline as base64). */
  maxBodyBytes: number;
  /** Largest uploaded file. */
  maxUploadBytes: number;
  /** Largest image, in pixels, accepted anywhere. */
  maxPixels: number;
}

export interface HttpContext {
  jobs: JobService;
  images: ImageService;
  catalog: ModelCatalog;
  /** Per-model facts for clients (native size, size grid). */
  describeModel(model: ModelEntry): Promise<Record<string, unknown>>;
  /** Operations that need no model, such as upscale, available here. */
  tools: string[];
  limits: HttpLimits;
  /** Queue and worker figures for /healthz. */
  health(): Promise<Record<string, unknown>>;
  version: string;
  privacy: {
    policy(): PolicyDescription;
    export(owner: string): Promise<Readable>;
    erase(owner: string): Promise<unknown>;
  };
  accounts: {
    enabled: boolean;
    signupOpen: boolean;
    secureCookies: boolean;
    rateLimit: number;
    accounts: Accounts;
    users: UserService;
    sessions: SessionService;
    apiKeys: ApiKeyService;
    ledger: Ledger;
    audit: AuditLog;
    ipHasher: IpHasher;
    /** Failed sign-ins per email, wherever they come from. */
    loginThrottle: LoginThrottle;
    imageLinks: ImageLinks;
    oauth: Map<string, OAuthProvider>;
  };
  /** Which Hosts are served and which origins' pages may change things. */
  origins: OriginPolicy;
  /** The built web studio (web/dist); absent when it has not been built. */
  webRoot: string | undefined;
}

/** The account a request acts for (401 for anonymous callers when accounts are on). */
export function ownerOf(request: FastifyRequest): string {
  return identityOf(request).owner;
}
