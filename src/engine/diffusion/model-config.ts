// Reads a diffusion model folder in the Hugging Face / Optimum ONNX layout into the
// numbers the pipeline needs. Values come from the model's own configs; where an older
// export (diffusers' conversion script) has no config, they come from the graph, and only
// then from Stable Diffusion 1.x's published values, which such exports always are.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DarkroomError } from '../../domain/errors.js';
import { describeIssues, MAX_SIDE, SCHEDULER_NAMES, type GenerationDefaults } from '../../domain/job.js';
import { memoryShape, type MemoryShape } from './memory.js';
import { parseSchedulerConfig, type SchedulerConfig } from './schedulers/index.js';

/**
 * What conditions the UNet: `sd` (SD 1.x/2.x, one CLIP encoder) or `sdxl` (two encoders,
 * pooled `text_embeds` and `time_ids`).
 */
export type ModelFamily = 'sd' | 'sdxl';

export interface DiffusionModelConfig {
  root: string;
  family: ModelFamily;
  files: {
    textEncoder: string;
    /** SDXL's second text encoder and its tokenizer. */
    textEncoder2: string | undefined;
    tokenizer2: string | undefined;
    unet: string;
    vaeDecoder: string;
    /** Absent in text-to-image-only exports; img2img and inpainting then say so. */
    vaeEncoder: string | undefined;
    /** A tiny autoencoder decoder (TAESD), optional: previews on every step and fast decodes. */
    vaeDecoderTiny: string | undefined;
    tokenizer: string;
  };
  scheduler: SchedulerConfig;
  /** Latents are (z - shiftFactor) x scalingFactor: encoding does this, decoding undoes it. */
  scalingFactor: number;
  /** 0 for Stable Diffusion 1.x, 2.x and XL. */
  shiftFactor: number;
  /** The same for the tiny decoder: 1 for TAESD, which reads the UNet's latents as they are. */
  tinyScalingFactor: number;
  latentChannels: number;
  /** Pixels per latent cell along each side (8 for SD, 4 for darkroom-tiny). */
  vaeScaleFactor: number;
  /** UNet input channels: latentChannels, or 2 * latentChannels + 1 for inpainting UNets. */
  unetInChannels: number;
  /** Widths and heights must be multiples of this: vaeScaleFactor, or more for exported UNets. */
  sizeMultiple: number;
  /** The image side the model was trained at. */
  defaultSize: number;
  /** LCM UNets take a guidance embedding of this width (`timestep_cond`). */
  timeCondProjDim: number | undefined;
  /** What the memory estimate reads of the UNet and VAE layout. */
  memory: MemoryShape;
  /** Prompts the model is known to draw well, from its optional darkroom.json. */
  examplePrompts: string[];
  /** SDXL: an empty negative prompt conditions with zeros, not with the encoded "". */
  forceZerosForEmptyPrompt: boolean;
  /** Steps, guidance and scheduler the model recommends (darkroom.json "defaults"). */
  defaults: Partial<GenerationDefaults>;
  /** The image size the model recommends, when not its native square. */
  defaultWidth: number;
  defaultHeight: number;
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new DarkroomError('model_invalid', `${path} is not valid JSON`, { cause: error });
  }
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export async function readModelConfig(root: string): Promise<DiffusionModelConfig> {
  const index = await readJson(join(root, 'model_index.json'));
  if (!index) {
    throw new DarkroomError('model_invalid', `${root} is not a diffusion model folder: model_index.json is missing`);
  }
  const files = {
    textEncoder: join(root, 'text_encoder', 'model.onnx'),
    unet: join(root, 'unet', 'model.onnx'),
    vaeDecoder: join(root, 'vae_decoder', 'model.onnx'),
    vaeEncoder: existsSync(join(root, 'vae_encoder', 'model.onnx')) ? join(root, 'vae_encoder', 'model.onnx') : undefined,
    tokenizer: join(root, 'tokenizer'),
    vaeDecoderTiny: existsSync(join(root, 'vae_decoder_tiny', 'model.onnx')) ? join(root, 'vae_decoder_tiny', 'model.onnx') : undefined,
    textEncoder2: undefined as string | undefined,
    tokenizer2: undefined as string | undefined,
  };
  const unetJson = await readJson(join(root, 'unet', 'config.json'));
  const unet = unetJson ?? {};
  const family = modelFamily(unetJson, existsSync(join(root, 'text_encoder_2')));
  if (family === 'sdxl') {
    files.textEncoder2 = join(root, 'text_encoder_2', 'model.onnx');
    files.tokenizer2 = join(root, 'tokenizer_2');
  }
  const required = [files.textEncoder, files.unet, files.vaeDecoder, join(files.tokenizer, 'vocab.json'), join(files.tokenizer, 'merges.txt')];
  if (files.textEncoder2 && files.tokenizer2) {
    required.push(files.textEncoder2, join(files.tokenizer2, 'vocab.json'), join(files.tokenizer2, 'merges.txt'));
  }
  for (const file of required) {
    if (!existsSync(file)) {
      throw new DarkroomError('model_invalid', `The model in ${root} is incomplete: ${file} is missing`);
    }
  }
  const schedulerJson = (await readJson(join(root, 'scheduler', 'scheduler_config.json'))) ?? {};
  let scheduler: SchedulerConfig;
  try {
    scheduler = parseSchedulerConfig(schedulerJson);
  } catch (error) {
    throw new DarkroomError('model_invalid', `${root}/scheduler/scheduler_config.json: ${(error as Error).message}`);
  }
  const vae = (await readJson(join(root, 'vae_decoder', 'config.json'))) ?? (await readJson(join(root, 'vae', 'config.json'))) ?? {};
  const blocks = Array.isArray(vae.block_out_channels) ? vae.block_out_channels.length : 4;
  const vaeScaleFactor = 2 ** (blocks - 1);
  const latentChannels = numberOr(vae.latent_channels, 4);
  // diffusers' UNet resizes its upsampling to odd skip connections only in Python; a traced
  // export doubles every time, so its latents must halve evenly at each down block (64 px
  // for SD). darkroom-tiny's config names no down blocks: its UNet upsamples to the skip's size.
  // An export with no UNet config at all is SD 1.x, which has four.
  const downBlocks = Array.isArray(unet.down_block_types) ? unet.down_block_types.length : unetJson ? 1 : 4;
  const sizeMultiple = vaeScaleFactor * 2 ** (downBlocks - 1);
  // Darkroom's own notes on a model, beside model_index.json; optional.
  const notes = (await readJson(join(root, 'darkroom.json'))) ?? {};
  const examples = Array.isArray(notes.example_prompts) ? notes.example_prompts.filter((p): p is string => typeof p === 'string') : [];
  const recommended = readDefaults(notes.defaults, join(root, 'darkroom.json'));
  const defaultSize = numberOr(unet.sample_size, 64) * vaeScaleFactor;
  return {
    root,
    family,
    files,
    scheduler,
    scalingFactor: numberOr(vae.scaling_factor, 0.18215),
    shiftFactor: numberOr(vae.shift_factor, 0),
    tinyScalingFactor: numberOr(((await readJson(join(root, 'vae_decoder_tiny', 'config.json'))) ?? {}).scaling_factor, 1),
    latentChannels,
    vaeScaleFactor,
    sizeMultiple,
    unetInChannels: numberOr(unet.in_channels, latentChannels),
    defaultSize,
    defaultWidth: recommended.width ?? defaultSize,
    defaultHeight: recommended.height ?? defaultSize,
    timeCondProjDim: typeof unet.time_cond_proj_dim === 'number' ? unet.time_cond_proj_dim : undefined,
    memory: memoryShape(unetJson, vae),
    examplePrompts: examples,
    forceZerosForEmptyPrompt: index.force_zeros_for_empty_prompt === true,
    defaults: recommended.generation,
  };
}

