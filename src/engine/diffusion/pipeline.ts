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
import { composite, concat, concatChannels, maskToLatent, repeat, scale } from './latents.js';
import type { DiffusionModelConfig, ModelConfig } from './model-config.js';
import type { OnnxModel, SessionPool } from './onnx-session.js';
import { SeededRandom } from './rng.js';
import { Vae } from './vae.js';
import { createScheduler, img2imgStartIndex, type SchedulerName } from './schedulers/index.js';
import type { Conditioner } from './conditioning/conditioner.js';
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
  /**
   * SDXL's micro-conditioning: the size the picture should look drawn at and where it is
   * cropped from (diffusers' original_size and crops_coords_top_left). Default: the
   * output size, uncropped.
   */
  sizeConditioning?: { originalWidth: number; originalHeight: number; cropTop: number; cropLeft: number };
  /** Run the VAE in overlapping tiles: true, false, or (absent) above 1.5x the native side. */
  tiledVae?: boolean;
  /** Decode the final images with the tiny decoder, when the model has one. */
  fastDecode?: boolean;
  /** Return the final latents only, no pictures (hires fix's first pass in latent space). */
  latentsOnly?: boolean;
  /** Flow models: release the text encoder before the first step (flow/flow-pipeline.ts). */
  lowMemory?: boolean;
}

export interface StepProgress {
  step: number;
  total: number;
  /** Decodes the current estimate of the first image: with the tiny decoder when the model has one, else one full VAE decode. */
  preview(): Promise<RgbImage>;
  /** The preview comes from the tiny decoder: cheap enough for every step. */
  cheapPreview: boolean;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  /** Awaited before the next step, so a preview can be rendered in order. */
  onStep?: (progress: StepProgress) => void | Promise<void>;
}

export interface GenerateResult {
  images: { seed: number; image: RgbImage }[];
  /** Final latents of the batch, [count, C, h, w]: for hires fix, parity checks and tests. */
  latents: Float32Array;
}

/** What the engine runs a job on, whatever the model's family (this file's UNet pipeline, flow/flow-pipeline.ts). */
export interface ImagePipeline {
  readonly config: ModelConfig;
  /** What the prompt-coverage advice asks. */
  readonly vocabulary: { knows(word: string): boolean };
  /** Refuses, before the job is queued, a prompt the text encoder cannot read. */
  checkPrompts(prompt: string, negative: string, guidance: number): void;
  /** Whether this guidance scale runs the denoiser on the negative prompt too (twice the work). */
  guided(guidance: number): boolean;
  generate(request: GenerateRequest, options?: GenerateOptions): Promise<GenerateResult>;
  /** Latents of the image's posterior mean, [C, h, w] (for blending). */
  encodeMean(image: RgbImage, tiled?: boolean): Promise<Float32Array>;
  decode(latents: Float32Array, w: number, h: number, tiled: boolean | undefined, which: 'full' | 'tiny'): Promise<RgbImage>;
}

export class DiffusionPipeline implements ImagePipeline {
  readonly tokenizer: ClipTokenizer;
  private readonly vae: Vae;

  constructor(
    readonly config: DiffusionModelConfig,
    private readonly conditioner: Conditioner,
    private readonly sessions: SessionPool,
  ) {
    this.tokenizer = conditioner.tokenizer;
    this.vae = new Vae(config, (path) => this.model(path));
  }

  private model(path: string): Promise<OnnxModel> {
    return this.sessions.get(path);
  }

  get vocabulary() {
    return this.tokenizer;
  }

  /** CLIP reads a prompt of any length, in windows of 75 tokens. */
  checkPrompts(): void {}

