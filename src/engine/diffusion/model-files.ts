// What every model folder is read with, whatever its family: JSON configs, the autoencoder's
// numbers, the files a family needs, and Darkroom's own notes (darkroom.json).

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DarkroomError } from '../../domain/errors.js';
import { describeIssues, MAX_SIDE, SCHEDULER_NAMES, type GenerationDefaults } from '../../domain/job.js';
import type { VaeConfig } from './vae.js';

export async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new DarkroomError('model_invalid', `${path} is not valid JSON`, { cause: error });
  }
}

export function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Refuses a folder that lacks a file its family needs, naming the file. */
export function requireFiles(root: string, files: readonly string[]): void {
  for (const file of files) {
    if (!existsSync(file)) throw new DarkroomError('model_invalid', `The model in ${root} is incomplete: ${file} is missing`);
  }
}

function optionalGraph(root: string, part: string): string | undefined {
  const path = join(root, part, 'model.onnx');
  return existsSync(path) ? path : undefined;
}

/** The VAE's config (the decoder's, else the PyTorch folder's), or {} for an export without one. */
export async function readVaeJson(root: string): Promise<Record<string, unknown>> {
  return (await readJson(join(root, 'vae_decoder', 'config.json'))) ?? (await readJson(join(root, 'vae', 'config.json'))) ?? {};
}

/** The autoencoder's files and numbers; `fallback` holds the family's published values for what an export leaves out. */
export async function readVae(
  root: string,
  vae: Record<string, unknown>,
  fallback: { scalingFactor: number; shiftFactor?: number; blocks: number; latentChannels: number },
  defaultSize: (factor: number) => number,
): Promise<VaeConfig> {
  const blocks = Array.isArray(vae.block_out_channels) ? vae.block_out_channels.length : fallback.blocks;
  const vaeScaleFactor = 2 ** (blocks - 1);
  return {
    files: { vaeDecoder: join(root, 'vae_decoder', 'model.onnx'), vaeEncoder: optionalGraph(root, 'vae_encoder'), vaeDecoderTiny: optionalGraph(root, 'vae_decoder_tiny') },
    scalingFactor: numberOr(vae.scaling_factor, fallback.scalingFactor),
    shiftFactor: numberOr(vae.shift_factor, fallback.shiftFactor ?? 0),
    tinyScalingFactor: numberOr(((await readJson(join(root, 'vae_decoder_tiny', 'config.json'))) ?? {}).scaling_factor, 1),
    latentChannels: numberOr(vae.latent_channels, fallback.latentChannels),
    vaeScaleFactor,
    defaultSize: defaultSize(vaeScaleFactor),
  };
}

export interface ModelNotes {
  examplePrompts: string[];
  defaults: Partial<GenerationDefaults>;
  width?: number;
  height?: number;
}

/** Darkroom's own notes on a model, beside model_index.json; optional. */
export async function readNotes(root: string): Promise<ModelNotes> {
  const path = join(root, 'darkroom.json');
  const notes = (await readJson(path)) ?? {};
  const examplePrompts = Array.isArray(notes.example_prompts) ? notes.example_prompts.filter((p): p is string => typeof p === 'string') : [];
  return { examplePrompts, ...readDefaults(notes.defaults, path) };
}

const Recommended = z.strictObject({
  steps: z.number().int().min(1).max(150).optional(),
  guidance: z.number().min(0).max(30).optional(),
  scheduler: z.enum(SCHEDULER_NAMES).optional(),
  width: z.number().int().min(8).max(MAX_SIDE).optional(),
  height: z.number().int().min(8).max(MAX_SIDE).optional(),
});

/** darkroom.json's "defaults": what a request that names none of them runs with. A bad value is the model's fault. */
function readDefaults(value: unknown, path: string): { defaults: Partial<GenerationDefaults>; width?: number; height?: number } {
  if (value === undefined) return { defaults: {} };
  const parsed = Recommended.safeParse(value);
  if (!parsed.success) throw new DarkroomError('model_invalid', `${path}: defaults: ${describeIssues(parsed.error)}`);
  const { width, height, ...defaults } = parsed.data;
  return { defaults, ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}) };
}
