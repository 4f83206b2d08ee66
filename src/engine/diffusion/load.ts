// Opens a diffusion model folder as a pipeline: configs, tokenizers, the family's
// conditioner (UNets) or runner (flow transformers), shared sessions.

import { DarkroomError } from '../../domain/errors.js';
import { ClipConditioner } from './conditioning/clip-conditioner.js';
import type { Conditioner } from './conditioning/conditioner.js';
import { SdxlConditioner } from './conditioning/sdxl-conditioner.js';
import { ChatTokenizer } from './flow/chat-tokenizer.js';
import type { FlowModelConfig } from './flow/flow-config.js';
import type { FlowFamilyRunner } from './flow/flow-family.js';
import { FlowPipeline } from './flow/flow-pipeline.js';
import { FluxRunner } from './flow/flux.js';
import { Sd3Runner } from './flow/sd3.js';
import { T5Tokenizer } from './flow/t5-tokenizer.js';
import { ZImageRunner } from './flow/z-image.js';
import { isFlow, readModelConfig, type DiffusionModelConfig } from './model-config.js';
import type { SessionPool } from './onnx-session.js';
import { DiffusionPipeline, type ImagePipeline } from './pipeline.js';
import { ClipTokenizer } from './tokenizer.js';

async function loadTokenizer(dir: string): Promise<ClipTokenizer> {
  try {
    return await ClipTokenizer.load(dir);
  } catch (error) {
    throw new DarkroomError('model_invalid', `The tokenizer in ${dir} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}

export async function loadPipeline(root: string, sessions: SessionPool): Promise<ImagePipeline> {
  const config = await readModelConfig(root);
  if (isFlow(config)) return new FlowPipeline(config, await flowRunner(config, sessions), sessions);
  return loadUnetPipeline(config, sessions);
}

/** The family's text side and transformer call (flow/z-image.ts, sd3.ts, flux.ts). */
async function flowRunner(config: FlowModelConfig, sessions: SessionPool): Promise<FlowFamilyRunner> {
  const { files } = config;
  const graph = (path: string) => () => sessions.get(path);
  const transformer = graph(files.transformer);
  if (config.family === 'z-image') {
    return new ZImageRunner(await ChatTokenizer.load(files.tokenizer, config.maxSequenceLength), graph(files.textEncoder), transformer);
  }
  const clip = async (tokenizer: string, encoder: string) => ({ tokenizer: await loadTokenizer(tokenizer), encoder: graph(encoder) });
  const t5 = async (tokenizer: string, encoder: string) => ({ tokenizer: await T5Tokenizer.load(tokenizer), encoder: graph(encoder) });
  if (config.family === 'sd3') {
    const t5Side = files.textEncoder3 ? await t5(files.tokenizer3!, files.textEncoder3) : undefined;
    return new Sd3Runner(await clip(files.tokenizer, files.textEncoder), await clip(files.tokenizer2!, files.textEncoder2!), t5Side, transformer, config.memory.textWidth);
  }
  return new FluxRunner(await clip(files.tokenizer, files.textEncoder), await t5(files.tokenizer2!, files.textEncoder2!), transformer);
}

async function loadUnetPipeline(config: DiffusionModelConfig, sessions: SessionPool): Promise<DiffusionPipeline> {
  const { files } = config;
  const tokenizer = await loadTokenizer(files.tokenizer);
  let conditioner: Conditioner;
  if (config.family === 'sdxl' && files.textEncoder2 && files.tokenizer2) {
    const second = { tokenizer: await loadTokenizer(files.tokenizer2), encoder: () => sessions.get(files.textEncoder2!) };
    conditioner = new SdxlConditioner({ tokenizer, encoder: () => sessions.get(files.textEncoder) }, second, config.forceZerosForEmptyPrompt);
  } else {
    conditioner = new ClipConditioner(tokenizer, () => sessions.get(files.textEncoder));
  }
  return new DiffusionPipeline(config, conditioner, sessions);
}
