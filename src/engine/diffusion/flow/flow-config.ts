// Reads the folder of a flow-matching transformer model: Z-Image (an LLM text encoder),
// SD3 and Flux, in the Hugging Face / Optimum layout (model_index.json beside one folder
// per part), or Z-Image in the webnn/Z-Image-Turbo file set (webnn-layout.ts). The family
// comes from model_index.json's pipeline class (the webnn set is Z-Image's); the pipeline
// checks it against the transformer's graph inputs when it first runs.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DarkroomError } from '../../../domain/errors.js';
import { vaeMemoryShape, type VaeMemoryShape } from '../memory.js';
import type { ModelConfigBase } from '../model-config.js';
import { numberOr, readJson, readNotes, readVae, readVaeJson, requireFiles } from '../model-files.js';
import type { VaeConfig } from '../vae.js';
import { parseFlowMatchConfig, type FlowMatchConfig, type SigmaSpacing } from './flow-match.js';
import { isWebnnLayout, probeWebnnVae, webnnGraph } from './webnn-layout.js';

export type FlowFamily = 'z-image' | 'sd3' | 'flux';

/** What the memory estimate reads of the transformer's and VAE's layout. */
export interface FlowMemoryShape extends VaeMemoryShape {
  /** Width of the transformer's tokens. */
  dim: number;
  heads: number;
  /** Width of the text encoder's hidden states. */
  textWidth: number;
}

export interface FlowModelConfig extends ModelConfigBase {
  family: FlowFamily;
  files: ModelConfigBase['files'] & {
    transformer: string;
    /** SD3: CLIP-G and T5 (optional) with their tokenizers; Flux: T5 and its tokenizer. */
    textEncoder2?: string;
    textEncoder3?: string | undefined;
    tokenizer2?: string;
    tokenizer3?: string;
  };
  scheduler: FlowMatchConfig;
  /** Z-Image and Flux pass their own sigmas; SD3 leaves the spacing to the scheduler. */
  sigmaSpacing: SigmaSpacing;
  /** The transformer's latent patches are patchSize x patchSize cells. */
  patchSize: number;
  /** Z-Image: the most prompt tokens its text encoder reads, the chat template's included (SD3 and Flux pad T5 to their own lengths). */
  maxSequenceLength: number;
  memory: FlowMemoryShape;
}

/** The flow family a folder holds, by its pipeline class; undefined for a UNet model. */
export function flowFamily(root: string, index: Record<string, unknown> | undefined): FlowFamily | undefined {
  if (!index && isWebnnLayout(root)) return 'z-image';
  const name = typeof index?._class_name === 'string' ? index._class_name : '';
  if (/ZImage/.test(name)) return 'z-image';
  if (/StableDiffusion3/.test(name)) return 'sd3';
  if (/Flux/.test(name)) return 'flux';
  if (existsSync(join(root, 'transformer'))) {
    throw new DarkroomError('model_invalid', `${root} has a transformer, but its model_index.json names no pipeline Darkroom knows (${name || 'no _class_name'}); expected ZImagePipeline, StableDiffusion3Pipeline or FluxPipeline`);
  }
  return undefined;
}

/** Published values for what an export leaves out: Z-Image-Turbo's and Flux's 16-channel VAE, SD3's. */
const VAE_FALLBACK = {
  'z-image': { scalingFactor: 0.3611, shiftFactor: 0.1159, blocks: 4, latentChannels: 16 },
  flux: { scalingFactor: 0.3611, shiftFactor: 0.1159, blocks: 4, latentChannels: 16 },
  sd3: { scalingFactor: 1.5305, shiftFactor: 0.0609, blocks: 4, latentChannels: 16 },
} as const;

/** The webnn set's VAE: its graphs by name, its numbers read from them (webnn-layout.ts). */
async function webnnVae(root: string, nativeSize: (factor: number) => number): Promise<VaeConfig> {
  const decoder = webnnGraph(root, 'vae_decoder_model');
  const preProcess = webnnGraph(root, 'vae_pre_process_model');
  const fallback = VAE_FALLBACK['z-image'];
  requireFiles(root, [decoder ?? join(root, 'onnx', 'vae_decoder_model_f16.onnx'), preProcess ?? join(root, 'onnx', 'vae_pre_process_model_f16.onnx')]);
  const probed = await probeWebnnVae(preProcess!, decoder!, fallback.latentChannels);
  return {
    files: { vaeDecoder: decoder!, vaeEncoder: webnnGraph(root, 'vae_encoder_model'), vaeDecoderTiny: undefined },
    ...probed,
    tinyScalingFactor: 1,
    latentChannels: fallback.latentChannels,
    defaultSize: nativeSize(probed.vaeScaleFactor),
  };
}

const FAMILY_DEFAULTS = { 'z-image': { steps: 8, guidance: 0, scheduler: 'euler' }, sd3: { steps: 28, guidance: 7, scheduler: 'euler' }, flux: { steps: 28, guidance: 3.5, scheduler: 'euler' } } as const;

/** Z-Image-Turbo's scheduler_config.json, for an export that has none. */
const Z_IMAGE_SCHEDULER = { num_train_timesteps: 1000, shift: 3, use_dynamic_shifting: false };

