// The local diffusion engine: txt2img, img2img, inpaint, style transfer, multi-image
// blending and outpainting on ONNX models from the catalog. Each operation is prepared here
// (inputs fitted to the model's grid, style templates applied, latents blended, canvases
// extended) and then runs through the model family's pipeline: the UNet one (pipeline.ts)
// or the flow-matching one (flow/flow-pipeline.ts).

import { freemem } from 'node:os';
import { DarkroomError } from '../../domain/errors.js';
import { sharedLoad } from '../../domain/shared-load.js';
import { onWhite, type Mask, type RgbImage } from '../../domain/image.js';
import type { JobWarning } from '../../domain/warning.js';
import { DIFFUSION_OPERATIONS, isDiffusion, GENERATION_DEFAULTS, SCHEDULER_NAMES, type DiffusionSpec, type GenerationDefaults, type JobSpec, type Operation } from '../../domain/job.js';
import { extendCanvas, fitSize, onGrid, resizeImage, resizeMask } from '../../images/codec.js';
import type { ModelCatalog, ModelEntry } from '../../models/catalog.js';
import type { Engine, EngineJob, EngineResult, JobEstimate, RunContext } from '../engine.js';
import { weightedSlerp } from './blend.js';
import { loadPipeline } from './load.js';
import { fitJob, weightBytes, type Fit } from './memory.js';
import type { FlowModelConfig } from './flow/flow-config.js';
import { isFlow, type ModelConfig } from './model-config.js';
import type { SessionPool } from './onnx-session.js';
import { hiresSize, isLatentUpscaler, secondPass, secondPassSteps, type Upscale } from './hires.js';
import type { ImagePipeline, GenerateRequest, StepProgress } from './pipeline.js';
import { unfamiliarPromptWarning, unfamiliarWords } from './prompt-coverage.js';
import { randomSeed } from './rng.js';
import { lcmMaxSteps } from './schedulers/index.js';
import { applyStyle, stylePreset } from './styles.js';

/** A flow model whose files take more than this share of the free memory runs in low-memory mode. */
const LOW_MEMORY_SHARE = 0.5;

