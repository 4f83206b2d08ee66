// Decoded images as the engine sees them: 8-bit RGB pixels, row-major, no alpha.

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB, row by row. */
  data: Uint8Array;
}

/** A single-channel mask, 0..1 per pixel, where 1 means "repaint this". */
export interface Mask {
  width: number;
  height: number;
  data: Float32Array;
}
