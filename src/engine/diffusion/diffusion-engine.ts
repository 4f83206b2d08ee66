// The local Stable Diffusion engine: runs txt2img, img2img and inpaint jobs on ONNX
// models from the catalog, fitting input images to the model's grid first.

import { DarkroomError } from '../../domain/errors.js';
import type { JobSpec, Operation } from '../../domain/job.js';
import type { Mask, RgbImage } from '../../domain/image.js';
import { fitSize, resizeImage, resizeMask } from '../../images/codec.js';
import type { ModelCatalog, ModelEntry } from '../../models/catalog.js';
import type { Engine, EngineJob, EngineResult, RunContext } from '../engine.js';
import { loadPipeline } from './load.js';
import type { SessionPool } from './onnx-session.js';
import type { DiffusionPipeline } from './pipeline.js';
import { randomSeed } from './rng.js';

const OPERATIONS: readonly Operation[] = ['txt2img', 'img2img', 'inpaint'];

export class DiffusionEngine implements Engine {
  readonly id = 'diffusion';
  private readonly pipelines = new Map<string, Promise<DiffusionPipeline>>();

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly sessions: SessionPool,
  ) {}

  supports(operation: Operation, model: ModelEntry): boolean {
    return model.engine === 'diffusion' && OPERATIONS.includes(operation);
  }

  async check(spec: JobSpec, model: ModelEntry): Promise<void> {
    const { config } = await this.pipeline(model);
    const f = config.vaeScaleFactor;
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
    if (spec.scheduler === 'lcm' && spec.steps > config.scheduler.original_inference_steps) {
      throw new DarkroomError('invalid_parameter', `Expected at most ${config.scheduler.original_inference_steps} steps with the lcm scheduler, got ${spec.steps}`);
    }
  }

  pipeline(model: ModelEntry): Promise<DiffusionPipeline> {
    let pipeline = this.pipelines.get(model.path);
    if (!pipeline) {
      pipeline = loadPipeline(model.path, this.sessions);
      this.pipelines.set(model.path, pipeline);
      pipeline.catch(() => this.pipelines.delete(model.path));
    }
    return pipeline;
  }

  async run(job: EngineJob, context: RunContext): Promise<EngineResult> {
    const { spec } = job;
    const model = await this.catalog.resolve(spec.model);
    const pipeline = await this.pipeline(model);
    const { vaeScaleFactor, defaultSize } = pipeline.config;
    let width = spec.width;
    let height = spec.height;
    let image: RgbImage | undefined;
    let mask: Mask | undefined;
    if (spec.operation !== 'txt2img') {
      if (!job.image) throw new DarkroomError('invalid_parameter', `${spec.operation} needs an image`);
      if (spec.operation === 'inpaint' && !job.mask) throw new DarkroomError('invalid_parameter', 'inpaint needs a mask');
      // Without an asked size, keep the image's shape at the model's native scale.
      const fitted = fitSize(job.image.width, job.image.height, defaultSize, vaeScaleFactor);
      width ??= fitted.width;
      height ??= fitted.height;
      image = await resizeImage(job.image, width, height);
      if (spec.operation === 'inpaint') mask = await resizeMask(job.mask!, width, height);
    }
    width ??= defaultSize;
    height ??= defaultSize;
    const result = await pipeline.generate(
      {
        prompt: spec.prompt,
        negativePrompt: spec.negative_prompt,
        width,
        height,
        steps: spec.steps,
        guidance: spec.guidance,
        scheduler: spec.scheduler,
        seed: spec.seed ?? randomSeed(),
        count: spec.n,
        ...(image ? { image } : {}),
        ...(mask ? { mask } : {}),
        ...(spec.operation !== 'txt2img' ? { strength: spec.strength } : {}),
      },
      { signal: context.signal, onStep: (p) => context.progress(p) },
    );
    return { images: result.images, warnings: [] };
  }
}
