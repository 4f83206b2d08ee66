// The flow-matching pipeline (Z-Image, SD3, Flux): text-to-image and image-to-image as
// diffusers' ZImagePipeline and ZImageImg2ImgPipeline compute them (SD3's and Flux's
// pipelines share the loop), the family's parts supplied by a FlowFamilyRunner. The
// transformer runs one image and one prompt at a time (the webnn export fixes its batch
// at 1; Z-Image's prompt and negative prompt differ in length).
//
// Random draws: image k draws only from its own generator, seeded with seed + k: first its
// initial noise, then for image-to-image its VAE posterior's noise (pipeline.ts's order).
//
// Low memory: a large text encoder (Z-Image-Turbo's is 4B parameters, Flux's T5 4.7B) and
// transformer need not both be held; with the request's `lowMemory` the text encoders'
// sessions are released once the prompts are encoded, before the first step.

import type { RgbImage } from '../../../domain/image.js';
import { DarkroomError, invalidParameter, throwIfCancelled } from '../../../domain/errors.js';
import { concat, repeat } from '../latents.js';
import type { OnnxModel, SessionPool } from '../onnx-session.js';
import type { GenerateOptions, GenerateRequest, GenerateResult, ImagePipeline } from '../pipeline.js';
import { SeededRandom } from '../rng.js';
import { Vae } from '../vae.js';
import type { FlowModelConfig } from './flow-config.js';
import type { FlowFamilyRunner, PromptFeatures } from './flow-family.js';
import { flowDenoised, flowEulerStep, flowImg2imgStart, flowMatchSchedule, flowScaleNoise } from './flow-match.js';

export class FlowPipeline implements ImagePipeline {
  private readonly vae: Vae;

  constructor(
    readonly config: FlowModelConfig,
    private readonly family: FlowFamilyRunner,
    private readonly sessions: SessionPool,
  ) {
    this.vae = new Vae(config, (path) => this.model(path));
  }

  get vocabulary() {
    return this.family.vocabulary;
  }

  private model(path: string): Promise<OnnxModel> {
    return this.sessions.get(path);
  }

  guided(guidance: number): boolean {
    return this.family.guided(guidance);
  }

  /** Refuses, before any work, a prompt the text encoder cannot read. */
  checkPrompts(prompt: string, negative: string, guidance: number): void {
    this.family.checkPrompt(prompt);
    if (this.family.guided(guidance)) this.family.checkPrompt(negative);
  }

  async generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
    const { config, family } = this;
    const { signal } = options;
    this.check(request);
    const f = config.vaeScaleFactor;
    const shape = { channels: config.latentChannels, height: request.height / f, width: request.width / f };
    const latentSize = shape.channels * shape.height * shape.width;
    const batch = request.count;
    const rngs = Array.from({ length: batch }, (_, k) => new SeededRandom(request.seed + k));
    const noise = request.latents ?? concat(rngs.map((rng) => rng.normals(latentSize)));
    if (noise.length !== batch * latentSize) throw invalidParameter(`Expected ${batch * latentSize} initial latent values, got ${noise.length}`);

    const guided = family.guided(request.guidance);
    const cond = await family.encode(request.prompt);
    const uncond = guided ? await family.encode(request.negativePrompt) : undefined;
    if (request.lowMemory) {
      for (const path of [config.files.textEncoder, config.files.textEncoder2, config.files.textEncoder3]) if (path) await this.sessions.release(path);
    }
    throwIfCancelled(signal);

    const schedule = flowMatchSchedule(config.scheduler, request.steps, config.sigmaSpacing, (shape.height / config.patchSize) * (shape.width / config.patchSize));
    const fromImage = request.image !== undefined || request.imageLatents !== undefined;
    const strength = fromImage ? (request.strength ?? 0.6) : 1;
    const start = fromImage ? flowImg2imgStart(request.steps, strength) : 0;
    const clean = request.imageLatents
      ? repeat(request.imageLatents, batch)
      : request.image && strength < 1
        ? await this.vae.encodeSamples(request.image, rngs, request.tiledVae)
        : undefined;
    // Every image's latents, one after another; image-to-image starts from its picture noised to the first step's sigma.
    let x = clean ? (start < request.steps ? flowScaleNoise(clean, noise, schedule.sigmas[start]!) : clean) : Float32Array.from(noise);

