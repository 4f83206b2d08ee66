// Reads a diffusion model folder in the Hugging Face / Optimum ONNX layout into the
// numbers the pipeline needs. Values come from the model's own configs; where an older
// export (diffusers' conversion script) has no config, they come from the graph, and only
// then from Stable Diffusion 1.x's published values, which such exports always are.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DarkroomError } from '../../domain/errors.js';
import type { GenerationDefaults } from '../../domain/job.js';
import { flowFamily, readFlowConfig, type FlowFamily, type FlowModelConfig } from './flow/flow-config.js';
import { memoryShape, type MemoryShape } from './memory.js';
import { numberOr, readJson, readNotes, readVae, readVaeJson, requireFiles } from './model-files.js';
import { parseSchedulerConfig, type SchedulerConfig } from './schedulers/index.js';
import type { VaeConfig } from './vae.js';

/**
 * What conditions the denoiser. UNets: `sd` (SD 1.x/2.x, one CLIP encoder) or `sdxl` (two
 * encoders, pooled `text_embeds` and `time_ids`). Flow-matching transformers: `z-image`
 * (an LLM's hidden states), `sd3` and `flux` (see flow/flow-config.ts).
 */
export type ModelFamily = 'sd' | 'sdxl' | FlowFamily;

/** What every family's folder gives: the autoencoder, the first text encoder and tokenizer, sizes, and Darkroom's notes. */
export interface ModelConfigBase extends VaeConfig {
  root: string;
  family: ModelFamily;
  files: VaeConfig['files'] & { textEncoder: string; tokenizer: string };
  /** Widths and heights must be multiples of this. */
  sizeMultiple: number;
  /** Prompts the model is known to draw well, from its optional darkroom.json. */
  examplePrompts: string[];
  /** Steps, guidance and scheduler the model recommends (darkroom.json "defaults"). */
  defaults: Partial<GenerationDefaults>;
  /** The image size the model recommends, when not its native square. */
  defaultWidth: number;
  defaultHeight: number;
}

export interface DiffusionModelConfig extends ModelConfigBase {
  family: 'sd' | 'sdxl';
  files: ModelConfigBase['files'] & {
    /** SDXL's second text encoder and its tokenizer. */
    textEncoder2: string | undefined;
    tokenizer2: string | undefined;
    unet: string;
  };
  scheduler: SchedulerConfig;
  /** UNet input channels: latentChannels, or 2 * latentChannels + 1 for inpainting UNets. */
  unetInChannels: number;
  /** LCM UNets take a guidance embedding of this width (`timestep_cond`). */
  timeCondProjDim: number | undefined;
  /** What the memory estimate reads of the UNet and VAE layout. */
  memory: MemoryShape;
  /** SDXL: an empty negative prompt conditions with zeros, not with the encoded "". */
  forceZerosForEmptyPrompt: boolean;
}

export type ModelConfig = DiffusionModelConfig | FlowModelConfig;

export function isFlow(config: ModelConfig): config is FlowModelConfig {
  return config.family === 'z-image' || config.family === 'sd3' || config.family === 'flux';
}

/** Reads a model folder of any family; which one is decided by its configs (see flow-config.ts for the transformers). */
export async function readModelConfig(root: string): Promise<ModelConfig> {
  const index = await readJson(join(root, 'model_index.json'));
  const flow = flowFamily(root, index);
  if (flow) return readFlowConfig(root, flow);
  if (!index) {
    throw new DarkroomError('model_invalid', `${root} is not a diffusion model folder: model_index.json is missing`);
  }
  return readUnetConfig(root, index);
}

async function readUnetConfig(root: string, index: Record<string, unknown>): Promise<DiffusionModelConfig> {
  const unetJson = await readJson(join(root, 'unet', 'config.json'));
  const unet = unetJson ?? {};
  const family = modelFamily(unetJson, existsSync(join(root, 'text_encoder_2')));
  // An export without configs is SD 1.x: four VAE blocks, its published scaling factor.
  const vae = await readVaeJson(root);
  const autoencoder = await readVae(root, vae, { scalingFactor: 0.18215, blocks: 4, latentChannels: 4 }, (factor) => numberOr(unet.sample_size, 64) * factor);
  const files = {
    ...autoencoder.files,
    textEncoder: join(root, 'text_encoder', 'model.onnx'),
    unet: join(root, 'unet', 'model.onnx'),
    tokenizer: join(root, 'tokenizer'),
    textEncoder2: family === 'sdxl' ? join(root, 'text_encoder_2', 'model.onnx') : undefined,
    tokenizer2: family === 'sdxl' ? join(root, 'tokenizer_2') : undefined,
  };
  const required = [files.textEncoder, files.unet, files.vaeDecoder, join(files.tokenizer, 'vocab.json'), join(files.tokenizer, 'merges.txt')];
  if (files.textEncoder2 && files.tokenizer2) {
    required.push(files.textEncoder2, join(files.tokenizer2, 'vocab.json'), join(files.tokenizer2, 'merges.txt'));
  }
  requireFiles(root, required);
  const schedulerJson = (await readJson(join(root, 'scheduler', 'scheduler_config.json'))) ?? {};
  let scheduler: SchedulerConfig;
  try {
    scheduler = parseSchedulerConfig(schedulerJson);
  } catch (error) {
    throw new DarkroomError('model_invalid', `${root}/scheduler/scheduler_config.json: ${(error as Error).message}`);
  }
  // diffusers' UNet resizes its upsampling to odd skip connections only in Python; a traced
  // export doubles every time, so its latents must halve evenly at each down block (64 px
  // for SD). darkroom-tiny's config names no down blocks: its UNet upsamples to the skip's size.
  // An export with no UNet config at all is SD 1.x, which has four.
  const downBlocks = Array.isArray(unet.down_block_types) ? unet.down_block_types.length : unetJson ? 1 : 4;
  const notes = await readNotes(root);
  return {
    ...autoencoder,
    root,
    family,
    files,
    scheduler,
    sizeMultiple: autoencoder.vaeScaleFactor * 2 ** (downBlocks - 1),
    unetInChannels: numberOr(unet.in_channels, autoencoder.latentChannels),
    defaultWidth: notes.width ?? autoencoder.defaultSize,
    defaultHeight: notes.height ?? autoencoder.defaultSize,
    timeCondProjDim: typeof unet.time_cond_proj_dim === 'number' ? unet.time_cond_proj_dim : undefined,
    memory: memoryShape(unetJson, vae),
    examplePrompts: notes.examplePrompts,
    forceZerosForEmptyPrompt: index.force_zeros_for_empty_prompt === true,
    defaults: notes.defaults,
  };
}

/**
 * SDXL's UNet config says `addition_embed_type: "text_time"`; an export without a UNet
 * config is SDXL when it carries a second text encoder. The pipeline checks the answer
 * against the UNet's graph inputs when it first runs.
 */
function modelFamily(unet: Record<string, unknown> | undefined, hasSecondEncoder: boolean): 'sd' | 'sdxl' {
  if (unet) return unet.addition_embed_type === 'text_time' ? 'sdxl' : 'sd';
  return hasSecondEncoder ? 'sdxl' : 'sd';
}
