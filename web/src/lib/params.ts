// The parameters the studio's forms edit, their defaults, and the conversions to a job
// request and back from a job (to reuse a result's parameters).

import type { GenerationRequest, HiresRequest, ImageView, JobView, Margins, Operation, SchedulerName, ToolOperation, ToolRequest, UpscaleFactor } from '../api/types';
import { HIRES_UPSCALERS, LIMITS, SCHEDULERS } from '../api/types';

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
  /** A style preset's name (see GET /api/v1/styles); null: the prompt as typed. */
  style: string | null;
  /** Decode in tiles even below the size where the server starts to by itself. */
  tiled_vae: boolean;
  /** Decode with the model's tiny decoder (faster, a little softer). */
  fast_decode: boolean;
  /** Text to image only: hires fix, when on. */
  hires: HiresParams;
}

export interface HiresParams extends HiresRequest {
  enabled: boolean;
  /** The second pass's steps; null: the first pass's. */
  steps?: number;
}

export const DEFAULT_HIRES: HiresParams = { enabled: false, scale: 2, upscaler: 'latent', strength: 0.7 };

/** What the Edit page does: img2img, inpaint, style transfer, outpaint ("extend") or blend. */
export const EDIT_MODES = ['img2img', 'inpaint', 'style', 'outpaint', 'blend'] as const;
export type EditMode = (typeof EDIT_MODES)[number];

export interface EditParams extends GenerationParams {
  mode: EditMode;
  strength: number;
  /** Outpaint: the pixels to add on each side. */
  margins: Margins;
}

/** The server's default strength of each mode (outpaint always repaints its new area fully). */
export const DEFAULT_STRENGTH: Record<EditMode, number> = { img2img: 0.75, inpaint: 1, style: 0.6, outpaint: 1, blend: 0.7 };

/** An image in a blend and its share of the mix (any scale; the server normalises). */
export interface BlendInput {
  image: Pick<ImageView, 'id' | 'url' | 'width' | 'height'> & { kind?: ImageView['kind'] };
  weight: number;
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
  style: null,
  tiled_vae: false,
  fast_decode: false,
  hires: DEFAULT_HIRES,
};

export const NO_MARGINS: Margins = { left: 0, right: 0, top: 0, bottom: 0 };
export const DEFAULT_EDIT_PARAMS: EditParams = { ...DEFAULT_PARAMS, mode: 'img2img', strength: DEFAULT_STRENGTH.img2img, margins: NO_MARGINS };

/** Largest seed the API takes. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** A 32-bit seed: short enough to read and type, and what other studios use. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * `value` on a grid of `step` (0.05: 0.3, not 0.30000000000000004): the product is rounded
 * to the step's decimal places, since a binary fraction times an integer is rarely exact.
 */
export function roundToStep(value: number, step: number): number {
  const decimals = step >= 1 ? 0 : (/\.(\d+)$/.exec(String(step))?.[1]?.length ?? 0);
  return Number((Math.round(value / step) * step).toFixed(decimals));
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
  if (v.style === null || (typeof v.style === 'string' && v.style)) out.style = v.style;
  if (typeof v.tiled_vae === 'boolean') out.tiled_vae = v.tiled_vae;
  if (typeof v.fast_decode === 'boolean') out.fast_decode = v.fast_decode;
  if (v.hires && typeof v.hires === 'object') out.hires = sanitizeHires(v.hires);
  const edit = out as Partial<EditParams>;
  if ('mode' in defaults && EDIT_MODES.includes(v.mode as EditMode)) edit.mode = v.mode as EditMode;
  if ('strength' in defaults && isNumber(v.strength)) edit.strength = clamp(v.strength, 0, 1);
  if ('margins' in defaults && v.margins && typeof v.margins === 'object') edit.margins = sanitizeMargins(v.margins);
  return out;
}