    const previewDecoder = config.files.vaeDecoderTiny ? 'tiny' : 'full';
    const total = request.steps - start;
    for (let i = start; i < request.steps; i++) {
      throwIfCancelled(signal);
      const next = new Float32Array(x.length);
      let firstDenoised: Float32Array | undefined;
      for (let k = 0; k < batch; k++) {
        const sample = x.subarray(k * latentSize, (k + 1) * latentSize);
        const velocity = await this.velocity(sample, shape, schedule.timesteps[i]!, cond, uncond, request.guidance);
        next.set(flowEulerStep(velocity, sample, schedule.sigmas, i), k * latentSize);
        if (k === 0) firstDenoised = flowDenoised(velocity, sample, schedule.sigmas[i]!);
      }
      x = next;
      const denoised = firstDenoised!;
      await options.onStep?.({
        step: i - start + 1,
        total,
        preview: () => this.vae.decode(denoised, shape.width, shape.height, request.tiledVae, previewDecoder),
        cheapPreview: previewDecoder === 'tiny',
      });
    }
    throwIfCancelled(signal);
    if (request.latentsOnly) return { images: [], latents: x };
    const images: GenerateResult['images'] = [];
    for (let k = 0; k < batch; k++) {
      const decoder = request.fastDecode && config.files.vaeDecoderTiny ? 'tiny' : 'full';
      images.push({ seed: request.seed + k, image: await this.vae.decode(x.subarray(k * latentSize, (k + 1) * latentSize), shape.width, shape.height, request.tiledVae, decoder) });
    }
    return { images, latents: x };
  }

  private async velocity(sample: Float32Array, shape: { channels: number; height: number; width: number }, timestep: number, cond: PromptFeatures, uncond: PromptFeatures | undefined, guidance: number) {
    const pos = await this.family.velocity(sample, shape, timestep, cond, guidance);
    if (!uncond) return pos;
    return this.family.combine(pos, await this.family.velocity(sample, shape, timestep, uncond, guidance), guidance);
  }

  private check(request: GenerateRequest) {
    const m = this.config.sizeMultiple;
    for (const [name, value] of [
      ['width', request.width],
      ['height', request.height],
    ] as const) {
      if (!Number.isInteger(value) || value < m || value % m !== 0) throw invalidParameter(`Expected ${name} to be a positive multiple of ${m} for this model, got ${value}`);
    }
    if (!Number.isInteger(request.steps) || request.steps < 1) throw invalidParameter(`Expected steps to be an integer from 1 and up, got ${request.steps}`);
    if (!Number.isInteger(request.count) || request.count < 1) throw invalidParameter(`Expected count to be an integer from 1 and up, got ${request.count}`);
    if (request.strength !== undefined && !(request.strength >= 0 && request.strength <= 1)) throw invalidParameter(`Expected strength to be from 0 to 1, got ${request.strength}`);
    if (request.scheduler !== 'euler') throw invalidParameter(`This model samples with the flow-matching Euler sampler only (scheduler "euler"), not "${request.scheduler}"`);
    if (request.mask) throw new DarkroomError('unsupported_operation', 'This model has no inpainting: it cannot repaint part of an image');
    if (request.image && (request.image.width !== request.width || request.image.height !== request.height)) {
      throw invalidParameter(`Expected the image to be ${request.width}x${request.height}, got ${request.image.width}x${request.image.height}`);
    }
  }

  encodeMean(image: RgbImage, tiled?: boolean): Promise<Float32Array> {
    return this.vae.encodeMean(image, tiled);
  }

  decode(latents: Float32Array, w: number, h: number, tiled: boolean | undefined, which: 'full' | 'tiny'): Promise<RgbImage> {
    return this.vae.decode(latents, w, h, tiled, which);
  }
}
