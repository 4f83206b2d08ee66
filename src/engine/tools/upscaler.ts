// ESRGAN super-resolution with the UpscalerJS weights that ship in npm packages
// (@upscalerjs/esrgan-slim, -medium, -thick; MIT), run on the shared tfjs wasm backend.
//
//   const upscaler = new Upscaler();            // caches one model per (model, scale)
//   const big = await upscaler.upscale(image, { scale: 4, model: 'slim', signal, onProgress });
//   upscaler.dispose();
//
// Any size works in bounded memory: the image goes through the network in tiles of
// `tile` x `tile` input pixels, each read with `overlap` pixels of context on every side
// (the edge pixel repeated past the image border); only the tile's own centre is kept, so
// no seam shows where tiles meet. An alpha channel is not given to the network (it was
// trained on RGB) but resized with lanczos3 and reattached.
//
// Errors: `invalid_parameter` (unknown model, scale, tile, overlap), `invalid_image` (empty
// or inconsistent pixels), `image_too_large` (the output would pass `maxPixels`),
// `cancelled` (the signal aborted; checked between tiles), `model_invalid` (weights unreadable).

import { join } from 'node:path';
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';
import { DarkroomError, expectOneOf, invalidParameter, throwIfCancelled } from '../../domain/errors.js';
import { sharedLoad } from '../../domain/shared-load.js';
import type { RgbImage } from '../../domain/image.js';
import type { Progress } from '../engine.js';
import { packageDir, requirePackage } from './package-assets.js';
import { layersModelFiles, loadLayersModel, tensorflow, tfl, type LayersModel, type Tf } from './tfjs.js';
import { DEFAULT_MAX_TOOL_PIXELS, alphaOf, checkImage, hasAlpha, resizeMatte, rgbOf, withAlpha, type RgbaImage, type ToolImage } from './tool-image.js';

export const UPSCALE_MODELS = ['slim', 'medium', 'thick'] as const;
export type UpscaleModel = (typeof UPSCALE_MODELS)[number];
export const UPSCALE_SCALES = [2, 3, 4, 8] as const;
export type UpscaleScale = (typeof UPSCALE_SCALES)[number];

export const DEFAULT_TILE = 128;
export const DEFAULT_OVERLAP = 16;

export interface UpscaleOptions {
  scale: UpscaleScale;
  model: UpscaleModel;
  /** Input pixels per tile side (default 128); larger tiles are faster and use more memory. */
  tile?: number;
  /** Context read around each tile, in input pixels (default 16), then cropped away. */
  overlap?: number;
  /** Refuse when width * height of the result would pass this (default 4096 * 4096). */
  maxPixels?: number;
  signal?: AbortSignal;
  /** Called after each tile; awaited, so a slow listener slows the upscale rather than queueing. */
  onProgress?: (progress: Progress) => void | Promise<void>;
}

/** What the weight packages' CommonJS entries export (`require('@upscalerjs/esrgan-slim/4x')`). */
interface ModelDefinition {
  scale: number;
  modelType: 'layers' | 'graph';
  _internals: { path: string; name: string; version: string };
  meta: { architecture: 'rdn' | 'rrdn' };
  inputRange: [number, number];
  outputRange: [number, number];
}

interface LoadedModel {
  network: LayersModel;
  inputMax: number;
  outputMax: number;
}

export class Upscaler {
  private readonly models = new Map<string, Promise<LoadedModel>>();

  /** Loads (once) and returns nothing; lets a caller pay the load before timing or serving. */
  async load(model: UpscaleModel, scale: UpscaleScale): Promise<void> {
    await this.model(checkModel(model), checkScale(scale));
  }

  /** The result has the input's kind: RGBA in, RGBA out; RGB in, RGB out. */
  upscale(image: RgbaImage, options: UpscaleOptions): Promise<RgbaImage>;
  upscale(image: RgbImage, options: UpscaleOptions): Promise<RgbImage>;
  upscale(image: ToolImage, options: UpscaleOptions): Promise<ToolImage>;
  async upscale(image: ToolImage, options: UpscaleOptions): Promise<ToolImage> {
    const scale = checkScale(options.scale);
    const model = checkModel(options.model);
    const tile = checkInteger('tile', options.tile ?? DEFAULT_TILE, 8, 4096);
    const overlap = checkInteger('overlap', options.overlap ?? DEFAULT_OVERLAP, 0, 1024);
    checkImage(image, Number.POSITIVE_INFINITY);
    const maxPixels = options.maxPixels ?? DEFAULT_MAX_TOOL_PIXELS;
    const width = image.width * scale;
    const height = image.height * scale;
    if (width * height > maxPixels) {
      throw new DarkroomError(
        'image_too_large',
        `Upscaling ${image.width}x${image.height} by ${scale} gives ${width}x${height} pixels; at most ${maxPixels} are allowed`,
      );
    }
    throwIfCancelled(options.signal);
    const loaded = await this.model(model, scale);
    const tf = await tensorflow();
    const rgb = await upscaleTiles(tf, loaded, rgbOf(image), scale, tile, overlap, options);
    if (!hasAlpha(image)) return rgb;
    return withAlpha(rgb, await resizeMatte(alphaOf(image), width, height, 'lanczos3'));
  }

  /** Frees every cached model's weights. */
  dispose(): void {
    const models = [...this.models.values()];
    this.models.clear();
    for (const model of models) void model.then((m) => m.network.dispose(), () => undefined);
  }

