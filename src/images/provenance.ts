// Provenance labels for generated images: an XMP packet with IPTC's DigitalSourceType
// (trainedAlgorithmicMedia, or compositeWithTrainedAlgorithmicMedia for edits of an
// uploaded image), written as PNG's standard uncompressed iTXt "XML:com.adobe.xmp" chunk
// so any reader finds it. The prompt goes in only when the user asked for it.

import { crc32 } from 'node:zlib';
import { escapeMarkup } from '../domain/markup.js';
import sharp from 'sharp';
import { channelsOf, type AnyImage } from '../domain/image.js';
import { encodePng } from './codec.js';

export type DigitalSourceType = 'trainedAlgorithmicMedia' | 'compositeWithTrainedAlgorithmicMedia';

export interface Provenance {
  sourceType: DigitalSourceType;
  creatorTool: string;
  /** Written only on request (dc:description). */
  prompt?: string;
}

export function xmpPacket(provenance: Provenance): string {
  const description =
    provenance.prompt === undefined
      ? ''
      : `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${escapeMarkup(provenance.prompt)}</rdf:li></rdf:Alt></dc:description>`;
  return [
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">',
    `<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/${provenance.sourceType}</Iptc4xmpExt:DigitalSourceType>`,
    `<xmp:CreatorTool>${escapeMarkup(provenance.creatorTool)}</xmp:CreatorTool>`,
    description,
    '</rdf:Description></rdf:RDF></x:xmpmeta>',
    '<?xpacket end="r"?>',
  ].join('');
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0);
  return Buffer.concat([head, data, crc]);
}

/** The PNG with an iTXt XMP chunk placed right after IHDR. */
export function withXmp(png: Buffer, xmp: string): Buffer {
  // iTXt: keyword, NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text.
  const data = Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), Buffer.from(xmp, 'utf8')]);
  const ihdrEnd = 8 + 8 + png.readUInt32BE(8) + 4;
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk('iTXt', data), png.subarray(ihdrEnd)]);
}

/** Every chunk type in a PNG, in order (for checks and tests). */
export function pngChunks(png: Buffer): { type: string; data: Buffer }[] {
  const chunks: { type: string; data: Buffer }[] = [];
  for (let offset = 8; offset + 8 <= png.length; ) {
    const length = png.readUInt32BE(offset);
    chunks.push({ type: png.toString('latin1', offset + 4, offset + 8), data: png.subarray(offset + 8, offset + 8 + length) });
    offset += 12 + length;
  }
  return chunks;
}

/** A PNG of the image carrying its provenance label. */
export async function encodeLabelledPng(image: AnyImage, provenance: Provenance): Promise<Buffer> {
  return withXmp(await encodePng(image), xmpPacket(provenance));
}

/** A lossless WebP (transparency kept) carrying its provenance label in its XMP chunk. */
export async function encodeLabelledWebp(image: AnyImage, provenance: Provenance): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: channelsOf(image) } })
    .webp({ lossless: true })
    .withXmp(xmpPacket(provenance))
    .toBuffer();
}

export function sourceTypeOf(operation: string): DigitalSourceType {
  return operation === 'txt2img' ? 'trainedAlgorithmicMedia' : 'compositeWithTrainedAlgorithmicMedia';
}
