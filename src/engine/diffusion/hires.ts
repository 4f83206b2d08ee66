// Hires fix as AUTOMATIC1111 does it: the first pass at the base size, enlarged to the
// target size (its latents with PyTorch's interpolation, or its decoded picture), then
// redrawn there by image-to-image at the hires strength.

import { DarkroomError } from '../../domain/errors.js';
import { onWhite, type AnyImage, type RgbImage } from '../../domain/image.js';
import type { HiresSpec, HiresUpscaler } from '../../domain/job.js';
import { onGrid, resizeImage } from '../../images/codec.js';
import type { ImagePipeline, GenerateRequest, GenerateResult } from './pipeline.js';
import { img2imgStartIndex } from './schedulers/index.js';

/** ESRGAN, as the image tools run it. */
export type Upscale = (image: RgbImage, options: { scale: 2 | 3 | 4 | 8; model: 'slim' | 'medium' | 'thick'; signal: AbortSignal }) => Promise<AnyImage>;

/** The second pass's size: hr_resize_x/y when given (one keeps the aspect), else base x scale. */
export function hiresSize(hires: HiresSpec, base: { width: number; height: number }, grid: number): { width: number; height: number } {
  const { width, height } = hires;
  if (width !== undefined && height !== undefined) return { width: onGrid(width, grid), height: onGrid(height, grid) };
  if (width !== undefined) return { width: onGrid(width, grid), height: onGrid((width * base.height) / base.width, grid) };
  if (height !== undefined) return { width: onGrid((height * base.width) / base.height, grid), height: onGrid(height, grid) };
  return { width: onGrid(base.width * hires.scale, grid), height: onGrid(base.height * hires.scale, grid) };
}

export function isLatentUpscaler(upscaler: HiresUpscaler): boolean {
  return upscaler === 'latent' || upscaler === 'latent-nearest';
}

/**
 * [C, h, w] latents resized to [C, H, W] as torch.nn.functional.interpolate does: bilinear
 * with align_corners=False (A1111's "Latent") or nearest (A1111's "Latent (nearest)").
 */
export function resizeLatents(data: Float32Array, channels: number, h: number, w: number, H: number, W: number, mode: 'bilinear' | 'nearest'): Float32Array {
  const out = new Float32Array(channels * H * W);
  const sy = h / H;
  const sx = w / W;
  for (let c = 0; c < channels; c++) {
    const plane = data.subarray(c * h * w, (c + 1) * h * w);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let value: number;
        if (mode === 'nearest') {
          value = plane[Math.min(h - 1, Math.floor(y * sy)) * w + Math.min(w - 1, Math.floor(x * sx))]!;
        } else {
          // Half-pixel centres, clamped at the edges (PyTorch's area_pixel_compute_source_index).
          const fy = Math.max(0, (y + 0.5) * sy - 0.5);
          const fx = Math.max(0, (x + 0.5) * sx - 0.5);
          const y0 = Math.min(h - 1, Math.floor(fy));
          const x0 = Math.min(w - 1, Math.floor(fx));
          const y1 = Math.min(h - 1, y0 + 1);
          const x1 = Math.min(w - 1, x0 + 1);
          const ly = fy - y0;
          const lx = fx - x0;
          value =
            (1 - ly) * ((1 - lx) * plane[y0 * w + x0]! + lx * plane[y0 * w + x1]!) + ly * ((1 - lx) * plane[y1 * w + x0]! + lx * plane[y1 * w + x1]!);
        }
        out[c * H * W + y * W + x] = value;
      }
    }
  }
  return out;
}

/** The steps the second pass takes: image-to-image runs about steps x strength of its schedule. */
export function secondPassSteps(hires: HiresSpec, firstPassSteps: number): number {
  const steps = hires.steps ?? firstPassSteps;
  return steps - img2imgStartIndex(steps, hires.strength);
}

/**
 * The request for the second pass of image k of a first pass: its latents or its picture,
 * enlarged to the target size, to redraw there at the hires strength.
 */
export async function secondPass(
  pipeline: ImagePipeline,
  job: { request: GenerateRequest; hires: HiresSpec; target: { width: number; height: number; seed: number } },
  first: GenerateResult,
  k: number,
  tools: { signal: AbortSignal; upscale: Upscale | undefined },
): Promise<GenerateRequest> {
  const { request, hires, target } = job;
  const { latentChannels: c, vaeScaleFactor: f } = pipeline.config;
  const second: GenerateRequest = { ...request, ...target, count: 1, steps: hires.steps ?? request.steps, strength: hires.strength, latentsOnly: false };
  if (isLatentUpscaler(hires.upscaler)) {
    const [h, w] = [request.height / f, request.width / f];
    const latents = first.latents.subarray(k * c * h * w, (k + 1) * c * h * w);
    second.imageLatents = resizeLatents(latents, c, h, w, target.height / f, target.width / f, hires.upscaler === 'latent' ? 'bilinear' : 'nearest');
    return second;
  }
  const image = await enlarge(first.images[k]!.image, target, hires.upscaler, tools);
  second.image = await resizeImage(image, target.width, target.height, hires.upscaler === 'nearest' ? 'nearest' : 'lanczos3');
  return second;
}

/** A picture enlarged by ESRGAN to at least the target (resized to it after), or left to the resize. */
async function enlarge(image: RgbImage, target: { width: number; height: number }, upscaler: HiresUpscaler, tools: { signal: AbortSignal; upscale: Upscale | undefined }): Promise<RgbImage> {
  if (!upscaler.startsWith('esrgan-')) return image;
  if (!tools.upscale) throw new DarkroomError('unsupported_operation', `The ${upscaler} upscaler is not available in this process`);
  const needed = Math.max(target.width / image.width, target.height / image.height);
  const scale = ([2, 3, 4, 8] as const).find((s) => s >= needed) ?? 8;
  const model = upscaler.slice('esrgan-'.length) as 'slim' | 'medium' | 'thick';
  return onWhite(await tools.upscale(image, { scale, model, signal: tools.signal }));
}
