// Image content classification with the NSFWJS models (MIT) and the weights bundled in the
// nsfwjs package, run on the shared tfjs wasm backend.
//
//   const classifier = new ContentClassifier();
//   const scores = await classifier.classify(image);  // { Drawing, Hentai, Neutral, Porn, Sexy }, sums to 1
//   classifier.dispose();
//   // or the shared instance: await classify(image)
//
// Only the weights are taken from nsfwjs (through its exported `nsfwjs/models/*` entries,
// which import no TensorFlow.js); its runtime imports the @tensorflow/tfjs umbrella with
// chained ops, which would run on a second tfjs-core copy on the CPU backend. The input
// is prepared as nsfwjs's `infer` does: values / 255, then resizeBilinear with aligned
// corners to the model's square size (224 MobileNetV2, 299 InceptionV3). An image larger
// than 1024 px on a side is first reduced with sharp, so the wasm heap (which never shrinks)
// stays small. Alpha is ignored, as nsfwjs ignores it: colour hidden under transparency
// still counts.
//
// Errors: `invalid_parameter` (unknown model), `invalid_image` (empty or inconsistent
// pixels), `image_too_large` (over `maxPixels`), `cancelled`, `model_invalid`.

import type { Tensor } from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { DarkroomError, expectOneOf, throwIfCancelled } from '../../domain/errors.js';
import { sharedLoad } from '../../domain/shared-load.js';
import type { RgbImage } from '../../domain/image.js';
import { layersModelBytes, loadLayersModel, tensorflow, type LayersModel } from './tfjs.js';
import { DEFAULT_MAX_TOOL_PIXELS, checkImage, rgbOf, type ToolImage } from './tool-image.js';

/** nsfwjs's output order (its nsfw_classes.js). */
export const CONTENT_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;
export type ContentClass = (typeof CONTENT_CLASSES)[number];
export type ContentScores = Record<ContentClass, number>;

/**
 * The nsfwjs layers models. MobileNetV2Mid is left out: it is a graph model and would need
 * tfjs-converter for no gain over these two.
 */
export const CLASSIFIER_MODELS = ['mobilenet_v2', 'inception_v3'] as const;
export type ClassifierModel = (typeof CLASSIFIER_MODELS)[number];

const PRE_REDUCE_SIDE = 1024;

export interface ClassifyOptions {
  /** Default `mobilenet_v2` (3.5 MB, nsfwjs's default); `inception_v3` is larger and slower. */
  model?: ClassifierModel;
  /** Refuse inputs with more pixels than this (default 4096 * 4096). */
  maxPixels?: number;
  signal?: AbortSignal;
}

interface WeightPackage {
  modelJson: () => Promise<{ default: unknown }>;
  weightBundles: (() => Promise<{ default: unknown }>)[];
}

interface LoadedClassifier {
  network: LayersModel;
  size: number;
}

export class ContentClassifier {
  private readonly models = new Map<ClassifierModel, Promise<LoadedClassifier>>();

  /** Loads (once) a model, so a caller can pay the load before serving. */
  async load(model: ClassifierModel = 'mobilenet_v2'): Promise<void> {
    await this.model(checkModel(model));
  }

  async classify(image: ToolImage, options: ClassifyOptions = {}): Promise<ContentScores> {
    const model = checkModel(options.model ?? 'mobilenet_v2');
    checkImage(image, options.maxPixels ?? DEFAULT_MAX_TOOL_PIXELS);
    throwIfCancelled(options.signal);
    const { network, size } = await this.model(model);
    const rgb = await reduce(rgbOf(image));
    throwIfCancelled(options.signal);
    const tf = await tensorflow();
    const output = tf.tidy(() => {
      const pixels = tf.div(tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'float32'), 255);
      const resized = tf.image.resizeBilinear(pixels as Parameters<typeof tf.image.resizeBilinear>[0], [size, size], true);
      return network.predict(tf.reshape(resized, [1, size, size, 3])) as Tensor;
    });
    let probabilities: Float32Array;
    try {
      probabilities = (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
    if (probabilities.length !== CONTENT_CLASSES.length) {
      throw new DarkroomError('model_invalid', `The ${model} classifier gave ${probabilities.length} scores, expected ${CONTENT_CLASSES.length}`);
    }
    return Object.fromEntries(CONTENT_CLASSES.map((name, i) => [name, probabilities[i]!])) as ContentScores;
  }

  /** Frees every loaded model's weights. */
  dispose(): void {
    const models = [...this.models.values()];
    this.models.clear();
    for (const model of models) void model.then((m) => m.network.dispose(), () => undefined);
  }

  private model(model: ClassifierModel): Promise<LoadedClassifier> {
    return sharedLoad(this.models, model, () => loadClassifier(model));
  }
}

let shared: ContentClassifier | undefined;

/** Classifies with a process-wide ContentClassifier (the model stays loaded). */
export function classify(image: ToolImage, options: ClassifyOptions = {}): Promise<ContentScores> {
  shared ??= new ContentClassifier();
  return shared.classify(image, options);
}

function checkModel(model: unknown): ClassifierModel {
  return expectOneOf(CLASSIFIER_MODELS, model, 'the classifier model');
}

async function loadClassifier(model: ClassifierModel): Promise<LoadedClassifier> {
  let weights: WeightPackage;
  let size: number;
  try {
    if (model === 'mobilenet_v2') {
      weights = (await import('nsfwjs/models/mobilenet_v2')).MobileNetV2Model as WeightPackage;
      size = 224;
    } else {
      weights = (await import('nsfwjs/models/inception_v3')).InceptionV3Model as WeightPackage;
      size = 299;
    }
  } catch (error) {
    throw new DarkroomError('model_not_found', `The nsfwjs package is not installed (npm install nsfwjs): ${(error as Error).message}`, { cause: error });
  }
  const json = (await weights.modelJson()).default as Parameters<typeof layersModelBytes>[0];
  // The shards ship as base64 text inside JavaScript modules, in manifest order.
  const shards = await Promise.all(weights.weightBundles.map(async (bundle) => Buffer.from((await bundle()).default as string, 'base64')));
  const network = await loadLayersModel(layersModelBytes(json, shards), `nsfwjs ${model}`);
  return { network, size };
}

async function reduce(image: RgbImage): Promise<RgbImage> {
  if (image.width <= PRE_REDUCE_SIDE && image.height <= PRE_REDUCE_SIDE) return image;
  const width = Math.min(image.width, PRE_REDUCE_SIDE);
  const height = Math.min(image.height, PRE_REDUCE_SIDE);
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