/** The text side of each family: encoders and tokenizers, by folder (the webnn set has its own names). */
function textFiles(root: string, family: FlowFamily, webnn: boolean) {
  const graph = (part: string) => join(root, part, 'model.onnx');
  const optional = (part: string) => (existsSync(graph(part)) ? graph(part) : undefined);
  if (family === 'z-image') {
    const textEncoder = webnn ? (webnnGraph(root, 'text_encoder_model') ?? join(root, 'onnx', 'text_encoder_model.onnx')) : graph('text_encoder');
    return { textEncoder, tokenizer: join(root, 'tokenizer'), required: [textEncoder, join(root, 'tokenizer', 'tokenizer.json'), join(root, 'tokenizer', 'tokenizer_config.json')] };
  }
  const clip = (folder: string) => [join(root, folder, 'vocab.json'), join(root, folder, 'merges.txt')];
  const t5 = (folder: string) => [join(root, folder, 'tokenizer.json'), join(root, folder, 'tokenizer_config.json')];
  if (family === 'sd3') {
    // SD3 runs without its T5 encoder (diffusers feeds zeros in its place).
    const textEncoder3 = optional('text_encoder_3');
    const files = { textEncoder: graph('text_encoder'), textEncoder2: graph('text_encoder_2'), textEncoder3, tokenizer: join(root, 'tokenizer'), tokenizer2: join(root, 'tokenizer_2'), tokenizer3: join(root, 'tokenizer_3') };
    return { ...files, required: [files.textEncoder, files.textEncoder2, ...clip('tokenizer'), ...clip('tokenizer_2'), ...(textEncoder3 ? t5('tokenizer_3') : [])] };
  }
  const files = { textEncoder: graph('text_encoder'), textEncoder2: graph('text_encoder_2'), tokenizer: join(root, 'tokenizer'), tokenizer2: join(root, 'tokenizer_2') };
  return { ...files, required: [files.textEncoder, files.textEncoder2, ...clip('tokenizer'), ...t5('tokenizer_2')] };
}

export async function readFlowConfig(root: string, family: FlowFamily): Promise<FlowModelConfig> {
  const transformer = (await readJson(join(root, 'transformer', 'config.json'))) ?? {};
  const text = (await readJson(join(root, 'text_encoder', 'config.json'))) ?? {};
  const notes = await readNotes(root);
  const vaeJson = await readVaeJson(root);
  // Z-Image's transformer config has no sample size; SD3's and Flux's do (in latent cells).
  const nativeSize = (factor: number) => (typeof transformer.sample_size === 'number' ? transformer.sample_size * factor : (notes.width ?? 1024));
  const webnn = family === 'z-image' && isWebnnLayout(root);
  const vae = webnn ? await webnnVae(root, nativeSize) : await readVae(root, vaeJson, VAE_FALLBACK[family], nativeSize);
  const { required, ...textParts } = textFiles(root, family, webnn);
  const files = { ...vae.files, ...textParts, transformer: webnn ? webnnGraph(root, 'transformer_model')! : join(root, 'transformer', 'model.onnx') };
  requireFiles(root, [...required, files.transformer, files.vaeDecoder]);
  const schedulerPath = join(root, 'scheduler', 'scheduler_config.json');
  let scheduler: FlowMatchConfig;
  try {
    scheduler = parseFlowMatchConfig((await readJson(schedulerPath)) ?? Z_IMAGE_SCHEDULER);
  } catch (error) {
    throw new DarkroomError('model_invalid', `${schedulerPath}: ${(error as Error).message}`);
  }
  // Z-Image and SD3 patchify 2x2 inside the transformer; Flux packs 2x2 patches outside it (its config says patch_size 1).
  const patches = transformer.all_patch_size ?? transformer.patch_size;
  const patchSize = family === 'flux' ? 2 : numberOr(Array.isArray(patches) ? patches[0] : patches, 2);
  const heads = numberOr(transformer.n_heads ?? transformer.num_attention_heads, 30);
  return {
    ...vae,
    root,
    family,
    files,
    scheduler,
    sigmaSpacing: family === 'sd3' ? 'scheduler' : 'pipeline',
    patchSize,
    maxSequenceLength: 512,
    sizeMultiple: vae.vaeScaleFactor * patchSize,
    defaultWidth: notes.width ?? vae.defaultSize,
    defaultHeight: notes.height ?? vae.defaultSize,
    examplePrompts: notes.examplePrompts,
    // Each family's published recommendation (Z-Image-Turbo: 8 steps, no guidance); a model's darkroom.json may say otherwise.
    defaults: { ...FAMILY_DEFAULTS[family], ...notes.defaults },
    memory: {
      // Z-Image names its width; SD3 and Flux give heads x head width.
      dim: numberOr(transformer.dim, heads * numberOr(transformer.attention_head_dim, 128)),
      heads,
      // Z-Image: the LLM's width; SD3 and Flux: the transformer's text width (T5's).
      textWidth: numberOr(transformer.joint_attention_dim ?? text.hidden_size, 2560),
      ...vaeMemoryShape(vaeJson),
    },
  };
}
