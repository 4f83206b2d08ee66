// Links to one image that work without a session or an API key for an hour, as OpenAI's
// image URLs do: a client that asks for response_format "url" fetches the URL with a plain
// GET. A link names the owner, the image and its expiry, signed (HMAC-SHA256) with a key
// derived from the master key. Deleting the image or erasing the owner ends every link to
// it, since there is then nothing to serve.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/clock.js';

export interface ImageLinkQuery {
  owner?: string | undefined;
  expires?: string | undefined;
  signature?: string | undefined;
}

export class ImageLinks {
  constructor(private readonly deps: { key: Buffer; clock: Clock; lifetimeMs: number }) {}

  /** The path and query of a link to the owner's image. */
  sign(owner: string, imageId: string): string {
    const expires = Math.floor((this.deps.clock.now() + this.deps.lifetimeMs) / 1000);
    const query = new URLSearchParams({ owner, expires: String(expires), signature: this.mac(owner, imageId, expires) });
    return `/api/v1/images/${encodeURIComponent(imageId)}?${query}`;
  }

  /** The owner a link to `imageId` acts for, or undefined when it is forged or has expired. */
  verify(imageId: string, query: ImageLinkQuery): string | undefined {
    const { owner, signature } = query;
    const expires = Number(query.expires);
    if (!owner || !signature || !Number.isSafeInteger(expires) || expires * 1000 <= this.deps.clock.now()) return undefined;
    const expected = Buffer.from(this.mac(owner, imageId, expires));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected) ? owner : undefined;
  }

  private mac(owner: string, imageId: string, expires: number): string {
    return createHmac('sha256', this.deps.key).update(`${owner}\n${imageId}\n${expires}`).digest('base64url');
  }
}
