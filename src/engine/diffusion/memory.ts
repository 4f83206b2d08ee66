// What a diffusion job costs in memory, decided before it runs: the largest size a model
// takes (a multiple of its native side) and an estimate of a run's peak, checked against
// the server's budget at submission and used to split a batch into runs that fit.
//
// The estimate counts what onnxruntime's CPU arenas hold at the end of a run (they keep
// every session's peak, so the parts add up rather than overlap), per copy of a latent in
// the UNet's batch ("units": images x 2 with classifier-free guidance):
//   UNet activations   units x latent cells x UNet width x 4 B x 72
//   UNet attention     units x heads x T^2 x 4 B x 2   (scores and softmax, T = latent
//                      cells at the first level with self-attention)
//   VAE decoder        pixels x VAE width x 4 B x 4    (+ cells^2 x 4 B x 2 with mid attention)
//   weights            the size of the model's files
// The attention term is exact: darkroom-tiny at 2048x2048 with guidance asked onnxruntime
// for 2 x 4 x 65536^2 x 4 B = 128 GiB in one MatMul. The factors 72 and 4 were fitted to
// darkroom-tiny's peak RSS over idle at 64..512 px, batch 1..4, with and without guidance
// (bench/memory.ts) and rounded up; the estimate is above every measurement, by up to 2x
// at small sizes.

import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DarkroomError } from '../../domain/errors.js';
import type { FlowModelConfig } from './flow/flow-config.js';
import { isFlow, type ModelConfig } from './model-config.js';
import { shouldTile } from './tiled-vae.js';

/** How far past its native side a model may be asked to go: beyond, it draws repeats and costs quadratically more. */
export const MAX_SIDE_FACTOR = 4;

const FLOAT = 4;
const UNET_ACTIVATIONS = 72;
const TRANSFORMER_ACTIVATIONS = 24;
const VAE_ACTIVATIONS = 4;

/** What the estimate reads of a model's VAE. */
export interface VaeMemoryShape {
  /** Channels of the VAE decoder at full image resolution. */
  vaeWidth: number;
  /** Whether the VAE has self-attention over the whole latent (diffusers' mid block). */
  vaeAttention: boolean;
}

/** The numbers of a UNet model's layout the estimate needs, from its configs. */
export interface MemoryShape extends VaeMemoryShape {
  /** Channels of the UNet's first level. */
  unetWidth: number;
  heads: number;
  /** The first UNet level (0: full latent resolution) with self-attention. */
  attentionLevel: number;
}

/** A VAE config's width and attention (diffusers' AutoencoderKL has a mid-block attention unless it says not). */
export function vaeMemoryShape(vae: Record<string, unknown>, attentionByDefault = true): VaeMemoryShape {
  return {
    vaeWidth: first(vae.block_out_channels, 128),
    vaeAttention: typeof vae.mid_block_add_attention === 'boolean' ? vae.mid_block_add_attention : attentionByDefault,
  };
}

