// Conversions between pixels and the tensors the VAE and UNet exchange, and the small
// per-element tensor operations the denoising loop needs.

import type { Mask, RgbImage } from '../../domain/image.js';

/** RGB bytes -> [1, 3, H, W] floats in [-1, 1]. */
export function imageToTensor(image: RgbImage): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = image.data[p * 3 + c]! / 127.5 - 1;
  }
  return out;
}

/** [3, H, W] floats in [-1, 1] -> RGB bytes, rounded. */
export function tensorToImage(data: Float32Array, width: number, height: number, offset = 0): RgbImage {
  const plane = width * height;
  const out = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = data[offset + c * plane + p]!;
      out[p * 3 + c] = Math.round((Math.min(1, Math.max(-1, v)) + 1) * 127.5);
    }
  }
  return { width, height, data: out };
}

/** The mask averaged over each latent cell: how much of that cell is to be repainted. */
export function maskToLatent(mask: Mask, factor: number): Float32Array {
  const w = mask.width / factor;
  const h = mask.height / factor;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        for (let dx = 0; dx < factor; dx++) sum += mask.data[(y * factor + dy) * mask.width + x * factor + dx]!;
      }
      out[y * w + x] = sum / (factor * factor);
    }
  }
  return out;
}

/** Pixels to repaint taken from `generated`, the rest from `original`, weighted by the mask. */
export function composite(original: RgbImage, generated: RgbImage, mask: Mask): RgbImage {
  const out = new Uint8Array(generated.data.length);
  for (let p = 0; p < mask.data.length; p++) {
    const m = mask.data[p]!;
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      out[i] = Math.round(original.data[i]! * (1 - m) + generated.data[i]! * m);
    }
  }
  return { width: generated.width, height: generated.height, data: out };
}

/** Copies a [C, h, w] tensor `count` times into one batch tensor. */
export function repeat(data: Float32Array, count: number): Float32Array {
  const out = new Float32Array(data.length * count);
  for (let i = 0; i < count; i++) out.set(data, i * data.length);
  return out;
}

export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Interleaves per-sample channel blocks: [B, C1, ...] and [B, C2, ...] -> [B, C1 + C2, ...]. */
export function concatChannels(batch: number, parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (let b = 0; b < batch; b++) {
    for (const part of parts) {
      const size = part.length / batch;
      out.set(part.subarray(b * size, (b + 1) * size), offset);
      offset += size;
    }
  }
  return out;
}

export function scale(data: Float32Array, k: number): Float32Array {
  return data.map((v) => v * k);
}
