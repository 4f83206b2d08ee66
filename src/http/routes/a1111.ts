// AUTOMATIC1111-compatible API (/sdapi/v1/*), after stable-diffusion-webui's
// modules/api/api.py and models.py: A1111 field names in, Darkroom jobs underneath, A1111
// response shapes out. Generation requests wait for their job; /progress and /interrupt act
// on the jobs these routes started for the caller, and /options keeps the caller's default
// model. That state lives in this plugin (one per server) and is not persisted.

import { basename } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import sharp, { type OutputInfo } from 'sharp';
import { z } from 'zod';
import { DarkroomError } from '../../domain/errors.js';
import {
  DEFAULT_MODEL,
  Img2ImgSpec,
  MAX_BATCH,
  MAX_SIDE,
  Txt2ImgSpec,
  type DiffusionSpec,
  type HiresSpec,
  type HiresUpscaler,
  type JobRequest,
  type SchedulerName,
} from '../../domain/job.js';
import { randomSeed } from '../../engine/diffusion/rng.js';
import type { JobView } from '../../jobs/job-service.js';
import { ownerOf, type HttpContext } from '../context.js';
import { jobFailure, runToEnd } from '../sync-job.js';
import { parse } from '../parse.js';

/** A1111's sampler names for Darkroom's schedulers; the aliases are A1111's plus Darkroom's own name. */
const SAMPLERS: Record<SchedulerName, { name: string; aliases: string[]; options: Record<string, unknown> }> = {
  euler: { name: 'Euler', aliases: ['k_euler'], options: {} },
  'euler-a': { name: 'Euler a', aliases: ['k_euler_a', 'k_euler_ancestral'], options: { uses_ensd: true } },
  'dpmpp-2m': { name: 'DPM++ 2M', aliases: ['k_dpmpp_2m'], options: {} },
  'dpmpp-2m-karras': { name: 'DPM++ 2M Karras', aliases: ['k_dpmpp_2m_ka'], options: { scheduler: 'karras' } },
  ddim: { name: 'DDIM', aliases: ['ddim'], options: { default_eta_is_0: true, uses_ensd: true } },
  lcm: { name: 'LCM', aliases: ['k_lcm'], options: {} },
};
const SAMPLER_LIST = Object.entries(SAMPLERS).map(([scheduler, s]) => ({
  scheduler: scheduler as SchedulerName,
  name: s.name,
  aliases: [...new Set([...s.aliases, scheduler])],
  options: s.options,
}));

function samplerByName(name: string): SchedulerName | undefined {
  const wanted = name.trim().toLowerCase();
  return SAMPLER_LIST.find((s) => s.name.toLowerCase() === wanted || s.aliases.includes(wanted))?.scheduler;
}

/**
 * The Darkroom scheduler for an A1111 sampler and, since webui 1.9, its separate schedule
 * type ("Automatic" or "Karras"); a Darkroom scheduler name there overrides the sampler.
 */
function resolveScheduler(sampler: string, scheduleType: string | undefined): SchedulerName {
  const base = samplerByName(sampler);
  if (!base) {
    throw new DarkroomError('invalid_parameter', `Unknown sampler "${sampler}" (known: ${SAMPLER_LIST.map((s) => s.name).join(', ')}, or ${Object.keys(SAMPLERS).join(', ')})`);
  }
  const type = scheduleType?.trim().toLowerCase();
  if (!type || type === 'automatic') return base;
  if (type === 'karras') {
    if (base === 'dpmpp-2m' || base === 'dpmpp-2m-karras') return 'dpmpp-2m-karras';
    throw new DarkroomError('invalid_parameter', `The Karras schedule is only available with DPM++ 2M, not with ${SAMPLERS[base].name}`);
  }
  if (type in SAMPLERS) return type as SchedulerName;
  throw new DarkroomError('invalid_parameter', `Unknown scheduler "${scheduleType}" (known: Automatic, Karras, or a sampler: ${Object.keys(SAMPLERS).join(', ')})`);
}

