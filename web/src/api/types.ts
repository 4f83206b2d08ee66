// The shapes the studio reads from and sends to the native API (/api/v1), as the server
// defines them in src/jobs/job-service.ts, src/gallery/image-service.ts and src/domain/job.ts.

/** Operations that run a diffusion model on a prompt. */
export type DiffusionOperation = 'txt2img' | 'img2img' | 'inpaint' | 'style' | 'blend' | 'outpaint';
export type Operation = DiffusionOperation | ToolOperation;
/** One-click image tools (no prompt, no steps, no model); GET /api/v1/models lists those the server has. */
export type ToolOperation = 'upscale' | 'remove-background';
export const UPSCALE_FACTORS = [2, 3, 4, 8] as const;
export type UpscaleFactor = (typeof UPSCALE_FACTORS)[number];
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export const SCHEDULERS = [
  { name: 'euler', label: 'Euler' },
  { name: 'euler-a', label: 'Euler ancestral' },
  { name: 'ddim', label: 'DDIM' },
  { name: 'lcm', label: 'LCM' },
  { name: 'dpmpp-2m', label: 'DPM++ 2M' },
  { name: 'dpmpp-2m-karras', label: 'DPM++ 2M Karras' },
] as const;
export type SchedulerName = (typeof SCHEDULERS)[number]['name'];

/** Limits of the job schema (src/domain/job.ts). */
export const LIMITS = { maxBatch: 8, maxSide: 2048, minSide: 8, maxSteps: 150, maxGuidance: 30, maxMargin: 1024, minBlend: 2, maxBlend: 4 } as const;

/** GET /api/v1/styles: a named prompt template; "{prompt}" stands for the caller's prompt. */
export interface StylePreset {
  name: string;
  label: string;
  prompt: string;
  /** Added before the caller's negative prompt. */
  negative_prompt: string;
}

