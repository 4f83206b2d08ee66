// Background removal with ISNet (salient-object segmentation, xuebinqin/DIS) as IMG.LY ships
// it in @imgly/background-removal-data, run on onnxruntime-node (CPU).
//
//   const remover = new BackgroundRemover();           // one session per model variant
//   const { image } = await remover.remove(photo, { output: 'image' });  // RGBA, alpha = matte
//   const { mask } = await remover.remove(photo, { output: 'mask' });    // 0..255 matte
//   const png = await encodeToolImage(image, { format: 'png' });         // or 'webp'
//   await remover.close();
//
// Pre- and post-processing follow IMG.LY's own runInference: the picture is stretched to
// 1024x1024 (aspect not kept), normalised as (v - 128) / 256 per channel into NCHW, and the
// model's `output` (0..1) is scaled to 0..255 and stretched back to the input's size. An
// input alpha is kept: the result's alpha is the matte times the input's alpha.
//
// Licence: the ISNet weights in @imgly/background-removal-data are distributed under
// AGPL-3.0 (its LICENSE.md; the model itself is MIT, per its ThirdPartyLicenses.json). Darkroom
// is AGPL-3.0-or-later, so shipping and serving them is compatible.
//
// Why onnxruntime-node directly rather than SessionPool/OnnxModel: the model ships as 4 MB
// chunks listed in dist/resources.json, which we join in memory (SessionPool only opens a
// file path, so we would have to write a 44-88 MB copy to disk), and ISNet exports twelve
// outputs, including a 64x512x512 side map, of which OnnxModel.run would fetch and convert
// all; here only `output` is fetched.
//
// Errors: `invalid_parameter` (unknown model or output), `invalid_image` (empty or
// inconsistent pixels), `image_too_large` (over `maxPixels`), `cancelled` (signal aborted,
// checked before and after inference), `model_invalid` / `model_not_found` (data package).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { DarkroomError, expectOneOf, invalidParameter, throwIfCancelled } from '../../domain/errors.js';
import { sharedLoad } from '../../domain/shared-load.js';
import { packageDir } from './package-assets.js';
import { DEFAULT_MAX_TOOL_PIXELS, alphaOf, checkImage, hasAlpha, rgbOf, resizeMatte, withAlpha, type Matte, type RgbaImage, type ToolImage } from './tool-image.js';

/**
 * The ISNet variants in @imgly/background-removal-data 1.4, by IMG.LY's names:
 * `medium` has fp16 weights (88 MB, IMG.LY's default), `small` dynamically quantised uint8
 * weights (44 MB). Both take and give float32.
 */
export const BACKGROUND_MODELS = ['medium', 'small'] as const;
export type BackgroundModel = (typeof BACKGROUND_MODELS)[number];

const RESOLUTION = 1024;
const DATA_PACKAGE = '@imgly/background-removal-data';

export interface RemoveBackgroundOptions {
  output: 'image' | 'mask';
  /** Default `medium`. */
  model?: BackgroundModel;
  /** Refuse inputs with more pixels than this (default 4096 * 4096). */
  maxPixels?: number;
  signal?: AbortSignal;
}

export interface BackgroundRemoverOptions {
  /** onnxruntime threads per operator; 0 (default) lets onnxruntime choose. */
  threads?: number;
}

interface ResourceList {
  [path: string]: { size: number; chunks: { hash: string; offsets: [number, number] }[] };
}

export class BackgroundRemover {
  private readonly sessions = new Map<BackgroundModel, Promise<ort.InferenceSession>>();

  constructor(private readonly options: BackgroundRemoverOptions = {}) {}

  /** Opens (once) the model's session, so a caller can pay the load before serving. */
  async load(model: BackgroundModel = 'medium'): Promise<void> {
    await this.session(checkModel(model));
  }

