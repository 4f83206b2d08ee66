// Opens a diffusion model folder as a pipeline: configs, tokenizers, the family's
// conditioner (UNets) or runner (flow transformers), shared sessions.

import { DarkroomError } from '../../domain/errors.js';
import { ClipConditioner } from './conditioning/clip-conditioner.js';
import type { Conditioner } from './conditioning/conditioner.js';
import { SdxlConditioner } from './conditioning/sdxl-conditioner.js';
import { ChatTokenizer } from './flow/chat-tokenizer.js';
import { FlowPipeline } from './flow/flow-pipeline.js';
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
  if (isFlow(config)) {
    const { files } = config;
    const tokenizer = await ChatTokenizer.load(files.tokenizer, config.maxSequenceLength);
    const runner = new ZImageRunner(tokenizer, () => sessions.get(files.textEncoder), () => sessions.get(files.transformer));
    return new FlowPipeline(config, runner, sessions);
  }
  return loadUnetPipeline(config, sessions);
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