function sanitizeHires(value: object): HiresParams {
  const v = value as Record<string, unknown>;
  const upscaler = HIRES_UPSCALERS.find((u) => u.name === v.upscaler)?.name ?? DEFAULT_HIRES.upscaler;
  return {
    enabled: v.enabled === true,
    scale: isNumber(v.scale) ? clamp(v.scale, 1, 4) : DEFAULT_HIRES.scale,
    upscaler,
    strength: isNumber(v.strength) ? clamp(v.strength, 0, 1) : DEFAULT_HIRES.strength,
    ...(isNumber(v.steps) ? { steps: clamp(Math.round(v.steps), 1, LIMITS.maxSteps) } : {}),
  };
}

function sanitizeMargins(value: object): Margins {
  const v = value as Record<string, unknown>;
  const side = (x: unknown) => (isNumber(x) ? clamp(Math.round(x), 0, LIMITS.maxMargin) : 0);
  return { left: side(v.left), right: side(v.right), top: side(v.top), bottom: side(v.bottom) };
}

/** The fields every diffusion job shares. */
function generation(p: GenerationParams) {
  return {
    prompt: p.prompt,
    negative_prompt: p.negative_prompt,
    model: p.model,
    steps: p.steps,
    guidance: p.guidance,
    scheduler: p.scheduler,
    n: p.n,
    ...(p.seed !== null ? { seed: p.seed } : {}),
    ...(p.tiled_vae ? { tiled_vae: true } : {}),
    ...(p.fast_decode ? { fast_decode: true } : {}),
  };
}

export function txt2imgRequest(p: GenerationParams): GenerationRequest {
  const { enabled, ...hires } = p.hires;
  return {
    operation: 'txt2img',
    ...generation(p),
    width: p.width,
    height: p.height,
    ...(p.style ? { style: p.style } : {}),
    ...(enabled ? { hires } : {}),
  };
}

/**
 * A job on one source image: img2img, inpaint (with `mask`), style transfer or outpaint.
 * The size follows the source (the server fits it to the model).
 */
export function editRequest(p: EditParams, image: string, mask?: string): GenerationRequest {
  switch (p.mode) {
    case 'style':
      return { operation: 'style', ...generation(p), image, style: p.style ?? '', strength: p.strength };
    case 'outpaint':
      return { operation: 'outpaint', ...generation(p), image, ...p.margins };
    default:
      return { operation: mask ? 'inpaint' : 'img2img', ...generation(p), image, ...(mask ? { mask } : {}), strength: p.strength };
  }
}

/** A blend of 2 to 4 images, each with its weight. */
export function blendRequest(p: EditParams, inputs: readonly BlendInput[]): GenerationRequest {
  return { operation: 'blend', ...generation(p), images: inputs.map((i) => i.image.id), weights: inputs.map((i) => i.weight), strength: p.strength };
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
    // A hires image is larger than the size its first pass was drawn at, which is what to reuse.
    width: (job.hires ? undefined : image?.width) ?? job.width ?? current.width,
    height: (job.hires ? undefined : image?.height) ?? job.height ?? current.height,
    steps: job.steps,
    guidance: job.guidance,
    scheduler: job.scheduler,
    seed: image?.seed ?? job.seed ?? current.seed,
    n: job.n,
    // A text-to-image job without a style was made without one; an edit's style is kept
    // for the Style mode.
    style: job.style ?? (job.operation === 'txt2img' ? null : current.style),
    tiled_vae: job.tiled_vae ?? false,
    fast_decode: job.fast_decode ?? false,
    hires: job.hires ? { ...job.hires, enabled: true } : job.operation === 'txt2img' ? { ...current.hires, enabled: false } : current.hires,
    ...(job.strength !== undefined && 'strength' in current ? { strength: job.strength } : {}),
    ...(job.operation === 'outpaint' && 'margins' in current ? { margins: sanitizeMargins(job) } : {}),
  };
}

/** `p` in another mode; the strength follows the mode's usual one unless the person chose their own. */
export function withMode(p: EditParams, mode: EditMode): EditParams {
  if (p.mode === mode) return p;
  const strength = p.strength === DEFAULT_STRENGTH[p.mode] ? DEFAULT_STRENGTH[mode] : p.strength;
  return { ...p, mode, strength };
}