const { shape } = Txt2ImgSpec;
// Steps, CFG scale and sampler left out are the model's recommendations (else Darkroom's 20,
// 7.5, Euler); unknown fields are dropped, as pydantic does.
const Txt2ImgRequest = z.object({
  prompt: shape.prompt.default(''),
  negative_prompt: shape.negative_prompt,
  seed: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).default(-1),
  sampler_name: z.string().optional(),
  sampler_index: z.string().optional(),
  scheduler: z.string().optional(),
  batch_size: z.number().int().min(1).max(MAX_BATCH).default(1),
  n_iter: z.number().int().min(1).max(MAX_BATCH).default(1),
  steps: shape.steps,
  cfg_scale: shape.guidance,
  /** Absent: the model's native size (A1111 would use 512). */
  width: shape.width,
  height: shape.height,
  override_settings: z.looseObject({ sd_model_checkpoint: z.string().min(1).optional() }).default({}),
  send_images: z.boolean().default(true),
  save_images: z.boolean().default(false),
  // Hires fix: 0 for steps and resize mean "as the first pass" and "by hr_scale", as in A1111.
  enable_hr: z.boolean().default(false),
  hr_scale: z.number().min(1).max(4).default(2),
  hr_upscaler: z.string().default('Latent'),
  hr_second_pass_steps: z.number().int().min(0).max(150).default(0),
  hr_resize_x: z.number().int().min(0).max(MAX_SIDE).default(0),
  hr_resize_y: z.number().int().min(0).max(MAX_SIDE).default(0),
  /** txt2img: the hires fix's second-pass strength. */
  denoising_strength: z.number().min(0).max(1).default(0.7),
});
type Txt2ImgRequest = z.infer<typeof Txt2ImgRequest>;

/** A1111's hr_upscaler names Darkroom runs: its latent modes (bicubic drawn bilinear), plain resizes, and ESRGAN (below). */
const HIRES_UPSCALER_NAMES: Record<string, HiresUpscaler> = {
  latent: 'latent',
  'latent (antialiased)': 'latent',
  'latent (bicubic)': 'latent',
  'latent (bicubic antialiased)': 'latent',
  'latent (nearest)': 'latent-nearest',
  'latent (nearest-exact)': 'latent-nearest',
  none: 'lanczos',
  lanczos: 'lanczos',
  nearest: 'nearest',
};

/** The hires fix a txt2img request asks for, in Darkroom's terms. */
function hiresOf(body: Txt2ImgRequest): HiresSpec | undefined {
  if (!body.enable_hr) return undefined;
  // Every ESRGAN name (ESRGAN_4x, R-ESRGAN 4x+, R-ESRGAN 4x+ Anime6B, ...) runs on the upscale tool's weights.
  const upscaler = /esrgan/i.test(body.hr_upscaler) ? (`esrgan-${upscalerFor(body.hr_upscaler)}` as const) : HIRES_UPSCALER_NAMES[body.hr_upscaler.toLowerCase()];
  if (!upscaler) {
    throw new DarkroomError(
      'invalid_parameter',
      `Unknown hr_upscaler "${body.hr_upscaler}" (Darkroom has: Latent, Latent (antialiased), Latent (bicubic), Latent (nearest), Latent (nearest-exact), Lanczos, Nearest, None, and the ESRGAN ones: ESRGAN_4x, R-ESRGAN 4x+, R-ESRGAN 4x+ Anime6B)`,
    );
  }
  return {
    scale: body.hr_scale,
    upscaler,
    strength: body.denoising_strength,
    ...(body.hr_second_pass_steps > 0 ? { steps: body.hr_second_pass_steps } : {}),
    ...(body.hr_resize_x > 0 ? { width: body.hr_resize_x } : {}),
    ...(body.hr_resize_y > 0 ? { height: body.hr_resize_y } : {}),
  };
}

const Img2ImgRequest = Txt2ImgRequest.extend({
  init_images: z.array(z.string()).min(1, 'Expected one base64-encoded image').max(1, 'Darkroom takes one init image per request'),
  denoising_strength: Img2ImgSpec.shape.strength.unwrap().default(0.75),
  /** White repaints, black keeps. */
  mask: z.string().optional(),
  /** 1 swaps the mask's meaning. */
  inpainting_mask_invert: z.number().int().min(0).max(1).default(0),
  /** Accepted, not applied: the mask is used as sent. */
  mask_blur: z.number().min(0).default(4),
});
type Img2ImgRequest = z.infer<typeof Img2ImgRequest>;

const ProgressQuery = z.object({ skip_current_image: z.stringbool().default(false) });
const OptionsUpdate = z.looseObject({ sd_model_checkpoint: z.string().min(1).optional() });

/** Pydantic fields are all Optional, so A1111 clients send null for "not set": treat it as absent. */
function withoutNulls(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null));
}

