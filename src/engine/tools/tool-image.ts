// The pixels the image tools take and give: the engine's 8-bit RGB image, or the same with
// an alpha channel (RGBA, straight alpha); a single-channel 8-bit matte; the checks every
// tool runs before work (non-empty, consistent, within a pixel limit); and encoding results
// with their alpha as PNG or WebP.

import sharp from 'sharp';
import { DarkroomError } from '../../domain/errors.js';
import { channelsOf, hasAlpha, type AnyImage, type RgbaImage, type RgbImage } from '../../domain/image.js';

export { channelsOf, hasAlpha, type RgbaImage };

/** Pixels a tool takes or makes by default: Darkroom's default DARKROOM_MAX_PIXELS. */
export const DEFAULT_MAX_TOOL_PIXELS = 4096 * 4096;

/** What a tool accepts: RGB (as the codec decodes it) or RGBA. */
export type ToolImage = AnyImage;

/** One byte per pixel, 0 (background) to 255 (foreground). */
export interface Matte {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Refuses what no tool can work on: empty or fractional sizes, a buffer that does not match
 * the size (`invalid_image`), and more pixels than `maxPixels` (`image_too_large`).
 */
export function checkImage(image: ToolImage, maxPixels: number, what = 'The image'): void {
  const { width, height } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DarkroomError('invalid_image', `${what} must be at least 1x1 pixels, got ${width}x${height}`);
  }
  const expected = width * height * channelsOf(image);
  if (image.data.length !== expected) {
    throw new DarkroomError('invalid_image', `${what} is ${width}x${height}x${channelsOf(image)} and needs ${expected} bytes, got ${image.data.length}`);
  }
  if (width * height > maxPixels) {
    throw new DarkroomError('image_too_large', `${what} has ${width}x${height} pixels; at most ${maxPixels} are allowed`);
  }
}

/** The RGB part of an image (shares memory when it has no alpha). */
export function rgbOf(image: ToolImage): RgbImage {
  if (!hasAlpha(image)) return image;
  const pixels = image.width * image.height;
  const data = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    data[p * 3] = image.data[p * 4]!;
    data[p * 3 + 1] = image.data[p * 4 + 1]!;
    data[p * 3 + 2] = image.data[p * 4 + 2]!;
  }
  return { width: image.width, height: image.height, data };
}

export function alphaOf(image: RgbaImage): Matte {
  const pixels = image.width * image.height;
  const data = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) data[p] = image.data[p * 4 + 3]!;
  return { width: image.width, height: image.height, data };
}

export function withAlpha(rgb: RgbImage, alpha: Matte): RgbaImage {
  if (rgb.width !== alpha.width || rgb.height !== alpha.height) {
    throw new DarkroomError('internal', `Alpha ${alpha.width}x${alpha.height} does not fit an image of ${rgb.width}x${rgb.height}`);
  }
  const pixels = rgb.width * rgb.height;
  const data = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    data[p * 4] = rgb.data[p * 3]!;
    data[p * 4 + 1] = rgb.data[p * 3 + 1]!;
    data[p * 4 + 2] = rgb.data[p * 3 + 2]!;
    data[p * 4 + 3] = alpha.data[p]!;
  }
  return { width: rgb.width, height: rgb.height, channels: 4, data };
}

export type ResizeKernel = 'linear' | 'cubic' | 'lanczos3';

export async function resizeMatte(matte: Matte, width: number, height: number, kernel: ResizeKernel = 'linear'): Promise<Matte> {
  if (matte.width === width && matte.height === height) return matte;
  const data = await sharp(matte.data, { raw: { width: matte.width, height: matte.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel })
    // sharp 0.35 turns one-channel raw input into sRGB unless told to stay grey.
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export interface EncodeOptions {
  format: 'png' | 'webp';
  /** WebP only: 1..100 lossy quality; unset keeps WebP lossless. */
  quality?: number;
}

/** PNG or WebP with no metadata; RGBA keeps its alpha, a matte becomes a grey image. */
export async function encodeToolImage(image: ToolImage | Matte, options: EncodeOptions): Promise<Buffer> {
  const channels = 'channels' in image ? 4 : image.data.length === image.width * image.height ? 1 : 3;
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels } });
  if (channels === 1) pipeline = pipeline.toColourspace('b-w');
  if (options.format === 'png') return pipeline.png().toBuffer();
  return options.quality === undefined ? pipeline.webp({ lossless: true }).toBuffer() : pipeline.webp({ quality: options.quality, alphaQuality: 100 }).toBuffer();
}
