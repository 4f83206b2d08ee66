// What the routes need from the rest of Darkroom, built once by createApp.

import type { ImageService } from '../gallery/image-service.js';
import type { JobService } from '../jobs/job-service.js';
import type { ModelCatalog } from '../models/catalog.js';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { PolicyDescription } from '../privacy/policy.js';
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
  limits: HttpLimits;
  /** Queue and worker figures for /healthz. */
  health(): Promise<Record<string, unknown>>;
  version: string;
  privacy: {
    policy(): PolicyDescription;
    export(owner: string): Promise<Readable>;
    erase(owner: string): Promise<{ jobs: number; images: number }>;
  };
  /** The built web studio (web/dist); absent when it has not been built. */
  webRoot: string | undefined;
}

/** The account a request acts for. Without accounts (auth off) everything belongs to the local owner. */
export function ownerOf(_request: FastifyRequest): string {
  return 'local';
}
