// The image tools as an engine: upscale (ESRGAN) and remove-background (ISNet) jobs. They
// take no model from the catalog and no prompt; transparency in the input is kept. Their
// networks (hundreds of MB) are loaded on first use and let go after an idle spell, like
// the diffusion sessions, so a server that upscaled once does not hold them for good.

import { DarkroomError } from '../../domain/errors.js';
import type { JobSpec, Operation } from '../../domain/job.js';
import type { ModelEntry } from '../../models/catalog.js';
import type { OnnxDevice } from '../device.js';
import type { Engine, EngineJob, EngineResult, RunContext } from '../engine.js';
import { BackgroundRemover } from './background-removal.js';
import type { ToolImage } from './tool-image.js';
import { Upscaler, type UpscaleOptions } from './upscaler.js';

const TOOL_OPERATIONS: readonly Operation[] = ['upscale', 'remove-background'];

export interface ToolsEngineOptions {
  upscaler?: Pick<Upscaler, 'upscale' | 'dispose'>;
  remover?: Pick<BackgroundRemover, 'remove' | 'close'>;
  /** Idle time after which the loaded networks are released (default 10 minutes). */
  idleMs?: number;
  /** Where the background remover's onnxruntime session runs (the upscaler runs on tfjs's wasm backend). */
  device?: OnnxDevice;
}

export class ToolsEngine implements Engine {
  readonly id = 'tools';
  private readonly upscaler: NonNullable<ToolsEngineOptions['upscaler']>;
  private readonly remover: NonNullable<ToolsEngineOptions['remover']>;
  private running = 0;
  private idle: NodeJS.Timeout | undefined;

  /** `maxPixels`: the largest image a tool may take or make (DARKROOM_MAX_PIXELS). */
  constructor(
    private readonly maxPixels: number,
    private readonly options: ToolsEngineOptions = {},
  ) {
    this.upscaler = options.upscaler ?? new Upscaler();
    this.remover = options.remover ?? new BackgroundRemover({ device: options.device });
  }

  /** Releases the loaded networks now; the next job loads them again. */
  async release(): Promise<void> {
    clearTimeout(this.idle);
    this.upscaler.dispose();
    await this.remover.close();
  }

  supports(operation: Operation, model: ModelEntry | undefined): boolean {
    return model === undefined && TOOL_OPERATIONS.includes(operation);
  }

  async check(): Promise<void> {}

  async run(job: EngineJob, context: RunContext): Promise<EngineResult> {
    const { spec } = job;
    const input = job.images[0];
    if (!input) throw new DarkroomError('invalid_parameter', `${spec.operation} needs an image`);
    const options = { maxPixels: this.maxPixels, signal: context.signal };
    return { images: [{ seed: null, image: await this.busy(() => this.apply(spec, input, options, context)) }], warnings: [] };
  }

  /** ESRGAN for another engine (hires fix), with the same loading and idle release as a job's. */
  upscale(image: ToolImage, options: Pick<UpscaleOptions, 'scale' | 'model' | 'signal'>): Promise<ToolImage> {
    return this.busy(() => this.upscaler.upscale(image, { ...options, maxPixels: this.maxPixels }));
  }

  /** Runs `work` with the networks held; the last one to end starts the idle countdown. */
  private async busy<T>(work: () => Promise<T>): Promise<T> {
    clearTimeout(this.idle);
    this.running++;
    try {
      return await work();
    } finally {
      if (--this.running === 0) {
        this.idle = setTimeout(() => void this.release(), this.options.idleMs ?? 600_000);
        this.idle.unref();
      }
    }
  }

  private async apply(spec: JobSpec, input: EngineJob['images'][number], options: { maxPixels: number; signal: AbortSignal }, context: RunContext) {
    if (spec.operation === 'upscale') {
      return this.upscaler.upscale(input, { scale: spec.scale, model: spec.upscaler, ...options, onProgress: (p) => context.progress(p) });
    }
    if (spec.operation === 'remove-background') {
      await context.progress({ step: 0, total: 1 });
      if (spec.output === 'image') {
        const { image } = await this.remover.remove(input, { output: 'image', ...options });
        await context.progress({ step: 1, total: 1 });
        return image;
      }
      const { mask } = await this.remover.remove(input, { output: 'mask', ...options });
      await context.progress({ step: 1, total: 1 });
      // The matte as a grey picture: white is the subject.
      const data = new Uint8Array(mask.width * mask.height * 3);
      mask.data.forEach((v, p) => data.fill(v, p * 3, p * 3 + 3));
      return { width: mask.width, height: mask.height, data };
    }
    throw new DarkroomError('unsupported_operation', `The image tools cannot do ${spec.operation}`);
  }
}