  /** diffusers' do_classifier_free_guidance (LCM UNets, which embed the guidance, are told apart when they run). */
  guided(guidance: number): boolean {
    return guidance > 1;
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
    const sdxlUnet = unet.inputs.has('text_embeds') && unet.inputs.has('time_ids');
    if (sdxlUnet !== (config.family === 'sdxl')) {
      throw new DarkroomError(
        'model_invalid',
        sdxlUnet
          ? 'The UNet takes text_embeds and time_ids (an SDXL UNet), but the model has no SDXL configuration (text_encoder_2, addition_embed_type "text_time")'
          : 'The configuration says SDXL, but the UNet takes no text_embeds and time_ids',
      );
    }
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
    const context = await this.conditioner.encode(request.prompt, request.negativePrompt, guided);
    throwIfCancelled(signal);

    const strength = request.image || request.imageLatents ? (request.strength ?? 0.75) : 1;
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
        ? await this.vae.encodeSamples(request.image, rngs, request.tiledVae)
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
    const inpaintExtra = inpaintingUnet && request.mask && request.image ? await this.inpaintConditioning(request.image, request.mask, batch, request.tiledVae) : undefined;

    const total = scheduler.timesteps.length - start;
    const copies = guided ? 2 : 1;
    // Constant over the steps: the text conditioning (unconditional first, as diffusers
    // orders it) and, for LCM UNets, the guidance embedding.
    const rowsOf = (cond: Float32Array, uncond: Float32Array) => (guided ? concat([repeat(uncond, batch), repeat(cond, batch)]) : repeat(cond, batch));
    const hiddenStates = { kind: 'float' as const, data: rowsOf(context.cond, context.uncond), dims: [copies * batch, context.length, context.width] };
    const addedConditioning: Parameters<OnnxModel['run']>[0] = {};
    if (context.pooled) {
      const { cond, uncond, width } = context.pooled;
      addedConditioning.text_embeds = { kind: 'float', data: rowsOf(cond, uncond), dims: [copies * batch, width] };
      const ids = timeIds(request);
      addedConditioning.time_ids = { kind: 'float', data: rowsOf(ids, ids), dims: [copies * batch, 6] };
    }
    const condDim = lcm ? unet.input('timestep_cond').shape[1] : undefined;
    const guidanceCond = lcm ? repeat(guidanceEmbedding(request.guidance, typeof condDim === 'number' ? condDim : (config.timeCondProjDim ?? 256)), batch) : undefined;
    const previewDecoder = config.files.vaeDecoderTiny ? 'tiny' : 'full';
    for (let i = start; i < scheduler.timesteps.length; i++) {
      throwIfCancelled(signal);
      const t = scheduler.timesteps[i]!;
      let modelInput = scheduler.scaleModelInput(x, i);
      if (inpaintExtra) modelInput = concatChannels(batch, [modelInput, inpaintExtra]);
      const feeds: Parameters<OnnxModel['run']>[0] = {
        sample: { kind: 'float', data: repeat(modelInput, copies), dims: [copies * batch, unetChannels, h, w] },
        timestep: { kind: 'float', data: new Float32Array(copies * batch).fill(t), dims: [copies * batch] },
        encoder_hidden_states: hiddenStates,
        ...addedConditioning,
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
      await options.onStep?.({
        step: i - start + 1,
        total,
        preview: () => this.decode(denoised.subarray(0, latentSize), w, h, request.tiledVae, previewDecoder),
        cheapPreview: previewDecoder === 'tiny',
      });
    }
    throwIfCancelled(signal);
    if (request.latentsOnly) return { images: [], latents: x };

    const images: GenerateResult['images'] = [];
    for (let k = 0; k < batch; k++) {
      const decoder = request.fastDecode && config.files.vaeDecoderTiny ? 'tiny' : 'full';
      let image = await this.decode(x.subarray(k * latentSize, (k + 1) * latentSize), w, h, request.tiledVae, decoder);
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

  /** Scaled latents of the image's posterior mean, [C, h, w] (for blending). */
  encodeMean(image: RgbImage, tiled?: boolean): Promise<Float32Array> {
    return this.vae.encodeMean(image, tiled);
  }

  /** The 5 extra channels an inpainting UNet takes: the latent mask and the masked image's latents. */
  private async inpaintConditioning(image: RgbImage, mask: Mask, batch: number, tiled: boolean | undefined): Promise<Float32Array> {
    // diffusers: masked_image = image * (mask < 0.5), in [-1, 1], so masked pixels are 0 (grey).
    const data = Uint8Array.from(image.data);
    for (let p = 0; p < image.width * image.height; p++) {
      if (mask.data[p]! >= 0.5) data.fill(128, p * 3, p * 3 + 3);
    }
    const latents = await this.encodeMean({ ...image, data }, tiled);
    const latentMask = maskToLatent(mask, this.config.vaeScaleFactor).map((v) => (v >= 0.5 ? 1 : 0));
    return repeat(concatChannels(1, [latentMask, latents]), batch);
  }

  /** Pixels of one image's scaled latents [C, h, w], by the full VAE decoder or the tiny one (TAESD). */
  decode(latents: Float32Array, w: number, h: number, tiled: boolean | undefined, which: 'full' | 'tiny'): Promise<RgbImage> {
    return this.vae.decode(latents, w, h, tiled, which);
  }
}

/** SDXL's six time_ids: original size, crop top-left, target size, each (height, width). */
export function timeIds(request: GenerateRequest): Float32Array {
  const size = request.sizeConditioning;
  return Float32Array.from([
    size?.originalHeight ?? request.height,
    size?.originalWidth ?? request.width,
    size?.cropTop ?? 0,
    size?.cropLeft ?? 0,
    request.height,
    request.width,
  ]);
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
