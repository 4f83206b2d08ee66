// Decoded images as the engines see them: 8-bit RGB pixels, row-major (diffusion works on
// these), or RGBA with straight alpha (the image tools keep transparency).

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB, row by row. */
  data: Uint8Array;
  /** Absent or 3; keeps an RGBA image (channels: 4) from passing for this type. */
  channels?: 3;
}

/** width * height * 4 bytes, RGBA, row by row, alpha not premultiplied. */
export interface RgbaImage {
  width: number;
  height: number;
  channels: 4;
  data: Uint8Array;
}

export type AnyImage = RgbImage | RgbaImage;

export function hasAlpha(image: AnyImage): image is RgbaImage {
  return 'channels' in image && image.channels === 4;
}

export function channelsOf(image: AnyImage): 3 | 4 {
  return hasAlpha(image) ? 4 : 3;
}

/** The image as seen on a white page: RGBA composited over white, RGB as it is. */
export function onWhite(image: AnyImage): RgbImage {
  if (!hasAlpha(image)) return image;
  const pixels = image.width * image.height;
  const data = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const a = image.data[p * 4 + 3]! / 255;
    for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.round(image.data[p * 4 + c]! * a + 255 * (1 - a));
  }
  return { width: image.width, height: image.height, data };
}

/** A single-channel mask, 0..1 per pixel, where 1 means "repaint this". */
export interface Mask {
  width: number;
  height: number;
  data: Float32Array;
}