export class DiffusionEngine implements Engine {
  readonly id = 'diffusion';
  private readonly pipelines = new Map<string, Promise<ImagePipeline>>();
  private readonly weights = new Map<string, Promise<number>>();

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly sessions: SessionPool,
    /** Bytes one job may use at its peak (see memory.ts). */
    private readonly memoryBudget = Infinity,
    /** ESRGAN, for hires fix's esrgan-* upscalers (the image tools' upscaler). */
    private readonly upscale?: Upscale,
  ) {}

  supports(operation: Operation, model: ModelEntry | undefined): boolean {
    return model?.engine === 'diffusion' && DIFFUSION_OPERATIONS.includes(operation);
  }

  async check(spec: JobSpec, model: ModelEntry | undefined): Promise<JobEstimate | void> {
    if (!isDiffusion(spec) || !model) return;
    const pipeline = await this.pipeline(model);
    const { config } = pipeline;
    const f = config.sizeMultiple;
    // Outpaint margins may be any size: prepare() fits the extended canvas to the grid.
    for (const [name, value] of [
      ['width', spec.width],
      ['height', spec.height],
    ] as const) {
      if (value !== undefined && value % f !== 0) {
        throw new DarkroomError('invalid_parameter', `Expected ${name} to be a multiple of ${f} for ${model.name}, got ${value}`);
      }
    }
    if (spec.operation !== 'txt2img' && !config.files.vaeEncoder) {
      throw new DarkroomError('unsupported_operation', `${model.name} has no VAE encoder, so it cannot start from an image`);
    }
    if (isFlow(config)) {
      checkFlowJob(spec, model.name, config);
    } else if (spec.scheduler === 'lcm') {
      // LCM shortens its distillation schedule by the strength, so a weak edit has fewer
      // steps to take; a strength too weak for any step returns the image, as elsewhere.
      const strength = 'strength' in spec ? spec.strength : 1;
      const most = lcmMaxSteps(config.scheduler, strength);
      if (most > 0 && spec.steps > most) {
        const at = strength < 1 ? ` at strength ${strength}` : '';
        throw new DarkroomError('invalid_parameter', `Expected at most ${most} steps with the lcm scheduler${at}, got ${spec.steps}`);
      }
    }
    const styleName = 'style' in spec ? spec.style : undefined;
    const style = styleName === undefined ? undefined : stylePreset(styleName);
    if (styleName !== undefined && !style) throw new DarkroomError('invalid_parameter', `Unknown style "${styleName}" (see GET /api/v1/styles)`);
    const prompts = style ? applyStyle(style, spec.prompt, spec.negative_prompt) : { prompt: spec.prompt, negative: spec.negative_prompt };
    pipeline.checkPrompts(prompts.prompt, prompts.negative, spec.guidance);
    // An edit's unasked side follows its image, unknown here: the asked one stands in (run() checks the real size).
    const { width, height } = txt2imgSize(spec, config);
    // Hires fix peaks at its target size.
    const size = spec.operation === 'txt2img' && spec.hires ? hiresSize(spec.hires, { width, height }, f) : { width, height };
    const lowMemory = await this.lowMemory(model, config, spec.low_memory);
    const { peakBytes } = await this.fit(model, config, lowMemory, { ...size, count: spec.n, guided: pipeline.guided(spec.guidance), tiledVae: spec.tiled_vae });
    return { peakBytes, lowMemory };
  }

  /** The batch a job runs in, after refusing it past the model's size limit or the memory budget. */
  private async fit(model: ModelEntry, config: ModelConfig, lowMemory: boolean, job: Parameters<typeof fitJob>[4]): Promise<Fit> {
    const weights = await sharedLoad(this.weights, `${model.path}\n${lowMemory}`, () => weightBytes(config, lowMemory));
    return fitJob(config, model.name, weights, this.memoryBudget, job);
  }

  /**
   * Whether a flow model's text encoder is released before denoising: as the job asks, else
   * when the model's files exceed half the free memory (both sides would crowd it).
   */
  private async lowMemory(model: ModelEntry, config: ModelConfig, asked: boolean | undefined): Promise<boolean> {
    if (!isFlow(config)) return false;
    if (asked !== undefined) return asked;
    const weights = await sharedLoad(this.weights, `${model.path}\nfalse`, () => weightBytes(config, false));
    return weights > LOW_MEMORY_SHARE * freemem();
  }

  async defaults(model: ModelEntry): Promise<Partial<GenerationDefaults>> {
    return (await this.pipeline(model)).config.defaults;
  }

  /** A prompt mostly of words the model's vocabulary does not hold draws something else. */
  async advise(spec: JobSpec, model: ModelEntry | undefined): Promise<JobWarning[]> {
    if (!isDiffusion(spec) || !model) return [];
    const pipeline = await this.pipeline(model);
    const unknown = unfamiliarWords(spec.prompt, (word) => pipeline.vocabulary.knows(word));
    const warnings = unknown.length > 0 ? [unfamiliarPromptWarning(model.name, unknown, pipeline.config.examplePrompts)] : [];
    if (spec.fast_decode && !pipeline.config.files.vaeDecoderTiny) {
      warnings.push({ code: 'no_fast_decoder', message: `${model.name} has no tiny decoder (vae_decoder_tiny/), so the full VAE decodes the images` });
    }
    return warnings;
  }

  /** The model's family, what it can do, the size it was trained at, the grid its sizes must fit, what it recommends, and prompts it draws well. */
  async describe(model: ModelEntry) {
    const { config } = await this.pipeline(model);
    // Everything but text-to-image starts from a picture; flow models here cannot inpaint.
    const fromImage: Operation[] = isFlow(config) ? ['img2img', 'style', 'blend'] : DIFFUSION_OPERATIONS.filter((op) => op !== 'txt2img');
    return {
      family: config.family,
      operations: ['txt2img', ...(config.files.vaeEncoder ? fromImage : [])],
      schedulers: isFlow(config) ? ['euler'] : [...SCHEDULER_NAMES],
      // A tiny decoder (TAESD) gives a preview on every step and fast_decode.
      tiny_decoder: config.files.vaeDecoderTiny !== undefined,
      native_size: config.defaultSize,
      size_multiple: config.sizeMultiple,
      defaults: { ...GENERATION_DEFAULTS, ...config.defaults, width: config.defaultWidth, height: config.defaultHeight },
      example_prompts: config.examplePrompts,
    };
  }

  pipeline(model: ModelEntry): Promise<ImagePipeline> {
    return sharedLoad(this.pipelines, model.path, () => loadPipeline(model.path, this.sessions));
  }

  async run(job: EngineJob, context: RunContext): Promise<EngineResult> {
    const { spec } = job;
    if (!isDiffusion(spec)) throw new DarkroomError('unsupported_operation', `The diffusion engine cannot do ${spec.operation}`);
    const model = await this.catalog.resolve(spec.model);
    const pipeline = await this.pipeline(model);
    const request = await this.prepare(pipeline, spec, job.images.map(onWhite), job.mask);
    const hires = spec.operation === 'txt2img' ? spec.hires : undefined;
    const target = hires ? hiresSize(hires, request, pipeline.config.sizeMultiple) : request;
    const lowMemory = await this.lowMemory(model, pipeline.config, spec.low_memory);
    request.lowMemory = lowMemory;
    const { batch, peakBytes } = await this.fit(model, pipeline.config, lowMemory, { ...target, count: request.count, guided: pipeline.guided(request.guidance), tiledVae: request.tiledVae });
    // Image k draws only from seed + k (pipeline.ts), so a batch split into runs makes the same images.
    const runs = Math.ceil(request.count / batch);
    const progress = stepCounter(context, runs * request.steps + (hires ? request.count * secondPassSteps(hires, request.steps) : 0));
    const images: EngineResult['images'] = [];
    for (let run = 0; run < runs; run++) {
      const count = Math.min(batch, request.count - run * batch);
      // Hires fix's latent upscalers start from the first pass's latents: its pictures are not needed.
      const latentsOnly = hires !== undefined && isLatentUpscaler(hires.upscaler);
      const first = await pipeline.generate({ ...request, seed: request.seed + run * batch, count, latentsOnly }, { signal: context.signal, onStep: progress.onStep });
      progress.next();
      if (!hires) {
        images.push(...first.images);
        continue;
      }
      for (let k = 0; k < count; k++) {
        const second = await secondPass(pipeline, { request, hires, target: { ...target, seed: request.seed + run * batch + k } }, first, k, { signal: context.signal, upscale: this.upscale });
        images.push((await pipeline.generate(second, { signal: context.signal, onStep: progress.onStep })).images[0]!);
        progress.next();
      }
    }
    return { images, warnings: [], peakBytes };
  }

  /** Turns a job into one pipeline request. */
  private async prepare(pipeline: ImagePipeline, spec: DiffusionSpec, inputs: RgbImage[], mask: Mask | undefined): Promise<GenerateRequest> {
    const { sizeMultiple, defaultSize } = pipeline.config;
    let { prompt, negative_prompt: negative } = spec;
    const style = 'style' in spec && spec.style ? stylePreset(spec.style) : undefined;
    if (style) ({ prompt, negative } = applyStyle(style, prompt, negative));
    const base = {
      prompt,
      negativePrompt: negative,
      steps: spec.steps,
      guidance: spec.guidance,
      scheduler: spec.scheduler,
      seed: spec.seed ?? randomSeed(),
      count: spec.n,
      tiledVae: spec.tiled_vae,
      fastDecode: spec.fast_decode,
    };
    if (spec.operation === 'txt2img') return { ...base, ...txt2imgSize(spec, pipeline.config) };

    const first = inputs[0];
    if (!first) throw new DarkroomError('invalid_parameter', `${spec.operation} needs an image`);
    if (spec.operation === 'outpaint') {
      // The canvas grows by the asked margins; the new area is the mask, the old pixels are kept.
      const canvas = await extendCanvas(first, { left: spec.left, right: spec.right, top: spec.top, bottom: spec.bottom });
      // The original part keeps about the model's native scale; the canvas grows around it.
      const growth = Math.max(canvas.image.width, canvas.image.height) / Math.max(first.width, first.height);
      const size = this.size(spec, canvas.image.width, canvas.image.height, sizeMultiple, Math.round(defaultSize * growth));
      return { ...base, ...size, image: await resizeImage(canvas.image, size.width, size.height), mask: await resizeMask(canvas.mask, size.width, size.height), strength: 1 };
    }
    // Without an asked size, keep the first image's shape at the model's native scale.
    const size = this.size(spec, first.width, first.height, sizeMultiple, defaultSize);
    const image = await resizeImage(first, size.width, size.height);
    if (spec.operation === 'inpaint') {
      if (!mask) throw new DarkroomError('invalid_parameter', 'inpaint needs a mask');
      return { ...base, ...size, image, mask: await resizeMask(mask, size.width, size.height), strength: spec.strength };
    }
    if (spec.operation === 'blend') {
      const images = await Promise.all(inputs.map((input) => resizeImage(input, size.width, size.height)));
      const latents = await Promise.all(images.map((input) => pipeline.encodeMean(input, spec.tiled_vae)));
      const weights = spec.weights ?? images.map(() => 1);
      return { ...base, ...size, image, imageLatents: weightedSlerp(latents, weights), strength: spec.strength };
    }
    return { ...base, ...size, image, strength: spec.strength };
  }

  /**
   * The asked size; with one side asked, the other keeps the input's aspect ratio; with
   * none, the input's shape at about `target` pixels on its long side. On the model's grid.
   */
  private size(spec: DiffusionSpec, width: number, height: number, factor: number, target: number) {
    if (spec.width !== undefined && spec.height !== undefined) return { width: spec.width, height: spec.height };
    if (spec.width !== undefined) return { width: spec.width, height: onGrid((spec.width * height) / width, factor) };
    if (spec.height !== undefined) return { width: onGrid((spec.height * width) / height, factor), height: spec.height };
    return fitSize(width, height, target, factor);
  }
}

