// The parameters the studio's forms edit, their defaults, and the conversions to a job
// request and back from a job (to reuse a result's parameters).

import type { GenerationRequest, ImageView, JobView, SchedulerName, ToolOperation, ToolRequest, UpscaleFactor } from '../api/types';
import { LIMITS, SCHEDULERS } from '../api/types';

export const EXAMPLE_PROMPT = 'a red circle on a blue background';
export const DEFAULT_MODEL = 'darkroom-tiny';

export interface GenerationParams {
  prompt: string;
  negative_prompt: string;
  model: string;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  scheduler: SchedulerName;
  /** Null: a new random seed for every job. */
  seed: number | null;
  n: number;
}

export interface EditParams extends GenerationParams {
  mode: 'img2img' | 'inpaint';
  strength: number;
}

export const DEFAULT_PARAMS: GenerationParams = {
  prompt: '',
  negative_prompt: '',
  model: DEFAULT_MODEL,
  width: 64,
  height: 64,
  steps: 20,
  guidance: 7.5,
  scheduler: 'euler',
  seed: null,
  n: 1,
};

export const DEFAULT_EDIT_PARAMS: EditParams = { ...DEFAULT_PARAMS, mode: 'img2img', strength: 0.75 };

/** Largest seed the API takes. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** A 32-bit seed: short enough to read and type, and what other studios use. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isScheduler = (v: unknown): v is SchedulerName => SCHEDULERS.some((s) => s.name === v);

/** Stored preferences may come from an older studio: keep what is valid, default the rest. */
export function sanitizeParams<T extends GenerationParams>(value: unknown, defaults: T): T {
  if (!value || typeof value !== 'object') return defaults;
  const v = value as Record<string, unknown>;
  const out = { ...defaults };
  if (typeof v.prompt === 'string') out.prompt = v.prompt;
  if (typeof v.negative_prompt === 'string') out.negative_prompt = v.negative_prompt;
  if (typeof v.model === 'string' && v.model) out.model = v.model;
  if (isNumber(v.width)) out.width = clamp(Math.round(v.width), LIMITS.minSide, LIMITS.maxSide);
  if (isNumber(v.height)) out.height = clamp(Math.round(v.height), LIMITS.minSide, LIMITS.maxSide);
  if (isNumber(v.steps)) out.steps = clamp(Math.round(v.steps), 1, LIMITS.maxSteps);
  if (isNumber(v.guidance)) out.guidance = clamp(v.guidance, 0, LIMITS.maxGuidance);
  if (isScheduler(v.scheduler)) out.scheduler = v.scheduler;
  if (v.seed === null || (isNumber(v.seed) && v.seed >= 0)) out.seed = v.seed as number | null;
  if (isNumber(v.n)) out.n = clamp(Math.round(v.n), 1, LIMITS.maxBatch);
  const edit = out as Partial<EditParams>;
  if ('mode' in defaults && (v.mode === 'img2img' || v.mode === 'inpaint')) edit.mode = v.mode;
  if ('strength' in defaults && isNumber(v.strength)) edit.strength = clamp(v.strength, 0, 1);
  return out;
}

export function txt2imgRequest(p: GenerationParams): GenerationRequest {
  return {
    operation: 'txt2img',
    prompt: p.prompt,
    negative_prompt: p.negative_prompt,
    model: p.model,
    width: p.width,
    height: p.height,
    steps: p.steps,
    guidance: p.guidance,
    scheduler: p.scheduler,
    n: p.n,
    ...(p.seed !== null ? { seed: p.seed } : {}),
  };
}

/** img2img or inpaint: the size follows the source image (the server fits it to the model). */
export function editRequest(p: EditParams, image: string, mask: string | undefined): GenerationRequest {
  return {
    operation: mask ? 'inpaint' : 'img2img',
    prompt: p.prompt,
    negative_prompt: p.negative_prompt,
    model: p.model,
    steps: p.steps,
    guidance: p.guidance,
    scheduler: p.scheduler,
    n: p.n,
    image,
    ...(mask ? { mask } : {}),
    strength: p.strength,
    ...(p.seed !== null ? { seed: p.seed } : {}),
  };
}

/** A one-click tool on `image`; upscaling uses the fastest weights, so one click stays quick. */
export function toolRequest(operation: ToolOperation, image: string, scale: UpscaleFactor): ToolRequest {
  return operation === 'upscale' ? { operation, image, scale, upscaler: 'slim' } : { operation, image, output: 'image' };
}

/**
 * The parameters that made `image` of `job`: the job's settings with the image's own seed,
 * so generating again gives that image first. A prompt past its retention stays as it was.
 */
export function paramsFromJob<T extends GenerationParams>(job: JobView, image: Pick<ImageView, 'seed' | 'width' | 'height'> | undefined, current: T): T {
  return {
    ...current,
    prompt: job.prompt ?? current.prompt,
    negative_prompt: job.negative_prompt ?? current.negative_prompt,
    model: job.model,
    width: image?.width ?? job.width ?? current.width,
    height: image?.height ?? job.height ?? current.height,
    steps: job.steps,
    guidance: job.guidance,
    scheduler: job.scheduler,
    seed: image?.seed ?? job.seed ?? current.seed,
    n: job.n,
    ...(job.strength !== undefined && 'strength' in current ? { strength: job.strength } : {}),
  };
}

/** Whether a job was a one-click tool (no prompt or settings to reuse). */
export function isToolJob(job: Pick<JobView, 'operation'>): boolean {
  return job.operation === 'upscale' || job.operation === 'remove-background';
}

/** A short line naming the settings of a job, for a caption. */
export function describeJob(job: JobView): string {
  if (job.operation === 'upscale') return `Upscaled ${job.scale ?? ''}×`.replace(' ×', '');
  if (job.operation === 'remove-background') return 'Background removed';
  const scheduler = SCHEDULERS.find((s) => s.name === job.scheduler)?.label ?? job.scheduler;
  const parts = [`${job.steps} steps`, `guidance ${job.guidance}`, scheduler];
  if (job.strength !== undefined && job.operation !== 'txt2img') parts.push(`strength ${job.strength}`);
  if (job.model !== DEFAULT_MODEL) parts.push(job.model);
  return parts.join(' · ');
}
