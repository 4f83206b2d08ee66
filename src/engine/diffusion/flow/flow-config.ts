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
  files: ModelConfigBase['files'] & { transformer: string };
  scheduler: FlowMatchConfig;
  /** Z-Image and Flux pass their own sigmas; SD3 leaves the spacing to the scheduler. */
  sigmaSpacing: SigmaSpacing;
  /** The transformer's latent patches are patchSize x patchSize cells. */
  patchSize: number;
  /** The most prompt tokens the text encoder reads (the chat template's included). */
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

export async function readFlowConfig(root: string, family: FlowFamily, _index: Record<string, unknown>): Promise<FlowModelConfig> {
  if (family !== 'z-image') {
    throw new DarkroomError('unsupported_operation', `${root} is a ${family === 'sd3' ? 'Stable Diffusion 3' : 'Flux'} model, which Darkroom cannot run yet`);
  }
  const transformer = (await readJson(join(root, 'transformer', 'config.json'))) ?? {};
  const text = (await readJson(join(root, 'text_encoder', 'config.json'))) ?? {};
  const notes = await readNotes(root);
  const vaeJson = await readVaeJson(root);
  // Z-Image's transformer config has no sample size; SD3's and Flux's do (in latent cells).
  const nativeSize = (factor: number) => (typeof transformer.sample_size === 'number' ? transformer.sample_size * factor : (notes.width ?? 1024));
  const webnn = isWebnnLayout(root);
  const vae = webnn ? await webnnVae(root, nativeSize) : await readVae(root, vaeJson, VAE_FALLBACK[family], nativeSize);
  const files = webnn
    ? { ...vae.files, textEncoder: webnnGraph(root, 'text_encoder_model') ?? join(root, 'onnx', 'text_encoder_model.onnx'), tokenizer: join(root, 'tokenizer'), transformer: webnnGraph(root, 'transformer_model')! }
    : { ...vae.files, textEncoder: join(root, 'text_encoder', 'model.onnx'), tokenizer: join(root, 'tokenizer'), transformer: join(root, 'transformer', 'model.onnx') };
  requireFiles(root, [files.textEncoder, files.transformer, files.vaeDecoder, join(files.tokenizer, 'tokenizer.json'), join(files.tokenizer, 'tokenizer_config.json')]);
  const schedulerPath = join(root, 'scheduler', 'scheduler_config.json');
  let scheduler: FlowMatchConfig;
  try {
    scheduler = parseFlowMatchConfig((await readJson(schedulerPath)) ?? Z_IMAGE_SCHEDULER);
  } catch (error) {
    throw new DarkroomError('model_invalid', `${schedulerPath}: ${(error as Error).message}`);
  }
  const patches = transformer.all_patch_size ?? transformer.patch_size;
  const patchSize = numberOr(Array.isArray(patches) ? patches[0] : patches, 2);
  return {
    ...vae,
    root,
    family,
    files,
    scheduler,
    sigmaSpacing: 'pipeline',
    patchSize,
    maxSequenceLength: 512,
    sizeMultiple: vae.vaeScaleFactor * patchSize,
    defaultWidth: notes.width ?? vae.defaultSize,
    defaultHeight: notes.height ?? vae.defaultSize,
    examplePrompts: notes.examplePrompts,
    // Z-Image-Turbo's recommended use; a model's darkroom.json may say otherwise.
    defaults: { ...FAMILY_DEFAULTS[family], ...notes.defaults },
    memory: { dim: numberOr(transformer.dim, 3840), heads: numberOr(transformer.n_heads, 30), textWidth: numberOr(text.hidden_size, 2560), ...vaeMemoryShape(vaeJson) },
  };
}
