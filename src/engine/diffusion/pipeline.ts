// The Stable Diffusion denoising pipeline over ONNX models: text-to-image, image-to-image
// and inpainting, as diffusers' StableDiffusion{,Img2Img,Inpaint}Pipeline compute them.
//
// Random draws (see rng.ts): image k of a batch draws only from its own generator, seeded
// with seed + k, so any image can be made again alone. Each generator draws, in order:
//   1. the initial noise (latent size);
//   2. img2img and inpainting: the VAE posterior's noise (latent size), drawn even when the
//      encoder returns a sample itself, so every export of a model gives the same image;
//   3. for ancestral and LCM samplers, one noise tensor per step that needs one.

import type { Mask, RgbImage } from '../../domain/image.js';
import { DarkroomError, invalidParameter, throwIfCancelled } from '../../domain/errors.js';
import {
  composite,
  concat,
  concatChannels,
  imageToTensor,
  maskToLatent,
  repeat,
  scale,
  tensorToImage,
} from './latents.js';
import type { DiffusionModelConfig } from './model-config.js';
import type { OnnxModel, SessionPool } from './onnx-session.js';
import { SeededRandom } from './rng.js';
import { createScheduler, img2imgStartIndex, type SchedulerName } from './schedulers/index.js';
import type { ClipTokenizer } from './tokenizer.js';

export interface GenerateRequest {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  scheduler: SchedulerName;
  seed: number;
  /** Images in the batch; image k uses seed + k. */
  count: number;
  /** img2img and inpainting: the starting image, already width x height. */
  image?: RgbImage;
  /** Inpainting: 1 marks pixels to repaint. */
  mask?: Mask;
  /** How far from the image to go, 0..1 (1 ignores it). */
  strength?: number;
  /** Initial noise for every image, [count, C, h, w], instead of drawing it from the seeds. */
  latents?: Float32Array;
  /** Scaled latents to start from instead of encoding `image` (blend), [C, h, w]. */
  imageLatents?: Float32Array;
}

export interface StepProgress {
  step: number;
  total: number;
  /** Decodes the current estimate of the first image; costs one VAE decode, so ask sparingly. */
  preview(): Promise<RgbImage>;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Awaited before the next step, so a preview can be rendered in order. */
  onStep?: (progress: StepProgress) => void | Promise<void>;
}

export interface GenerateResult {
  images: { seed: number; image: RgbImage }[];
  /** Final latents of the batch, [count, C, h, w] (for parity checks and tests). */
  latents: Float32Array;
}

export class DiffusionPipeline {
  constructor(
    readonly config: DiffusionModelConfig,
    readonly tokenizer: ClipTokenizer,
    private readonly sessions: SessionPool,
  ) {}

  private model(path: string): Promise<OnnxModel> {
    return this.sessions.get(path);
  }

  async generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
    const { config } = this;
    const { signal } = options;
    this.check(request);
    const unet = await this.model(config.files.unet);
    const declaredChannels = unet.input('sample').shape[1];
    const unetChannels = typeof declaredChannels === 'number' ? declaredChannels : config.unetInChannels;
    const inpaintingUnet = unetChannels === 2 * config.latentChannels + 1;
    const lcm = unet.inputs.has('timestep_cond');
    if (inpaintingUnet && !request.mask) {
      throw new DarkroomError('unsupported_operation', 'This is an inpainting model: it needs an image and a mask.');
    }

    const batch = request.count;
    const h = request.height / config.vaeScaleFactor;
    const w = request.width / config.vaeScaleFactor;
    const c = config.latentChannels;
    const latentSize = c * h * w;
    const rngs = Array.from({ length: batch }, (_, k) => new SeededRandom(request.seed + k));
    const drawBatch = () => concat(rngs.map((rng) => rng.normals(latentSize)));

    const guided = !lcm && request.guidance > 1;
    const context = await this.encodePrompts(request.prompt, request.negativePrompt, guided);
    throwIfCancelled(signal);

    const strength = request.image ? (request.strength ?? 0.75) : 1;
    // LCM shortens its own schedule by the strength; the others start part-way down theirs.
    const scheduler = createScheduler(request.scheduler, config.scheduler, request.steps, { strength });
    const start = request.scheduler === 'lcm' ? 0 : img2imgStartIndex(request.steps, strength);

    const noise = request.latents ?? drawBatch();
    if (noise.length !== batch * latentSize) {
      throw invalidParameter(`Expected ${batch * latentSize} initial latent values, got ${noise.length}`);
    }
    const imageLatents = request.imageLatents
      ? repeat(request.imageLatents, batch)
      : request.image && (strength < 1 || request.mask)
        ? await this.encodeImage(request.image, rngs)
        : undefined;
    let x: Float32Array;
    if (imageLatents && strength < 1 && start < scheduler.timesteps.length) {
      x = scheduler.addNoise(imageLatents, noise, start);
    } else if (imageLatents && start >= scheduler.timesteps.length) {
      x = imageLatents;
    } else {
      x = scale(noise, scheduler.initNoiseSigma);
    }

