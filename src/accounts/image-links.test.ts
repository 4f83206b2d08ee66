// Signed image links: they open one image, for one owner, until they expire; any change to
// them is refused.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ImageLinks } from './image-links.js';

function setup() {
  const clock = { t: 1_800_000_000_000, now: () => clock.t };
  const links = new ImageLinks({ key: randomBytes(32), clock, lifetimeMs: 3_600_000 });
  const query = (link: string) => Object.fromEntries(new URL(link, 'http://x').searchParams);
  return { clock, links, query };
}

describe('ImageLinks', () => {
  it('opens the image for its owner until the hour is up', () => {
    const { clock, links, query } = setup();
    const link = links.sign('user-a', 'img-1');
    expect(new URL(link, 'http://x').pathname).toBe('/api/v1/images/img-1');
    expect(links.verify('img-1', query(link))).toBe('user-a');
    clock.t += 3_599_000;
    expect(links.verify('img-1', query(link))).toBe('user-a');
    clock.t += 1_000;
    expect(links.verify('img-1', query(link))).toBeUndefined();
  });

  it('refuses a link used for another image, owner or expiry, or signed with another key', () => {
    const { links, query } = setup();
    const q = query(links.sign('user-a', 'img-1'));
    expect(links.verify('img-2', q)).toBeUndefined();
    expect(links.verify('img-1', { ...q, owner: 'user-b' })).toBeUndefined();
    expect(links.verify('img-1', { ...q, expires: String(Number(q.expires) + 3600) })).toBeUndefined();
    expect(links.verify('img-1', { ...q, signature: q.signature!.slice(0, -1) })).toBeUndefined();
    expect(links.verify('img-1', { ...q, signature: undefined })).toBeUndefined();
    expect(setup().links.verify('img-1', q)).toBeUndefined();
  });
});