/** The Edit mode that makes jobs of `operation`. */
export function editModeOf(operation: Operation): EditMode {
  return (EDIT_MODES as readonly string[]).includes(operation) ? (operation as EditMode) : 'img2img';
}

export const OPERATION_LABELS: Record<Operation, string> = {
  txt2img: 'Text to image',
  img2img: 'Image to image',
  inpaint: 'Inpaint',
  style: 'Style transfer',
  blend: 'Blend',
  outpaint: 'Extend (outpaint)',
  upscale: 'Upscale',
  'remove-background': 'Remove background',
};

export const operationLabel = (operation: string): string => OPERATION_LABELS[operation as Operation] ?? operation;

/** "comic-book" -> "comic book", for captions that have no preset list at hand. */
const styleWords = (name: string) => name.replace(/-/g, ' ');

/** What to call a job that was given no prompt: "Anime style", "Blend of 2 images". */
export function untitled(job: Pick<JobView, 'operation' | 'style' | 'weights'>): string {
  if (job.operation === 'style' && job.style) {
    const words = styleWords(job.style);
    return `${words[0]!.toUpperCase()}${words.slice(1)} style`;
  }
  if (job.operation === 'blend') return job.weights ? `Blend of ${job.weights.length} images` : 'Blend';
  return 'No prompt';
}

/** "+16 left, +16 right". */
export function describeMargins(m: Partial<Margins>): string {
  const sides = (['left', 'right', 'top', 'bottom'] as const).filter((side) => (m[side] ?? 0) > 0);
  return sides.length ? sides.map((side) => `+${m[side]} ${side}`).join(', ') : 'nothing added';
}

/** The weights relative to the largest: "1 : 0.5" for 2 and 1. */
function describeWeights(weights: number[]): string {
  const max = Math.max(...weights);
  if (!(max > 0)) return weights.join(' : ');
  return weights.map((w) => Math.round((100 * w) / max) / 100).join(' : ');
}

/** Whether a job was a one-click tool (no prompt or settings to reuse). */
export function isToolJob(job: Pick<JobView, 'operation'>): boolean {
  return job.operation === 'upscale' || job.operation === 'remove-background';
}

export interface JobTitle {
  text: string;
  /** The title says only what is missing ("No prompt"), so it is set apart from a prompt. */
  muted: boolean;
}

/**
 * What to call a job in results, the gallery and the history: its prompt, else what it did
 * ("Upscaled 2×", "Anime style", "Blend of 2 images"), else what is missing.
 */
export function jobTitle(job: JobView): JobTitle {
  if (isToolJob(job)) return { text: describeJob(job), muted: false };
  if (job.prompt) return { text: job.prompt, muted: false };
  if (job.prompt === null) return { text: 'Prompt no longer kept', muted: true };
  const text = untitled(job);
  return { text, muted: text === 'No prompt' };
}

/** A short line naming the settings of a job, for a caption. */
export function describeJob(job: JobView): string {
  if (job.operation === 'upscale') return `Upscaled ${job.scale ?? ''}×`.replace(' ×', '');
  if (job.operation === 'remove-background') return 'Background removed';
  const scheduler = SCHEDULERS.find((s) => s.name === job.scheduler)?.label ?? job.scheduler;
  const parts = [`${job.steps} steps`, `guidance ${job.guidance}`, scheduler];
  if (job.style) parts.unshift(`${styleWords(job.style)} style`);
  if (job.operation === 'outpaint') parts.unshift(describeMargins(job));
  if (job.operation === 'blend' && job.weights) parts.unshift(`weights ${describeWeights(job.weights)}`);
  if (job.strength !== undefined && job.operation !== 'txt2img') parts.push(`strength ${job.strength}`);
  if (job.hires) parts.push(`hires ${job.hires.scale}× at ${job.hires.strength}`);
  if (job.model !== DEFAULT_MODEL) parts.push(job.model);
  return parts.join(' · ');
}