    const keepMask = request.mask && !inpaintingUnet ? repeat(maskToLatent(request.mask, config.vaeScaleFactor), c * batch) : undefined;
    const inpaintExtra = inpaintingUnet && request.mask && request.image ? await this.inpaintConditioning(request.image, request.mask, batch) : undefined;

    const total = scheduler.timesteps.length - start;
    const copies = guided ? 2 : 1;
    // Constant over the steps: the text conditioning (unconditional first, as diffusers
    // orders it) and, for LCM UNets, the guidance embedding.
    const hiddenStates = {
      kind: 'float' as const,
      data: guided ? concat([repeat(context.uncond, batch), repeat(context.cond, batch)]) : repeat(context.cond, batch),
      dims: [copies * batch, context.length, context.width],
    };
    const condDim = lcm ? unet.input('timestep_cond').shape[1] : undefined;
    const guidanceCond = lcm ? repeat(guidanceEmbedding(request.guidance, typeof condDim === 'number' ? condDim : (config.timeCondProjDim ?? 256)), batch) : undefined;
    for (let i = start; i < scheduler.timesteps.length; i++) {
      throwIfCancelled(signal);
      const t = scheduler.timesteps[i]!;
      let modelInput = scheduler.scaleModelInput(x, i);
      if (inpaintExtra) modelInput = concatChannels(batch, [modelInput, inpaintExtra]);
      const feeds: Parameters<OnnxModel['run']>[0] = {
        sample: { kind: 'float', data: repeat(modelInput, copies), dims: [copies * batch, unetChannels, h, w] },
        timestep: { kind: 'float', data: new Float32Array(copies * batch).fill(t), dims: [copies * batch] },
        encoder_hidden_states: hiddenStates,
      };
      if (guidanceCond) feeds.timestep_cond = { kind: 'float', data: guidanceCond, dims: [batch, guidanceCond.length / batch] };
      const out = (await (await this.model(config.files.unet)).run(feeds))[unet.outputNames[0]!]!.data;
      const size = batch * latentSize;
      let prediction = out.subarray(0, size);
      if (guided) {
        const cond = out.subarray(size, 2 * size);
        prediction = prediction.map((u, j) => u + request.guidance * (cond[j]! - u));
      }
      const result = scheduler.step(prediction, i, x, drawBatch);
      x = result.prevSample;
      if (keepMask && imageLatents) {
        // 4-channel inpainting: keep the unmasked area on the original image's noise path.
        const known = i + 1 < scheduler.timesteps.length ? scheduler.addNoise(imageLatents, noise, i + 1) : imageLatents;
        x = x.map((v, j) => keepMask[j]! * v + (1 - keepMask[j]!) * known[j]!);
      }
      const denoised = result.denoised;
      await options.onStep?.({ step: i - start + 1, total, preview: () => this.decode(denoised.subarray(0, latentSize), w, h) });
    }
    throwIfCancelled(signal);