const ExtraSingleImageRequest = z.object({
  image: z.string().min(1),
  /** 0: by upscaling_resize; 1: to upscaling_resize_w x upscaling_resize_h. */
  resize_mode: z.union([z.literal(0), z.literal(1)]).default(0),
  upscaling_resize: z.number().min(1).max(8).default(2),
  upscaling_resize_w: z.number().int().min(1).max(16384).nullish(),
  upscaling_resize_h: z.number().int().min(1).max(16384).nullish(),
  upscaler_1: z.string().nullish(),
});

/** A1111 upscaler names to ESRGAN weights: the "+"/"Plus" and anime models are the sharp ones. */
function upscalerFor(name: string | null | undefined): 'slim' | 'medium' | 'thick' {
  const wanted = (name ?? '').toLowerCase();
  if (/thick|\+|plus|anime/.test(wanted)) return 'thick';
  if (/medium/.test(wanted)) return 'medium';
  return 'slim';
}

/** A base64 image as A1111 clients send it, bare or as a data URL. */
function decodeBase64(field: string, value: string): Buffer {
  if (/^https?:\/\//i.test(value)) throw new DarkroomError('invalid_image', `${field}: Darkroom does not fetch images from URLs; send the image as base64`);
  const payload = value.replace(/^data:[^,]*,/, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(payload)) throw new DarkroomError('invalid_image', `${field}: expected a base64-encoded image`);
  return Buffer.from(payload, 'base64');
}

/** Names the request field in an image error, so the client knows which image was refused. */
async function forField<T>(field: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (DarkroomError.isInstance(error)) throw new DarkroomError(error.code, `${field}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * A1111's create_binary_mask (modules/images.py): a mask with any transparency is its alpha
 * channel cut at 50% (opaque repaints), otherwise its luma (white repaints). Returned as a
 * grey PNG, white = repaint, which is what Darkroom's inpaint reads.
 */
async function a1111Mask(bytes: Buffer, invert: boolean, maxPixels: number): Promise<Buffer> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new DarkroomError('invalid_image', 'The mask could not be read', { cause: error });
  }
  const { data, info } = decoded;
  const pixels = info.width * info.height;
  let transparent = false;
  for (let p = 0; p < pixels && !transparent; p++) transparent = data[p * 4 + 3]! < 255;
  const grey = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    const i = p * 4;
    // PIL's convert("L"): ITU-R 601-2 luma.
    const value = transparent ? (data[i + 3]! > 128 ? 255 : 0) : Math.round((data[i]! * 299 + data[i + 1]! * 587 + data[i + 2]! * 114) / 1000);
    grey[p] = invert ? 255 - value : value;
  }
  return sharp(grey, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toBuffer();
}

/** A preview from the progress bus (a WebP data URL) as the base64 PNG A1111 sends. */
async function previewPng(dataUrl: string): Promise<string> {
  const webp = Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64');
  return (await sharp(webp).png().toBuffer()).toString('base64');
}

/** A1111's job_timestamp: local time as YYYYMMDDHHMMSS. */
function timestamp(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
}

type Kind = 'txt2img' | 'img2img';

/** The generation fields of a job, with the seed always chosen. */
type Generation = Omit<Extract<JobRequest, { operation: 'txt2img' }>, 'operation' | 'seed'> & { seed: number };

/** What an operation adds to the generation fields of a job. */
type JobInput =
  | { operation: 'txt2img'; hires?: HiresSpec }
  | { operation: 'img2img'; image: string; strength: number }
  | { operation: 'inpaint'; image: string; mask: string; strength: number };

/** A1111's info (Processed.js() in modules/processing.py), plus "interrupted" when it was. */
function a1111Info(run: {
  body: Txt2ImgRequest;
  spec: DiffusionSpec;
  width: number | null;
  height: number | null;
  seeds: number[];
  started: number;
  interrupted: boolean;
  version: string;
}) {
  const { body, spec, width, height, seeds } = run;
  const sampler = SAMPLERS[spec.scheduler].name;
  const hires = spec.operation === 'txt2img' ? spec.hires : undefined;
  const strength = 'strength' in spec ? spec.strength : hires ? hires.strength : null;
  // The names A1111 gives hires parameters in infotexts and extra_generation_params.
  const hiresParams: Record<string, string | number> = hires
    ? {
        'Hires upscale': hires.scale,
        ...(hires.width !== undefined || hires.height !== undefined ? { 'Hires resize': `${hires.width ?? 0}x${hires.height ?? 0}` } : {}),
        ...(hires.steps !== undefined ? { 'Hires steps': hires.steps } : {}),
        'Hires upscaler': body.hr_upscaler,
      }
    : {};
  const version = `darkroom ${run.version}`;
  // The "parameters" text A1111 writes into its PNGs and clients show.
  const infotext = (seed: number) =>
    [
      body.prompt,
      ...(body.negative_prompt ? [`Negative prompt: ${body.negative_prompt}`] : []),
      [
        `Steps: ${spec.steps}`,
        `Sampler: ${sampler}`,
        `CFG scale: ${spec.guidance}`,
        `Seed: ${seed}`,
        `Size: ${width}x${height}`,
        `Model: ${spec.model}`,
        ...(strength !== null ? [`Denoising strength: ${strength}`] : []),
        ...Object.entries(hiresParams).map(([name, value]) => `${name}: ${value}`),
        `Version: ${version}`,
      ].join(', '),
    ].join('\n');
  return {
    prompt: body.prompt,
    all_prompts: seeds.map(() => body.prompt),
    negative_prompt: body.negative_prompt,
    all_negative_prompts: seeds.map(() => body.negative_prompt),
    seed: seeds[0] ?? spec.seed,
    all_seeds: seeds,
    subseed: -1,
    all_subseeds: seeds.map(() => -1),
    subseed_strength: 0,
    width,
    height,
    sampler_name: sampler,
    cfg_scale: spec.guidance,
    steps: spec.steps,
    batch_size: body.batch_size,
    restore_faces: false,
    face_restoration_model: null,
    sd_model_name: spec.model,
    sd_model_hash: null,
    sd_vae_name: null,
    sd_vae_hash: null,
    seed_resize_from_w: -1,
    seed_resize_from_h: -1,
    denoising_strength: strength,
    extra_generation_params: hiresParams,
    index_of_first_image: 0,
    infotexts: run.interrupted ? [] : seeds.map(infotext),
    styles: [],
    job_timestamp: timestamp(run.started),
    clip_skip: 1,
    is_using_inpainting_conditioning: false,
    version,
    ...(run.interrupted ? { interrupted: true } : {}),
  };
}

/** A job started by these routes, as /progress reports it. */
interface A1111Job {
  id: string;
  owner: string;
  kind: Kind;
  createdAt: number;
  startedAt: number | null;
  interrupted: boolean;
  step: number;
  total: number;
  preview: string | null;
}

export async function a1111Routes(app: FastifyInstance, context: HttpContext) {
  const { jobs, images, catalog } = context;
  const active = new Map<string, A1111Job>();
  const defaultModels = new Map<string, string>();

  /** Keeps an A1111 job's progress and latest preview until it ends. */
  function track(owner: string, view: JobView, kind: Kind) {
    const job: A1111Job = { id: view.id, owner, kind, createdAt: Date.now(), startedAt: null, interrupted: false, step: 0, total: view.progress.total, preview: null };
    active.set(job.id, job);
    const forget = () => void active.delete(job.id);
    jobs
      .watch(owner, job.id, (event) => {
        if (event.type === 'started') job.startedAt = Date.now();
        if (event.type === 'progress') {
          job.startedAt ??= Date.now();
          job.step = event.step;
          job.total = event.total;
          if (event.preview) job.preview = event.preview;
        }
        // /progress shows the latest preview as current_image.
      }, { previews: true })
      .ended.then(forget, forget);
  }

  /** Checks and translates the fields txt2img and img2img share, before anything is stored. */
  function generationOf(owner: string, body: Txt2ImgRequest): Generation {
    const n = body.batch_size * body.n_iter;
    if (n > MAX_BATCH) {
      throw new DarkroomError('invalid_parameter', `Expected batch_size × n_iter to be at most ${MAX_BATCH} images, got ${body.batch_size} × ${body.n_iter} = ${n}`);
    }
    return {
      prompt: body.prompt,
      negative_prompt: body.negative_prompt,
      model: body.override_settings.sd_model_checkpoint ?? defaultModels.get(owner) ?? DEFAULT_MODEL,
      width: body.width,
      height: body.height,
      steps: body.steps,
      guidance: body.cfg_scale,
      // As A1111: an empty sampler_name falls back to sampler_index; neither leaves it to the model.
      ...(body.sampler_name || body.sampler_index || body.scheduler
        ? { scheduler: resolveScheduler(body.sampler_name || body.sampler_index || 'Euler', body.scheduler) }
        : {}),
      // Chosen here rather than by the engine so that info names the seeds even when interrupted.
      seed: body.seed === -1 ? randomSeed() : body.seed,
      n,
      // Unlike A1111, Darkroom writes no generation parameters into files.
      embed_prompt: false,
    };
  }

  /** Runs the job and answers A1111's { images, parameters, info }. */
  async function generate(request: FastifyRequest, reply: FastifyReply, body: Txt2ImgRequest, generation: Generation, input: JobInput, echo: Record<string, unknown> = {}) {
    const owner = ownerOf(request);
    const job: Extract<JobRequest, { prompt: string }> = { ...generation, ...input };
    const started = Date.now();
    const view = await runToEnd(jobs, owner, reply, job, (queued) => track(owner, queued, input.operation === 'txt2img' ? 'txt2img' : 'img2img'));
    if (view.status === 'failed') throw jobFailure(view);
    // A1111 answers an interrupted request with HTTP 200 and whatever its sampler had reached
    // (partly denoised images). Darkroom keeps nothing of a cancelled job, so the answer is
    // 200 with no images and "interrupted": true in info.
    const interrupted = view.status !== 'done';
    const first = view.images[0];
    const size = { width: body.width ?? first?.width ?? null, height: body.height ?? first?.height ?? null };
    const seeds = interrupted ? Array.from({ length: job.n }, (_, k) => generation.seed + k) : view.images.map((image) => image.seed ?? generation.seed);
    // What the job ran with, the model's recommendations included.
    const spec = { ...job, steps: view.steps, guidance: view.guidance, scheduler: view.scheduler } as DiffusionSpec;
    return {
      images: await Promise.all(view.images.map(async (image) => (await images.bytes(owner, image.id)).data.toString('base64'))),
      parameters: { ...body, sampler_name: body.sampler_name ?? null, scheduler: body.scheduler ?? null, ...size, ...echo },
      info: JSON.stringify(a1111Info({ body, spec, ...size, seeds, started, interrupted, version: context.version })),
    };
  }

  app.post(
    '/sdapi/v1/txt2img',
    { schema: { tags: ['a1111'], summary: 'Text to image, A1111-style; waits for the images', body: z.toJSONSchema(Txt2ImgRequest, { io: 'input' }) } },
    async (request, reply) => {
      const body = parse(Txt2ImgRequest, withoutNulls(request.body));
      return generate(request, reply, body, generationOf(ownerOf(request), body), { operation: 'txt2img', hires: hiresOf(body) });
    },
  );

  app.post(
    '/sdapi/v1/img2img',
    { schema: { tags: ['a1111'], summary: 'Image to image and inpainting (with mask), A1111-style; waits for the images', body: z.toJSONSchema(Img2ImgRequest, { io: 'input' }) } },
    async (request, reply) => {
      const body: Img2ImgRequest = parse(Img2ImgRequest, withoutNulls(request.body));
      const owner = ownerOf(request);
      const generation = generationOf(owner, body);
      const initBytes = decodeBase64('init_images[0]', body.init_images[0]!);
      const image = (await forField('init_images[0]', images.upload(owner, initBytes))).id;
      const strength = body.denoising_strength;
      let input: JobInput = { operation: 'img2img', image, strength };
      if (body.mask !== undefined) {
        const maskBytes = decodeBase64('mask', body.mask);
        const maskPng = await forField('mask', images.sniff(maskBytes).then(() => a1111Mask(maskBytes, body.inpainting_mask_invert === 1, context.limits.maxPixels)));
        input = { operation: 'inpaint', image, mask: (await images.upload(owner, maskPng)).id, strength };
      }
      // As A1111 without include_init_images: the echo leaves the (large) inputs out.
      return generate(request, reply, body, generation, input, { init_images: null, mask: null });
    },
  );

  app.get('/sdapi/v1/progress', { schema: { tags: ['a1111'], summary: "The caller's running A1111 job: progress, ETA, preview" } }, async (request) => {
    const { skip_current_image } = parse(ProgressQuery, request.query);
    const owner = ownerOf(request);
    const mine = [...active.values()].filter((job) => job.owner === owner);
    const job = mine.find((j) => j.startedAt !== null) ?? mine[0];
    if (!job) {
      return {
        progress: 0,
        eta_relative: 0,
        state: { skipped: false, interrupted: false, job: '', job_count: 0, job_timestamp: '0', job_no: 0, sampling_step: 0, sampling_steps: 0 },
        current_image: null,
        textinfo: null,
      };
    }
    const progress = job.total > 0 ? Math.min(1, job.step / job.total) : 0;
    const elapsed = job.startedAt === null ? 0 : (Date.now() - job.startedAt) / 1000;
    return {
      progress,
      eta_relative: progress > 0 ? elapsed / progress - elapsed : 0,
      state: {
        skipped: false,
        interrupted: job.interrupted,
        job: `scripts_${job.kind}`,
        job_count: mine.length,
        job_timestamp: timestamp(job.startedAt ?? job.createdAt),
        job_no: 0,
        sampling_step: job.step,
        sampling_steps: job.total,
      },
      current_image: job.preview && !skip_current_image ? await previewPng(job.preview) : null,
      textinfo: job.startedAt === null ? 'Waiting in the queue' : null,
    };
  });

  app.post('/sdapi/v1/interrupt', { schema: { tags: ['a1111'], summary: "Cancel the caller's running and queued A1111 jobs" } }, async (request) => {
    const owner = ownerOf(request);
    const mine = [...active.values()].filter((job) => job.owner === owner);
    for (const job of mine) job.interrupted = true;
    await Promise.all(mine.map((job) => jobs.cancel(owner, job.id)));
    return {};
  });

  app.get('/sdapi/v1/sd-models', { schema: { tags: ['a1111'], summary: 'Installed models, A1111-style' } }, async () =>
    (await catalog.list()).map((model) => ({
      title: model.name,
      model_name: model.name,
      hash: null,
      sha256: null,
      filename: basename(model.path),
      config: null,
    })),
  );

  app.get('/sdapi/v1/samplers', { schema: { tags: ['a1111'], summary: 'Samplers, A1111-style' } }, async () =>
    SAMPLER_LIST.map(({ name, aliases, options }) => ({ name, aliases, options })),
  );

  app.get('/sdapi/v1/options', { schema: { tags: ['a1111'], summary: "The caller's A1111 options" } }, async (request) => ({
    sd_model_checkpoint: defaultModels.get(ownerOf(request)) ?? DEFAULT_MODEL,
    samples_format: 'png',
  }));

  app.post(
    '/sdapi/v1/options',
    { schema: { tags: ['a1111'], summary: 'Set the default model (sd_model_checkpoint) for later A1111 requests; other options are ignored', body: z.toJSONSchema(OptionsUpdate, { io: 'input' }) } },
    async (request) => {
      const { sd_model_checkpoint } = parse(OptionsUpdate, withoutNulls(request.body));
      if (sd_model_checkpoint !== undefined) defaultModels.set(ownerOf(request), (await catalog.resolve(sd_model_checkpoint)).name);
      // A1111 answers null.
      return null;
    },
  );

  app.post('/sdapi/v1/extra-single-image', { schema: { tags: ['a1111'], summary: 'Upscaling (ESRGAN)' } }, async (request, reply) => {
    const owner = ownerOf(request);
    const body = parse(ExtraSingleImageRequest, request.body);
    const upload = await images.upload(owner, decodeBase64('image', body.image));
    // Darkroom's networks enlarge by 2, 3, 4 or 8: take the smallest that reaches the asked factor, then fit.
    const factor = body.resize_mode === 1 && body.upscaling_resize_w && body.upscaling_resize_h ? Math.max(body.upscaling_resize_w / upload.width, body.upscaling_resize_h / upload.height) : body.upscaling_resize;
    const scale = ([2, 3, 4, 8] as const).find((s) => s >= factor) ?? 8;
    const view = await runToEnd(jobs, owner, reply, { operation: 'upscale', image: upload.id, scale, upscaler: upscalerFor(body.upscaler_1) });
    if (view.status !== 'done') throw jobFailure(view);
    let png = (await images.bytes(owner, view.images[0]!.id)).data;
    const width = body.resize_mode === 1 && body.upscaling_resize_w ? body.upscaling_resize_w : Math.round(upload.width * factor);
    const height = body.resize_mode === 1 && body.upscaling_resize_h ? body.upscaling_resize_h : Math.round(upload.height * factor);
    if (width !== view.images[0]!.width || height !== view.images[0]!.height) png = await sharp(png).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).png().toBuffer();
    return { html_info: `<p>Upscaled ${scale}x with ESRGAN (${upscalerFor(body.upscaler_1)})</p>`, image: png.toString('base64') };
  });
}