  remove(image: ToolImage, options: RemoveBackgroundOptions & { output: 'image' }): Promise<{ image: RgbaImage }>;
  remove(image: ToolImage, options: RemoveBackgroundOptions & { output: 'mask' }): Promise<{ mask: Matte }>;
  remove(image: ToolImage, options: RemoveBackgroundOptions): Promise<{ image: RgbaImage } | { mask: Matte }>;
  async remove(image: ToolImage, options: RemoveBackgroundOptions): Promise<{ image: RgbaImage } | { mask: Matte }> {
    if (options.output !== 'image' && options.output !== 'mask') {
      throw invalidParameter(`Expected output to be "image" or "mask", got ${JSON.stringify(options.output)}`);
    }
    const model = checkModel(options.model ?? 'medium');
    checkImage(image, options.maxPixels ?? DEFAULT_MAX_TOOL_PIXELS);
    throwIfCancelled(options.signal);
    const session = await this.session(model);
    const input = await toInput(image);
    throwIfCancelled(options.signal);
    let prediction: ort.Tensor;
    try {
      ({ output: prediction } = (await session.run({ input }, ['output'])) as { output: ort.Tensor });
    } catch (error) {
      throw new DarkroomError('model_invalid', `ISNet (${model}) failed to run: ${(error as Error).message}`, { cause: error });
    } finally {
      input.dispose();
    }
    throwIfCancelled(options.signal);
    const matte = await toMatte(prediction, image.width, image.height);
    if (options.output === 'mask') return { mask: matte };
    if (hasAlpha(image)) {
      const own = alphaOf(image).data;
      for (let p = 0; p < own.length; p++) matte.data[p] = Math.round((matte.data[p]! * own[p]!) / 255);
    }
    return { image: withAlpha(rgbOf(image), matte) };
  }

  /** Releases every open session. */
  async close(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((s) => s.then((session) => session.release(), () => undefined)));
  }

  private session(model: BackgroundModel): Promise<ort.InferenceSession> {
    return sharedLoad(this.sessions, model, () => openSession(model, this.options.threads ?? 0));
  }
}

function checkModel(model: unknown): BackgroundModel {
  return expectOneOf(BACKGROUND_MODELS, model, 'the background model');
}

/** The model's bytes: its chunks from dist/, joined in the order resources.json lists them. */
export async function readModelBytes(model: BackgroundModel): Promise<Uint8Array> {
  const dist = join(packageDir(DATA_PACKAGE, `${DATA_PACKAGE}/package.json`), 'dist');
  const resources = JSON.parse(await readFile(join(dist, 'resources.json'), 'utf8')) as ResourceList;
  const entry = resources[`/models/${model}`];
  if (!entry) throw new DarkroomError('model_not_found', `${DATA_PACKAGE} has no /models/${model}`);
  const bytes = new Uint8Array(entry.size);
  for (const chunk of entry.chunks) {
    const [from, to] = chunk.offsets;
    const part = await readFile(join(dist, chunk.hash));
    if (part.length !== to - from || to > entry.size) {
      throw new DarkroomError('model_invalid', `${DATA_PACKAGE}: chunk ${chunk.hash} of /models/${model} has ${part.length} bytes, expected ${to - from}`);
    }
    bytes.set(part, from);
  }
  return bytes;
}

async function openSession(model: BackgroundModel, threads: number): Promise<ort.InferenceSession> {
  const bytes = await readModelBytes(model);
  try {
    // Without the arena, the ~1.5 GB of activations a 1024x1024 pass needs is given back
    // after each run (RSS drops to the weights' size) at no measurable cost in speed.
    return await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      graphOptimizationLevel: 'all',
      enableCpuMemArena: false,
      enableMemPattern: false,
    });
  } catch (error) {
    throw new DarkroomError('model_invalid', `ISNet (${model}) is not a loadable ONNX model: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

async function toInput(image: ToolImage): Promise<ort.Tensor> {
  const rgb = rgbOf(image);
  const pixels = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } })
    .resize(RESOLUTION, RESOLUTION, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  const stride = RESOLUTION * RESOLUTION;
  const data = new Float32Array(3 * stride);
  for (let p = 0; p < stride; p++) {
    data[p] = (pixels[p * 3]! - 128) / 256;
    data[p + stride] = (pixels[p * 3 + 1]! - 128) / 256;
    data[p + 2 * stride] = (pixels[p * 3 + 2]! - 128) / 256;
  }
  return new ort.Tensor('float32', data, [1, 3, RESOLUTION, RESOLUTION]);
}

async function toMatte(prediction: ort.Tensor, width: number, height: number): Promise<Matte> {
  const values = prediction.data as Float32Array;
  const data = new Uint8Array(RESOLUTION * RESOLUTION);
  for (let p = 0; p < data.length; p++) {
    const v = Math.round(values[p]! * 255);
    data[p] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  prediction.dispose();
  return resizeMatte({ width: RESOLUTION, height: RESOLUTION, data }, width, height, 'linear');
}
