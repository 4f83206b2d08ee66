// Job specifications: the one schema that the CLI, the HTTP API and the queue all parse
// requests with. Field names are the public API's (snake_case, see INTERFACE.md).

import { z } from 'zod';

export const SCHEDULER_NAMES = ['euler', 'euler-a', 'ddim', 'lcm', 'dpmpp-2m', 'dpmpp-2m-karras'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export const OPERATIONS = ['txt2img', 'img2img', 'inpaint', 'style', 'blend', 'outpaint', 'upscale', 'remove-background'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Operations that run a diffusion model on a prompt (the others are image tools). */
export const DIFFUSION_OPERATIONS: readonly Operation[] = ['txt2img', 'img2img', 'inpaint', 'style', 'blend', 'outpaint'];

export const DEFAULT_MODEL = 'darkroom-tiny';
/** Images per job; each is a full generation, so this bounds one job's cost. */
export const MAX_BATCH = 8;
/** The largest side we accept before any model sees it (a 2048^2 SD run needs ~20 GB). */
export const MAX_SIDE = 2048;

const side = z.number().int().min(8).max(MAX_SIDE);

const generation = {
  prompt: z.string().max(20_000),
  negative_prompt: z.string().max(20_000).default(''),
  model: z.string().min(1).default(DEFAULT_MODEL),
  /** Defaults to the model's native size. */
  width: side.optional(),
  height: side.optional(),
  /** Steps, guidance and scheduler: absent, the model's recommended values (darkroom.json), else GENERATION_DEFAULTS. */
  steps: z.number().int().min(1).max(150).optional(),
  guidance: z.number().min(0).max(30).optional(),
  scheduler: z.enum(SCHEDULER_NAMES).optional(),
  /** Random when absent; image k of a batch uses seed + k. */
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  n: z.number().int().min(1).max(MAX_BATCH).default(1),
  /** Write the prompt into the image file's metadata (off: files never carry prompts). */
  embed_prompt: z.boolean().default(false),
  /** Decode (and encode) the image in overlapping tiles; absent: only above 1.5x the model's native side. */
  tiled_vae: z.boolean().optional(),
  /** Decode the final images with the model's tiny decoder (TAESD): faster, a little softer. */
  fast_decode: z.boolean().optional(),
  /**
   * Flow models: release the text encoder before denoising, so it and the transformer are
   * never held together; absent, on when the model's files exceed half the free memory.
   */
  low_memory: z.boolean().optional(),
};

/**
 * How hires fix enlarges the first pass before the second: in latent space (bilinear, as
 * A1111's "Latent", or nearest) or the decoded picture in pixels (Lanczos, nearest, or
 * ESRGAN with the upscale tool's weights).
 */
export const HIRES_UPSCALERS = ['latent', 'latent-nearest', 'lanczos', 'nearest', 'esrgan-slim', 'esrgan-medium', 'esrgan-thick'] as const;
export type HiresUpscaler = (typeof HIRES_UPSCALERS)[number];

/** Hires fix as AUTOMATIC1111 does it: draw at the base size, enlarge, redraw with img2img. */
const hires = z.object({
  /** Target = base size x scale, on the model's grid, unless width or height is given. */
  scale: z.number().min(1).max(4).default(2),
  width: side.optional(),
  height: side.optional(),
  upscaler: z.enum(HIRES_UPSCALERS).default('latent'),
  /** Second-pass steps; absent: the first pass's. */
  steps: z.number().int().min(1).max(150).optional(),
  strength: z.number().min(0).max(1).default(0.7),
});
export type HiresSpec = z.infer<typeof hires>;

/** An upload id (HTTP) or a file path (CLI): the edge resolves it to pixels. */
const imageRef = z.string().min(1).max(4096);
/** A style preset's name (see GET /api/v1/styles). */
const style = z.string().min(1).max(64);

export const Txt2ImgSpec = z.object({ operation: z.literal('txt2img'), ...generation, style: style.optional(), hires: hires.optional() });
export const Img2ImgSpec = z.object({
  operation: z.literal('img2img'),
  ...generation,
  image: imageRef,
  strength: z.number().min(0).max(1).default(0.75),
  style: style.optional(),
});
export const InpaintSpec = z.object({
  operation: z.literal('inpaint'),
  ...generation,
  image: imageRef,
  /** White (1) repaints, black (0) keeps. */
  mask: imageRef,
  strength: z.number().min(0).max(1).default(1),
});
/** Style transfer: the image redrawn through img2img with a style preset. */
export const StyleSpec = z.object({
  operation: z.literal('style'),
  ...generation,
  prompt: generation.prompt.default(''),
  image: imageRef,
  style,
  strength: z.number().min(0).max(1).default(0.6),
});
/** Multi-image fusion: 2 to 4 images blended in latent space, then denoised with the prompt. */
export const BlendSpec = z
  .object({
    operation: z.literal('blend'),
    ...generation,
    prompt: generation.prompt.default(''),
    images: z.array(imageRef).min(2).max(4),
    /** One per image, any scale (normalised); equal when absent. */
    weights: z.array(z.number().min(0).max(1000)).optional(),
    strength: z.number().min(0).max(1).default(0.7),
  })
  .refine((s) => !s.weights || s.weights.length === s.images.length, { message: 'Expected one weight per image', path: ['weights'] })
  .refine((s) => !s.weights || s.weights.some((w) => w > 0), { message: 'Expected at least one weight above 0', path: ['weights'] });
const extend = z.number().int().min(0).max(1024).default(0);
/** Extends the canvas by the given pixels on each side and paints the new area. */
export const OutpaintSpec = z
  .object({ operation: z.literal('outpaint'), ...generation, image: imageRef, left: extend, right: extend, top: extend, bottom: extend })
  .refine((s) => s.left + s.right + s.top + s.bottom > 0, { message: 'Expected at least one of left, right, top, bottom above 0', path: ['left'] });
export const UpscaleSpec = z.object({
  operation: z.literal('upscale'),
  image: imageRef,
  scale: z.union([z.literal(2), z.literal(3), z.literal(4), z.literal(8)]).default(4),
  /** ESRGAN weights: slim is fastest, thick sharpest. */
  upscaler: z.enum(['slim', 'medium', 'thick']).default('slim'),
});
export const RemoveBackgroundSpec = z.object({
  operation: z.literal('remove-background'),
  image: imageRef,
  /** "image": the picture with a transparent background; "mask": the matte alone. */
  output: z.enum(['image', 'mask']).default('image'),
});

/** A job as asked for: what every edge parses. */
export const JobRequest = z.discriminatedUnion('operation', [
  Txt2ImgSpec,
  Img2ImgSpec,
  InpaintSpec,
  StyleSpec,
  BlendSpec,
  OutpaintSpec,
  UpscaleSpec,
  RemoveBackgroundSpec,
]);
export type JobRequest = z.infer<typeof JobRequest>;
export type JobRequestInput = z.input<typeof JobRequest>;

/** The settings a generation runs with when neither the request nor the model names them. */
export const GENERATION_DEFAULTS = { steps: 20, guidance: 7.5, scheduler: 'euler' } as const satisfies GenerationDefaults;

/** Steps, guidance and scheduler; a model may recommend its own (darkroom.json). */
export interface GenerationDefaults {
  steps: number;
  guidance: number;
  scheduler: SchedulerName;
}

type Resolved<T> = T extends { prompt: string } ? Omit<T, keyof GenerationDefaults> & GenerationDefaults : T;
/** A job as it runs and is stored: a request with every generation setting chosen. */
export type JobSpec = Resolved<JobRequest>;
export type DiffusionSpec = Extract<JobSpec, { prompt: string }>;

/** The request with what it leaves out taken from the model's recommendations, then Darkroom's. */
export function withDefaults(request: JobRequest, model: Partial<GenerationDefaults> = {}): JobSpec {
  if (!('prompt' in request)) return request as JobSpec;
  return {
    ...request,
    steps: request.steps ?? model.steps ?? GENERATION_DEFAULTS.steps,
    guidance: request.guidance ?? model.guidance ?? GENERATION_DEFAULTS.guidance,
    scheduler: request.scheduler ?? model.scheduler ?? GENERATION_DEFAULTS.scheduler,
  } as JobSpec;
}

export function isDiffusion<T extends JobRequest>(spec: T): spec is Extract<T, { prompt: string }> {
  return DIFFUSION_OPERATIONS.includes(spec.operation);
}

/** Upload ids a job reads, in order. */
export function inputsOf(spec: JobRequest): string[] {
  if ('images' in spec) return spec.images;
  if (spec.operation === 'inpaint') return [spec.image, spec.mask];
  return 'image' in spec ? [spec.image] : [];
}

/** One line naming what is wrong, for an error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
