// What image files carry: uploads lose EXIF, GPS, XMP and text chunks; outputs carry an IPTC
// "trainedAlgorithmicMedia" XMP label (composite for edits of uploads) and no prompt unless
// the request asked for it.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngChunks } from '../src/images/provenance.js';
import { readEvents } from './helpers/sse.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const CANARY = `canary${Math.random().toString(36).slice(2, 10)}`;

async function upload(bytes: Buffer, type: string) {
  const form = new FormData();
  form.append('image', new Blob([bytes], { type }), 'photo');
  return (await (await fetch(`${server.url}/api/v1/uploads`, { method: 'POST', body: form })).json()) as { id: string; url: string };
}

async function bytesOf(url: string): Promise<Buffer> {
  return Buffer.from(await (await fetch(server.url + url)).arrayBuffer());
}

async function run(body: Record<string, unknown>): Promise<Buffer> {
  const created = (await (await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ steps: 3, ...body }) })).json()) as { id: string };
  const events = await readEvents(`${server.url}/api/v1/jobs/${created.id}/events`);
  const images = events.at(-1)!.data.images as { url: string }[];
  return bytesOf(images[0]!.url);
}

function xmpOf(png: Buffer): string | undefined {
  const chunk = pngChunks(png).find((c) => c.type === 'iTXt' && c.data.toString('latin1').startsWith('XML:com.adobe.xmp\0'));
  return chunk?.data.subarray(chunk.data.indexOf('<')).toString('utf8');
}

describe('uploads', () => {
  it('come out with no EXIF, GPS, XMP or text, whatever went in', async () => {
    const jpeg = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#3070b0' } })
      .jpeg()
      .withExif({
        IFD0: { ImageDescription: CANARY, Artist: CANARY, Make: 'TestCam' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' },
      })
      .withXmp(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="">${CANARY}</rdf:Description></rdf:RDF></x:xmpmeta>`)
      .toBuffer();
    const before = await sharp(jpeg).metadata();
    expect(before.exif?.toString('latin1')).toContain(CANARY);
    expect(before.exif?.toString('latin1')).toContain('TestCam');
    const uploaded = await upload(jpeg, 'image/jpeg');
    const stored = await bytesOf(uploaded.url);
    const after = await sharp(stored).metadata();
    expect(after.format).toBe('png');
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.comments ?? []).toEqual([]);
    expect(pngChunks(stored).map((c) => c.type)).not.toContain('eXIf');
    expect(pngChunks(stored).some((c) => ['tEXt', 'zTXt', 'iTXt'].includes(c.type))).toBe(false);
    expect(stored.toString('latin1')).not.toContain(CANARY);
    expect(stored.toString('latin1')).not.toContain('TestCam');
  });
});

describe('outputs', () => {
  it('carry the trainedAlgorithmicMedia label and no prompt text anywhere', async () => {
    const png = await run({ operation: 'txt2img', prompt: `a red circle ${CANARY}`, negative_prompt: CANARY });
    const xmp = xmpOf(png);
    expect(xmp).toContain('<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>');
    expect(xmp).toMatch(/<xmp:CreatorTool>Darkroom \d+\.\d+\.\d+<\/xmp:CreatorTool>/);
    // One text chunk (the label), none compressed that could hide a prompt from a byte search.
    const types = pngChunks(png).map((c) => c.type);
    expect(types.filter((t) => ['tEXt', 'zTXt', 'iTXt', 'eXIf'].includes(t))).toEqual(['iTXt']);
    expect(types.filter((t) => !['IHDR', 'iTXt', 'pHYs', 'IDAT', 'IEND'].includes(t))).toEqual([]);
    expect(png.toString('latin1')).not.toContain(CANARY);
    expect((await sharp(png).metadata()).xmp?.toString()).toContain('trainedAlgorithmicMedia');
  });

  it('label edits of an upload as composites', async () => {
    const source = await upload(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#20a040' } }).png().toBuffer(), 'image/png');
    const png = await run({ operation: 'img2img', prompt: 'a white square', image: source.id, strength: 0.5 });
    expect(xmpOf(png)).toContain('digitalsourcetype/compositeWithTrainedAlgorithmicMedia');
  });

  it('carry the prompt only when the request asks for it', async () => {
    const png = await run({ operation: 'txt2img', prompt: `a green square ${CANARY} & <friends>`, embed_prompt: true });
    expect(xmpOf(png)).toContain(`<dc:description><rdf:Alt><rdf:li xml:lang="x-default">a green square ${CANARY} &amp; &lt;friends&gt;</rdf:li></rdf:Alt></dc:description>`);
  });
});
