// Decoding and encoding images with sharp, at the edge: uploads and files become 8-bit
// RGB pixels (auto-rotated, alpha flattened) within a pixel limit, masks become 0..1
// weights, and results become PNG with no metadata unless a caller adds some.

import sharp from 'sharp';
import { DarkroomError } from '../domain/errors.js';
import { channelsOf, type AnyImage, type Mask, type RgbImage } from '../domain/image.js';

/** Larger inputs are refused before decoding (a decompression bomb claims far more). */
export const DEFAULT_MAX_INPUT_PIXELS = 40_000_000;

export interface DecodeOptions {
  maxPixels?: number;
}

function unreadable(error: unknown): DarkroomError {
  const reason = (error as Error).message ?? String(error);
  if (/pixel limit/i.test(reason)) {
    return new DarkroomError('image_too_large', 'The image has more pixels than allowed');
  }
  return new DarkroomError('invalid_image', `The image could not be read: ${reason}`, { cause: error });
}

function open(input: Buffer, options: DecodeOptions) {
  return sharp(input, { limitInputPixels: options.maxPixels ?? DEFAULT_MAX_INPUT_PIXELS, failOn: 'error' });
}

/** Any image sharp reads -> 8-bit RGB pixels, EXIF orientation applied, transparency on white. */
export async function decodeImage(input: Buffer, options: DecodeOptions = {}): Promise<RgbImage> {
  return (await decode(input, options, false)) as RgbImage;
}

/** As decodeImage, but an image with transparency comes back as RGBA. */
export async function decodeImageWithAlpha(input: Buffer, options: DecodeOptions = {}): Promise<AnyImage> {
  return decode(input, options, true);
}

async function decode(input: Buffer, options: DecodeOptions, keepAlpha: boolean): Promise<AnyImage> {
  try {
    let pipeline = open(input, options).rotate();
    const alpha = keepAlpha && (await sharp(input, { limitInputPixels: options.maxPixels ?? DEFAULT_MAX_INPUT_PIXELS }).metadata()).hasAlpha;
    pipeline = alpha ? pipeline.ensureAlpha() : pipeline.flatten({ background: '#ffffff' });
    const { data, info } = await pipeline.toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
    return alpha ? { width: info.width, height: info.height, channels: 4, data: pixels } : { width: info.width, height: info.height, data: pixels };
  } catch (error) {
    throw unreadable(error);
  }
}

/** A grey-level mask: white (1) repaints, black (0) keeps; transparency counts as black. */
export async function decodeMask(input: Buffer, options: DecodeOptions = {}): Promise<Mask> {
  try {
    const { data, info } = await open(input, options)
      .rotate()
      .flatten({ background: '#000000' })
      .greyscale()
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: Float32Array.from(data, (v) => v / 255) };
  } catch (error) {
    throw unreadable(error);
  }
}

export async function resizeMask(mask: Mask, width: number, height: number): Promise<Mask> {
  if (mask.width === width && mask.height === height) return mask;
  const bytes = Uint8Array.from(mask.data, (v) => Math.round(v * 255));
  const data = await sharp(bytes, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .resize(width, height, { fit: 'fill' })
    // sharp treats one-channel raw input as RGB on output unless told it is grey.
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  return { width, height, data: Float32Array.from(data, (v) => v / 255) };
}

export async function resizeImage(image: RgbImage, width: number, height: number, kernel: 'lanczos3' | 'nearest' = 'lanczos3'): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A strong blur, for content the moderation policy says to blur. */
export async function blurImage<T extends AnyImage>(image: T): Promise<T> {
  const sigma = Math.max(4, Math.max(image.width, image.height) / 12);
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: channelsOf(image) } }).blur(sigma).raw().toBuffer();
  return { ...image, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export async function encodePng(image: AnyImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: channelsOf(image) } }).png().toBuffer();
}

/**
 * The size to generate at for an input of width x height: the longer side becomes `target`
 * and both sides are rounded to multiples of `factor`.
 */
export function fitSize(width: number, height: number, target: number, factor: number): { width: number; height: number } {
  const k = target / Math.max(width, height);
  return { width: onGrid(width * k, factor), height: onGrid(height * k, factor) };
}

/** The nearest multiple of `factor`, at least `factor`: a side a model's grid accepts. */
export function onGrid(value: number, factor: number): number {
  return Math.max(factor, Math.round(value / factor) * factor);
}

export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * The image on a larger canvas, the new area filled by mirroring the edges (so an
 * inpainting model sees plausible colours there), and a mask that is 1 on the new area.
 */
export async function extendCanvas(image: RgbImage, margins: Margins): Promise<{ image: RgbImage; mask: Mask }> {
  const { left, right, top, bottom } = margins;
  const width = image.width + left + right;
  const height = image.height + top + bottom;
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extend({ left, right, top, bottom, extendWith: 'mirror' })
    .raw()
    .toBuffer();
  const mask = new Float32Array(width * height).fill(1);
  for (let y = top; y < top + image.height; y++) mask.fill(0, y * width + left, y * width + left + image.width);
  return { image: { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }, mask: { width, height, data: mask } };
}
