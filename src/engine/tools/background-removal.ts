// Background removal with ISNet (salient-object segmentation, xuebinqin/DIS) as IMG.LY ships
// it in @imgly/background-removal-data, run on onnxruntime-node (the CPU, or CUDA with DARKROOM_DEVICE).
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
// chunks listed in dist/resources.json, which we join into a temporary file for the session
// to read and delete once it is open (SessionPool keeps model files for good), and ISNet
// exports twelve outputs, including a 64x512x512 side map, of which OnnxModel.run would
// fetch and convert all; here only `output` is fetched.
//
// Errors: `invalid_parameter` (unknown model or output), `invalid_image` (empty or
// inconsistent pixels), `image_too_large` (over `maxPixels`), `cancelled` (signal aborted,
// checked before and after inference), `model_invalid` / `model_not_found` (data package).

import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { DarkroomError, expectOneOf, invalidParameter, throwIfCancelled } from '../../domain/errors.js';
import { sharedLoad } from '../../domain/shared-load.js';
import { sessionPlacement, type OnnxDevice } from '../device.js';
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
  /** Where the session runs and its threads per operator (default: the CPU, onnxruntime's thread count). */
  device?: OnnxDevice;
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
    return sharedLoad(this.sessions, model, () => openSession(model, this.options.device));
  }
}

function checkModel(model: unknown): BackgroundModel {
  return expectOneOf(BACKGROUND_MODELS, model, 'the background model');
}

/**
 * Writes the model to `path`: its chunks from dist/, each at the offset resources.json gives
 * it, through one buffer reused for every chunk (a buffer per chunk would linger in the JS
 * heap until a collection, as the whole model would).
 */
async function writeModelFile(model: BackgroundModel, path: string): Promise<void> {
  const dist = join(packageDir(DATA_PACKAGE, `${DATA_PACKAGE}/package.json`), 'dist');
  const resources = JSON.parse(await readFile(join(dist, 'resources.json'), 'utf8')) as ResourceList;
  const entry = resources[`/models/${model}`];
  if (!entry) throw new DarkroomError('model_not_found', `${DATA_PACKAGE} has no /models/${model}`);
  const buffer = Buffer.alloc(Math.max(...entry.chunks.map(({ offsets: [from, to] }) => to - from)));
  const file = await open(path, 'wx');
  try {
    for (const chunk of entry.chunks) {
      const [from, to] = chunk.offsets;
      const part = await open(join(dist, chunk.hash));
      try {
        const { size } = await part.stat();
        if (size !== to - from || to > entry.size) {
          throw new DarkroomError('model_invalid', `${DATA_PACKAGE}: chunk ${chunk.hash} of /models/${model} has ${size} bytes, expected ${to - from}`);
        }
        const { bytesRead } = await part.read(buffer, 0, size, 0);
        await file.write(buffer, 0, bytesRead, from);
      } finally {
        await part.close();
      }
    }
  } finally {
    await file.close();
  }
}

/**
 * The session, opened from a temporary file rather than from the model's bytes: a buffer
 * handed to onnxruntime stays in the JS heap until V8's next full collection, which does
 * not come before the first run, so its 44-88 MB would add to the run's peak.
 */
async function openSession(model: BackgroundModel, device: OnnxDevice | undefined): Promise<ort.InferenceSession> {
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-isnet-'));
  try {
    const path = join(dir, `${model}.onnx`);
    await writeModelFile(model, path);
    try {
      return await ort.InferenceSession.create(path, {
        ...sessionPlacement(device),
        // Not 'all': its NCHWc layout folds the float16 weights into reordered float32 copies
        // (the session holds ~300 MB more), and on this graph, whose float16 convolutions the
        // CPU provider runs through casts anyway, the layout reorders it adds cost what the
        // faster convolutions save (the same CPU time per run, measured with 1.30).
        graphOptimizationLevel: 'extended',
        // Without the arena, the ~600 MB of activations a 1024x1024 pass needs is given back
        // after each run (RSS drops to the weights' size) at no measurable cost in speed.
        enableCpuMemArena: false,
        enableMemPattern: false,
      });
    } catch (error) {
      const reason = (error as Error).message.split('\n')[0]!.replaceAll(path, `${model}.onnx`);
      throw new DarkroomError('model_invalid', `ISNet (${model}) is not a loadable ONNX model: ${reason}`, { cause: error });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
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