const Recommended = z.strictObject({
  steps: z.number().int().min(1).max(150).optional(),
  guidance: z.number().min(0).max(30).optional(),
  scheduler: z.enum(SCHEDULER_NAMES).optional(),
  width: z.number().int().min(8).max(MAX_SIDE).optional(),
  height: z.number().int().min(8).max(MAX_SIDE).optional(),
});

/** darkroom.json's "defaults": what a request that names none of them runs with. A bad value is the model's fault. */
function readDefaults(value: unknown, path: string): { generation: Partial<GenerationDefaults>; width?: number; height?: number } {
  if (value === undefined) return { generation: {} };
  const parsed = Recommended.safeParse(value);
  if (!parsed.success) throw new DarkroomError('model_invalid', `${path}: defaults: ${describeIssues(parsed.error)}`);
  const { width, height, ...generation } = parsed.data;
  return { generation, ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}) };
}

/**
 * SDXL's UNet config says `addition_embed_type: "text_time"`; an export without a UNet
 * config is SDXL when it carries a second text encoder. The pipeline checks the answer
 * against the UNet's graph inputs when it first runs.
 */
function modelFamily(unet: Record<string, unknown> | undefined, hasSecondEncoder: boolean): ModelFamily {
  if (unet) return unet.addition_embed_type === 'text_time' ? 'sdxl' : 'sd';
  return hasSecondEncoder ? 'sdxl' : 'sd';
}