  private model(model: UpscaleModel, scale: UpscaleScale): Promise<LoadedModel> {
    return sharedLoad(this.models, `${model}x${scale}`, () => loadModel(model, scale));
  }
}

function checkModel(model: unknown): UpscaleModel {
  return expectOneOf(UPSCALE_MODELS, model, 'the upscale model');
}

function checkScale(scale: unknown): UpscaleScale {
  return expectOneOf(UPSCALE_SCALES, scale, 'the upscale factor');
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Expected ${name} to be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

async function loadModel(model: UpscaleModel, scale: UpscaleScale): Promise<LoadedModel> {
  const name = `@upscalerjs/esrgan-${model}`;
  const entry = `${name}/${scale}x`;
  const root = packageDir(name, entry);
  const definition = requirePackage<ModelDefinition>(entry);
  const tf = await tensorflow();
  if (definition.meta.architecture === 'rrdn') registerRrdnLayers(tf);
  const network = await loadLayersModel(layersModelFiles(join(root, definition._internals.path)), `ESRGAN ${model} x${scale}`);
  return { network, inputMax: definition.inputRange[1], outputMax: definition.outputRange[1] };
}

let rrdnRegistered = false;

/**
 * The two layers RRDN (thick) models use that Keras defined in Python: a residual scaled by
 * beta, and a sub-pixel shuffle (tf.depthToSpace), as UpscalerJS's getModelDefinition does.
 */
function registerRrdnLayers(tf: Tf): void {
  if (rrdnRegistered) return;
  const first = (inputs: Tensor | Tensor[]): Tensor => (Array.isArray(inputs) ? inputs[0]! : inputs);
  type LayerConfig = ConstructorParameters<typeof tfl.layers.Layer>[0] & { beta?: number; scale?: number };

  class MultiplyBeta extends tfl.layers.Layer {
    static className = 'MultiplyBeta';
    private readonly beta: number;
    constructor(config: LayerConfig = {}) {
      super(config);
      this.beta = config.beta ?? 0.2;
    }
    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.mul(first(inputs), this.beta);
    }
  }
  tf.serialization.registerClass(MultiplyBeta);

  for (const factor of UPSCALE_SCALES) {
    class PixelShuffle extends tfl.layers.Layer {
      static className = `PixelShuffle${factor}x`;
      override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
        const [batch, h, w] = (Array.isArray(shape[0]) ? shape[0] : shape) as tfl.Shape;
        return [batch ?? null, h == null ? null : h * factor, w == null ? null : w * factor, 3];
      }
      override call(inputs: Tensor | Tensor[]): Tensor {
        return tf.depthToSpace(first(inputs) as Tensor4D, factor, 'NHWC');
      }
    }
    tf.serialization.registerClass(PixelShuffle);
  }
  rrdnRegistered = true;
}

async function upscaleTiles(
  tf: Tf,
  model: LoadedModel,
  image: RgbImage,
  scale: number,
  tile: number,
  overlap: number,
  options: UpscaleOptions,
): Promise<RgbImage> {
  const { width, height } = image;
  const outWidth = width * scale;
  const out = new Uint8Array(outWidth * height * scale * 3);
  const columns = Math.ceil(width / tile);
  const total = columns * Math.ceil(height / tile);
  const toInput = model.inputMax / 255;
  const toByte = 255 / model.outputMax;
  let step = 0;
  for (let y0 = 0; y0 < height; y0 += tile) {
    for (let x0 = 0; x0 < width; x0 += tile) {
      throwIfCancelled(options.signal);
      const x1 = Math.min(x0 + tile, width);
      const y1 = Math.min(y0 + tile, height);
      // Context past the image's border repeats the edge pixel: the network's zero padding
      // alone would darken the outermost output pixels.
      const cw = x1 - x0 + 2 * overlap;
      const ch = y1 - y0 + 2 * overlap;
      const patch = new Float32Array(cw * ch * 3);
      for (let y = 0; y < ch; y++) {
        const sy = clamp(y0 - overlap + y, height);
        for (let x = 0; x < cw; x++) {
          const from = (sy * width + clamp(x0 - overlap + x, width)) * 3;
          const to = (y * cw + x) * 3;
          patch[to] = image.data[from]! * toInput;
          patch[to + 1] = image.data[from + 1]! * toInput;
          patch[to + 2] = image.data[from + 2]! * toInput;
        }
      }
      const result = tf.tidy(() => model.network.predict(tf.tensor4d(patch, [1, ch, cw, 3])) as Tensor);
      let pixels: Float32Array;
      try {
        pixels = (await result.data()) as Float32Array;
      } finally {
        result.dispose();
      }
      // Keep only the tile's own centre of the network's output.
      const pw = cw * scale;
      const left = overlap * scale;
      const top = overlap * scale;
      const keepWidth = (x1 - x0) * scale;
      for (let y = 0; y < (y1 - y0) * scale; y++) {
        const from = ((top + y) * pw + left) * 3;
        const to = ((y0 * scale + y) * outWidth + x0 * scale) * 3;
        for (let i = 0; i < keepWidth * 3; i++) {
          const v = Math.round(pixels[from + i]! * toByte);
          out[to + i] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
      step += 1;
      await options.onProgress?.({ step, total });
    }
  }
  return { width: outWidth, height: height * scale, data: out };
}

function clamp(i: number, size: number): number {
  return i < 0 ? 0 : i >= size ? size - 1 : i;
}