/** Outpainting: the pixels added on each side (multiples of the model's grid). */
export interface Margins {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface ImageView {
  id: string;
  url: string;
  kind: 'output' | 'upload';
  width: number;
  height: number;
  seed: number | null;
  job_id: string | null;
  saved: boolean;
  created_at: string;
  expires_at: string | null;
}

/** An image as a `done` event names it (fewer fields than ImageView). */
export type EventImage = Pick<ImageView, 'id' | 'url' | 'width' | 'height' | 'seed'>;

/** The diffusion parameters a job was made with, as sent and as read back. */
interface GenerationParams {
  model: string;
  width?: number;
  height?: number;
  steps: number;
  guidance: number;
  scheduler: SchedulerName;
  seed?: number;
  n: number;
  image?: string;
  mask?: string;
  strength?: number;
  /** A style preset's name (txt2img, img2img and style). */
  style?: string;
  /** Blend: one weight per image, any scale (the server normalises them). */
  weights?: number[];
  /** Outpaint: pixels added on each side. */
  left?: number;
  right?: number;
  top?: number;
  bottom?: number;
  /** Text to image: draw at the base size, enlarge, redraw (A1111's hires fix). */
  hires?: HiresRequest;
  /** Decode in overlapping tiles (the server tiles big images by itself). */
  tiled_vae?: boolean;
  /** Decode with the model's tiny decoder, when it has one. */
  fast_decode?: boolean;
}

export const HIRES_UPSCALERS = [
  { name: 'latent', label: 'Latent (bilinear)' },
  { name: 'latent-nearest', label: 'Latent (nearest)' },
  { name: 'lanczos', label: 'Lanczos (pixels)' },
  { name: 'nearest', label: 'Nearest (pixels)' },
  { name: 'esrgan-slim', label: 'ESRGAN slim (pixels)' },
  { name: 'esrgan-medium', label: 'ESRGAN medium (pixels)' },
  { name: 'esrgan-thick', label: 'ESRGAN thick (pixels)' },
] as const;
export type HiresUpscaler = (typeof HIRES_UPSCALERS)[number]['name'];

export interface HiresRequest {
  scale: number;
  upscaler: HiresUpscaler;
  strength: number;
  /** Second-pass steps; absent: the first pass's. */
  steps?: number;
}

/** Something the job will do other than the caller may expect; it runs all the same. */
export interface JobWarning {
  code: string;
  message: string;
  /** Prompts that would work instead. */
  examples?: string[];
}

export interface JobView extends GenerationParams {
  id: string;
  operation: Operation;
  status: JobStatus;
  progress: { step: number; total: number };
  error: { code: string; message: string } | null;
  attempts: number;
  images: ImageView[];
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** When the prompt is forgotten (null: kept). */
  expires_at: string | null;
  /** Null once the prompt's retention window has passed. */
  prompt: string | null;
  negative_prompt: string | null;
  scale?: number;
  /** The images a blend read, when the server names them (its `images` are the outputs). */
  inputs?: string[];
  /** What the server noted when it queued the job (a prompt the model does not know). */
  warnings?: JobWarning[];
}

export interface GenerationRequest extends GenerationParams {
  operation: DiffusionOperation;
  prompt: string;
  negative_prompt: string;
  /** Blend: the 2 to 4 image ids to fuse (a job view's `images` are its outputs instead). */
  images?: string[];
}

export interface UpscaleRequest {
  operation: 'upscale';
  image: string;
  scale: UpscaleFactor;
  /** ESRGAN weights: slim is the fastest. */
  upscaler: 'slim' | 'medium' | 'thick';
}

export interface RemoveBackgroundRequest {
  operation: 'remove-background';
  image: string;
  /** "image": the picture on a transparent background; "mask": the matte alone. */
  output: 'image' | 'mask';
}

export type ToolRequest = UpscaleRequest | RemoveBackgroundRequest;
export type JobRequest = GenerationRequest | ToolRequest;

export interface ModelInfo {
  name: string;
  source: string;
  engine: string;
  size_bytes: number;
  operations: string[];
  /** Optional hints a later server may add; the studio falls back to known defaults. */
  native_size?: number;
  size_multiple?: number;
  /** "sd" (SD 1.x/2.x), "sdxl", or a flow transformer: "z-image", "sd3", "flux". */
  family?: string;
  /** The samplers the model takes (flow models: euler only); absent, all of them. */
  schedulers?: SchedulerName[];
  /** What the model runs with when a request names none (its darkroom.json, else Darkroom's). */
  defaults?: { steps: number; guidance: number; scheduler: SchedulerName; width: number; height: number };
  /** The model has a tiny decoder: previews on every step, and fast decoding. */
  tiny_decoder?: boolean;
}

export interface ModelList {
  /** Operations that need no model; absent on servers from before the image tools. */
  tools?: string[];
  models: ModelInfo[];
}

/** GET /api/v1/auth/methods: how one signs in here. */
export interface AuthMethods {
  accounts: boolean;
  signup: boolean;
  oauth: OAuthProvider[];
}
export type OAuthProvider = 'github' | 'google';

export interface Account {
  id: string;
  email: string;
  role: 'admin' | 'user';
}

/** GET /api/v1/me with accounts on. */
export interface Me {
  accounts: true;
  user: Account;
  credits: number;
}

export interface ApiKeyView {
  id: string;
  /** The key's last characters ("…a1b2"); the secret itself is never listed. */
  hint: string;
  created_at: string;
  revoked_at: string | null;
}

export interface PrivacyPolicy {
  retention: Record<string, string>;
  purge_interval: string;
  promises: string[];
}

export type JobEvent =
  | { type: 'queued'; position: number }
  | { type: 'started'; attempt: number }
  | { type: 'progress'; step: number; total: number; preview?: string }
  | { type: 'done'; images: EventImage[] }
  | { type: 'failed'; error: { code: string; message: string } }
  | { type: 'cancelled' };