    const images: GenerateResult['images'] = [];
    for (let k = 0; k < batch; k++) {
      let image = await this.decode(x.subarray(k * latentSize, (k + 1) * latentSize), w, h);
      if (request.mask && request.image) image = composite(request.image, image, request.mask);
      images.push({ seed: request.seed + k, image });
    }
    return { images, latents: x };
  }

  private check(request: GenerateRequest) {
    const f = this.config.sizeMultiple;
    for (const [name, value] of [
      ['width', request.width],
      ['height', request.height],
    ] as const) {
      if (!Number.isInteger(value) || value < f || value % f !== 0) {
        throw invalidParameter(`Expected ${name} to be a positive multiple of ${f} for this model, got ${value}`);
      }
    }
    if (!Number.isInteger(request.steps) || request.steps < 1) {
      throw invalidParameter(`Expected steps to be an integer from 1 and up, got ${request.steps}`);
    }
    if (request.strength !== undefined && !(request.strength >= 0 && request.strength <= 1)) {
      throw invalidParameter(`Expected strength to be from 0 to 1, got ${request.strength}`);
    }
    if (!Number.isInteger(request.count) || request.count < 1) {
      throw invalidParameter(`Expected count to be an integer from 1 and up, got ${request.count}`);
    }
    for (const input of [request.image, request.mask]) {
      if (input && (input.width !== request.width || input.height !== request.height)) {
        throw invalidParameter(`Expected the image and mask to be ${request.width}x${request.height}, got ${input.width}x${input.height}`);
      }
    }
    if (request.mask && !request.image) throw invalidParameter('A mask needs an image to paint into');
  }

  /** Hidden states for prompt and negative prompt, with the same number of 77-token windows. */
  private async encodePrompts(prompt: string, negative: string, guided: boolean) {
    const cond = this.tokenizer.windows(prompt);
    const uncond = guided ? this.tokenizer.windows(negative) : [];
    const windows = Math.max(cond.length, uncond.length);
    while (cond.length < windows) cond.push(this.tokenizer.emptyWindow());
    while (guided && uncond.length < windows) uncond.push(this.tokenizer.emptyWindow());
    const ids = [...cond, ...uncond];
    const encoder = await this.model(this.config.files.textEncoder);
    const out = await encoder.run({
      input_ids: { kind: 'int', data: ids.flat(), dims: [ids.length, this.tokenizer.maxLength] },
    });
    const hidden = out.last_hidden_state ?? out[encoder.outputNames[0]!]!;
    const [, length, width] = hidden.dims as [number, number, number];
    const perWindow = length * width;
    return {
      cond: hidden.data.slice(0, windows * perWindow),
      uncond: hidden.data.slice(windows * perWindow, 2 * windows * perWindow),
      length: windows * length,
      width,
    };
  }

  /** The VAE posterior of an image: its mean and, when the export gives it, its log-variance. */
  private async posterior(image: RgbImage): Promise<{ mean: Float32Array; logvar: Float32Array | undefined }> {
    const path = this.config.files.vaeEncoder;
    if (!path) throw new DarkroomError('unsupported_operation', 'This model has no VAE encoder, so it cannot start from an image.');
    const encoder = await this.model(path);
    const out = await encoder.run({ sample: { kind: 'float', data: imageToTensor(image), dims: [1, 3, image.height, image.width] } });
    const { data, dims } = out[encoder.outputNames[0]!]!;
    const c = this.config.latentChannels;
    const size = c * dims[2]! * dims[3]!;
    // latent_parameters holds mean and log-variance; latent_sample is one sample already.
    return { mean: data.subarray(0, size), logvar: dims[1] === 2 * c ? data.subarray(size, 2 * size) : undefined };
  }

  /** Scaled latents of the image's posterior mean, [C, h, w] (for blending). */
  async encodeMean(image: RgbImage): Promise<Float32Array> {
    return scale((await this.posterior(image)).mean, this.config.scalingFactor);
  }

  /** Scaled latents of the image for every image of the batch (posterior samples differ per seed). */
  private async encodeImage(image: RgbImage, rngs: SeededRandom[]): Promise<Float32Array> {
    const { mean, logvar } = await this.posterior(image);
    const size = mean.length;
    const k = this.config.scalingFactor;
    return concat(
      rngs.map((rng) => {
        const eps = rng.normals(size);
        if (!logvar) return scale(mean, k);
        return mean.map((m, j) => (m + Math.exp(0.5 * Math.min(20, Math.max(-30, logvar[j]!))) * eps[j]!) * k);
      }),
    );
  }

  /** The 5 extra channels an inpainting UNet takes: the latent mask and the masked image's latents. */
  private async inpaintConditioning(image: RgbImage, mask: Mask, batch: number): Promise<Float32Array> {
    // diffusers: masked_image = image * (mask < 0.5), in [-1, 1], so masked pixels are 0 (grey).
    const data = Uint8Array.from(image.data);
    for (let p = 0; p < image.width * image.height; p++) {
      if (mask.data[p]! >= 0.5) data.fill(128, p * 3, p * 3 + 3);
    }
    const latents = await this.encodeMean({ ...image, data });
    const latentMask = maskToLatent(mask, this.config.vaeScaleFactor).map((v) => (v >= 0.5 ? 1 : 0));
    return repeat(concatChannels(1, [latentMask, latents]), batch);
  }

  private async decode(latents: Float32Array, w: number, h: number): Promise<RgbImage> {
    const decoder = await this.model(this.config.files.vaeDecoder);
    const out = await decoder.run({
      latent_sample: { kind: 'float', data: scale(latents, 1 / this.config.scalingFactor), dims: [1, this.config.latentChannels, h, w] },
    });
    const sample = out.sample ?? out[decoder.outputNames[0]!]!;
    return tensorToImage(sample.data, w * this.config.vaeScaleFactor, h * this.config.vaeScaleFactor);
  }
}

/** LCM's guidance-scale embedding (diffusers get_guidance_scale_embedding). */
export function guidanceEmbedding(guidance: number, dim: number): Float32Array {
  const w = (guidance - 1) * 1000;
  const half = Math.floor(dim / 2);
  const out = new Float32Array(dim);
  for (let k = 0; k < half; k++) {
    const f = Math.exp((-Math.log(10000) * k) / (half - 1));
    out[k] = Math.sin(w * f);
    out[half + k] = Math.cos(w * f);
  }
  return out;
}