function first(value: unknown, fallback: number): number {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/**
 * The layout from the UNet and VAE configs. SD 1.x's values stand in for what an export
 * leaves out; darkroom-tiny's layout (a UNet config naming no blocks) attends to itself
 * from its second level only and has no VAE attention.
 */
export function memoryShape(unet: Record<string, unknown> | undefined, vae: Record<string, unknown>): MemoryShape {
  const blocks = Array.isArray(unet?.down_block_types) ? (unet.down_block_types as unknown[]) : undefined;
  const tinyLayout = unet !== undefined && blocks === undefined;
  const attentionLevel = blocks ? Math.max(0, blocks.findIndex((b) => String(b).includes('Attn'))) : tinyLayout ? 1 : 0;
  return {
    unetWidth: first(unet?.block_out_channels, 320),
    // diffusers' "attention_head_dim" holds the head count in SD 1.x and 2.x configs.
    heads: first(unet?.num_attention_heads ?? unet?.attention_head_dim, 8),
    attentionLevel,
    ...vaeMemoryShape(vae, !tinyLayout),
  };
}

/** The largest side a model is asked for. */
export function maxSide(config: ModelConfig): number {
  return MAX_SIDE_FACTOR * config.defaultSize;
}

export interface RunSize {
  width: number;
  height: number;
  /** Images run at once. */
  batch: number;
  /** Classifier-free guidance runs every image twice. */
  guided: boolean;
  /** The job's tiled_vae setting (tiled-vae.ts decides). */
  tiledVae?: boolean;
}

/** Peak bytes of a run beyond the loaded weights (see the header for the terms). */
export function workingBytes(config: ModelConfig, { width, height, batch, guided, tiledVae }: RunSize): number {
  const cells = (width / config.vaeScaleFactor) * (height / config.vaeScaleFactor);
  const denoiser = isFlow(config) ? transformerBytes(config, cells) : unetBytes(config.memory, cells, batch * (guided ? 2 : 1));
  // In tiles, the VAE sees one tile of the native side at a time.
  const tiled = shouldTile(width, height, config.defaultSize, tiledVae);
  const [vaeWidth, vaeHeight] = tiled ? [Math.min(width, config.defaultSize), Math.min(height, config.defaultSize)] : [width, height];
  const vaeCells = (vaeWidth / config.vaeScaleFactor) * (vaeHeight / config.vaeScaleFactor);
  const shape = config.memory;
  const vae = vaeWidth * vaeHeight * shape.vaeWidth * FLOAT * VAE_ACTIVATIONS + (shape.vaeAttention ? vaeCells * vaeCells * FLOAT * 2 : 0);
  return denoiser + vae;
}

function unetBytes(shape: MemoryShape, cells: number, units: number): number {
  const tokens = cells / 4 ** shape.attentionLevel;
  return units * (cells * shape.unetWidth * FLOAT * UNET_ACTIVATIONS + shape.heads * tokens * tokens * FLOAT * 2);
}

/**
 * A flow transformer runs one image and one prompt at a time over the image's patches and
 * the prompt's tokens together: its activations, and each head's attention scores and
 * softmax over all of them (T^2). The prompt is counted at 128 tokens.
 */
function transformerBytes(config: FlowModelConfig, cells: number): number {
  const { dim, heads } = config.memory;
  const tokens = cells / config.patchSize ** 2 + 128;
  return tokens * dim * FLOAT * TRANSFORMER_ACTIVATIONS + heads * tokens * tokens * FLOAT * 2;
}

/**
 * Bytes of graphs and their external data: a graph alone in its folder counts the whole
 * folder (external data files may have any name); graphs sharing a folder (the webnn set's
 * onnx/) count the files named after them (model.onnx_data, model.onnx_data_1, ...).
 */
async function graphBytes(files: readonly (string | undefined)[]): Promise<number> {
  let total = 0;
  for (const file of files) {
    if (!file) continue;
    const folder = dirname(file);
    const names = await readdir(folder);
    const alone = names.filter((name) => name.endsWith('.onnx')).length === 1;
    for (const name of names) if (alone || name.startsWith(basename(file))) total += (await stat(join(folder, name))).size;
  }
  return total;
}

/**
 * Bytes of a model's ONNX files and their external weights (every file in each component
 * folder). In low-memory mode a flow model's text encoder is released before its
 * transformer runs, so only the larger of the two sides is held at once.
 */
export async function weightBytes(config: ModelConfig, lowMemory = false): Promise<number> {
  const { vaeDecoder, vaeEncoder } = config.files;
  if (!isFlow(config)) return graphBytes([config.files.textEncoder, config.files.textEncoder2, config.files.unet, vaeDecoder, vaeEncoder]);
  const text = await graphBytes([config.files.textEncoder, config.files.textEncoder2, config.files.textEncoder3]);
  const image = await graphBytes([config.files.transformer, vaeDecoder, vaeEncoder]);
  return lowMemory ? Math.max(text, image) : text + image;
}

export function formatBytes(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  return gb >= 1 ? `${gb.toFixed(1)} GB` : `${Math.ceil(bytes / 1024 ** 2)} MB`;
}

export interface Fit {
  /** Images per run so that each run stays within the budget. */
  batch: number;
  /** The estimate of one such run, weights included. */
  peakBytes: number;
}

/**
 * Refuses a size past the model's limit, or a job of which even one image would not fit
 * in `budget` bytes; otherwise the largest batch that fits.
 */
export function fitJob(config: ModelConfig, modelName: string, weights: number, budget: number, job: Omit<RunSize, 'batch'> & { count: number }): Fit {
  const limit = maxSide(config);
  if (job.width > limit || job.height > limit) {
    throw new DarkroomError(
      'too_large',
      `Expected width and height of at most ${limit} for ${modelName} (${MAX_SIDE_FACTOR}x its native ${config.defaultSize}), got ${job.width}x${job.height}`,
    );
  }
  const peak = (batch: number) => weights + workingBytes(config, { ...job, batch });
  if (peak(1) > budget) {
    throw new DarkroomError(
      'too_large',
      `A ${job.width}x${job.height} image on ${modelName} needs about ${formatBytes(peak(1))} of memory; this server allows ${formatBytes(budget)} a job (DARKROOM_MEMORY_BUDGET). Ask for a smaller size.`,
    );
  }
  let batch = job.count;
  while (batch > 1 && peak(batch) > budget) batch--;
  return { batch, peakBytes: peak(batch) };
}
