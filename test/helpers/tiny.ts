// Test helpers around the built-in model: opening it, assembling its fp16 and legacy
// variants (main model with the variant's files laid over it), and reading and comparing
// pixels.

import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/config.js';
import type { RgbImage } from '../../src/domain/image.js';
import { loadPipeline } from '../../src/engine/diffusion/load.js';
import { SessionPool } from '../../src/engine/diffusion/onnx-session.js';
import { DiffusionPipeline, type ImagePipeline } from '../../src/engine/diffusion/pipeline.js';

export const TINY_DIR = join(packageRoot(), 'models', 'darkroom-tiny');
export const TINY_XL_DIR = join(packageRoot(), 'models', 'darkroom-tiny-xl');
export const TINY_FLOW_DIR = join(packageRoot(), 'models', 'darkroom-tiny-flow');
export const FIXTURES = join(packageRoot(), 'test', 'fixtures');

/** A built-in model of any family, with its own sessions. */
export async function openModel(dir: string): Promise<{ pipeline: ImagePipeline; sessions: SessionPool }> {
  const sessions = new SessionPool();
  return { pipeline: await loadPipeline(dir, sessions), sessions };
}

/** A built-in UNet model (darkroom-tiny or -xl, or a copy) with its own sessions. */
export async function openTiny(dir = TINY_DIR): Promise<{ pipeline: DiffusionPipeline; sessions: SessionPool }> {
  const sessions = new SessionPool();
  const pipeline = await loadPipeline(dir, sessions);
  if (!(pipeline instanceof DiffusionPipeline)) throw new Error(`${dir} is not a UNet model`);
  return { pipeline, sessions };
}

/** A temporary copy of a built-in model with a variant's files laid over it. */
export async function variantDir(variant: 'fp16' | 'legacy' | 'inpaint9'): Promise<string>;
export async function variantDir(variant: 'fp16' | 'ort-names', model: 'xl'): Promise<string>;
export async function variantDir(variant: 'int4', model: 'flow'): Promise<string>;
export async function variantDir(variant: string, model?: 'xl' | 'flow'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `darkroom-${variant}-`));
  const [main, variants] = model === 'xl' ? [TINY_XL_DIR, 'tiny-xl-variants'] : model === 'flow' ? [TINY_FLOW_DIR, 'tiny-flow-variants'] : [TINY_DIR, 'tiny-variants'];
  await cp(main, dir, { recursive: true });
  await cp(join(FIXTURES, variants, variant), dir, { recursive: true });
  return dir;
}

/** darkroom-tiny-flow as a whole folder in the webnn/Z-Image-Turbo file set (tools/train-tiny/variants_flow.py). */
export const TINY_FLOW_WEBNN_DIR = join(FIXTURES, 'tiny-flow-variants', 'webnn');

export const PALETTE: Record<string, [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 80, 220],
  yellow: [245, 215, 40],
  orange: [245, 135, 25],
  purple: [135, 55, 185],
  white: [245, 245, 245],
  black: [20, 20, 20],
  pink: [245, 135, 185],
  gray: [128, 128, 128],
};

export function pixel(image: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * image.width + x) * 3;
  return [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
}

/** Mean absolute difference per channel value between two images of one size, over the pixels where `inside(x, y)` holds. */
export function meanAbsDiff(a: RgbImage, b: RgbImage, inside: (x: number, y: number) => boolean = () => true): number {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`Expected two images of one size, got ${a.width}x${a.height} and ${b.width}x${b.height}`);
  let sum = 0;
  let count = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!inside(x, y)) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[(y * a.width + x) * 3 + c]! - b.data[(y * a.width + x) * 3 + c]!);
      count += 3;
    }
  }
  return sum / count;
}

/** Mean colour of a square region. */
export function regionMean(image: RgbImage, x0: number, y0: number, size: number): [number, number, number] {
  const sum = [0, 0, 0];
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) pixel(image, x, y).forEach((v, c) => (sum[c]! += v));
  return sum.map((v) => v / (size * size)) as [number, number, number];
}

function distance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

/** The palette colour nearest to an RGB value. */
export function colourName(rgb: readonly number[]): string {
  return Object.entries(PALETTE).reduce((best, [name, value]) => (distance(rgb, value) < distance(rgb, PALETTE[best]!) ? name : best), 'red');
}

/** The background is the nearest palette colour to the mean of the four corners. */
export function backgroundOf(image: RgbImage): string {
  const s = 5;
  const corners = [regionMean(image, 0, 0, s), regionMean(image, image.width - s, 0, s), regionMean(image, 0, image.height - s, s), regionMean(image, image.width - s, image.height - s, s)];
  return colourName([0, 1, 2].map((c) => corners.reduce((n, k) => n + k[c]!, 0) / 4));
}

export interface ShapeReading {
  colour: string;
  /** Centroid of the shape's pixels, as fractions of the image side. */
  cx: number;
  cy: number;
  /** Pixels of the shape over its bounding box: ~1 square, ~0.79 circle, ~0.5 triangle. */
  fill: number;
  area: number;
}

/** Finds the pixels that are not background and describes them. */
export function readShape(image: RgbImage): ShapeReading {
  const bg = PALETTE[backgroundOf(image)]!;
  let n = 0;
  let sx = 0;
  let sy = 0;
  let minX = image.width;
  let minY = image.height;
  let maxX = -1;
  let maxY = -1;
  const sum = [0, 0, 0];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const p = pixel(image, x, y);
      if (distance(p, bg) < 90) continue;
      n++;
      sx += x;
      sy += y;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
      p.forEach((v, c) => (sum[c]! += v));
    }
  }
  if (n === 0) return { colour: 'none', cx: 0.5, cy: 0.5, fill: 0, area: 0 };
  return {
    colour: colourName(sum.map((v) => v / n)),
    cx: (sx / n + 0.5) / image.width,
    cy: (sy / n + 0.5) / image.height,
    fill: n / ((maxX - minX + 1) * (maxY - minY + 1)),
    area: n / (image.width * image.height),
  };
}

export function shapeFromFill(fill: number): 'square' | 'circle' | 'triangle' {
  if (fill > 0.9) return 'square';
  if (fill > 0.64) return 'circle';
  return 'triangle';
}