/** What a flow-matching transformer cannot do, refused by name before the job is queued. */
function checkFlowJob(spec: DiffusionSpec, name: string, config: FlowModelConfig): void {
  if (spec.operation === 'inpaint' || spec.operation === 'outpaint') {
    throw new DarkroomError('unsupported_operation', `${name} cannot ${spec.operation}: ${FAMILY_NAMES[config.family]} models here have no inpainting (txt2img, img2img, style and blend work)`);
  }
  if (spec.scheduler !== 'euler') {
    throw new DarkroomError('invalid_parameter', `${name} samples with the flow-matching Euler sampler only: use scheduler "euler", not "${spec.scheduler}"`);
  }
}

const FAMILY_NAMES = { 'z-image': 'Z-Image', sd3: 'Stable Diffusion 3', flux: 'Flux' } as const;

/** A text-to-image size: as asked (one side asked makes a square), else the model's recommended size. */
function txt2imgSize(spec: DiffusionSpec, config: ModelConfig): { width: number; height: number } {
  if (spec.width === undefined && spec.height === undefined) return { width: config.defaultWidth, height: config.defaultHeight };
  const side = (spec.width ?? spec.height)!;
  return { width: spec.width ?? side, height: spec.height ?? side };
}

interface StepCounter {
  onStep(progress: StepProgress): Promise<void>;
  /** The pass that reported last has ended: the next one counts on from it. */
  next(): void;
}

/** One progress count over a job's passes (batches, hires second passes) towards `total`. */
function stepCounter(context: RunContext, total: number): StepCounter {
  let done = 0;
  let last = 0;
  return {
    onStep: async (p) => {
      last = p.step;
      await context.progress({ ...p, step: done + p.step, total: Math.max(total, done + p.total) });
    },
    next: () => {
      done += last;
      last = 0;
    },
  };
}
