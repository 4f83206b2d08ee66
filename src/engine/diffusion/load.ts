// Opens a diffusion model folder as a pipeline: configs, tokenizer, shared sessions.

import { DarkroomError } from '../../domain/errors.js';
import { readModelConfig } from './model-config.js';
import type { SessionPool } from './onnx-session.js';
import { DiffusionPipeline } from './pipeline.js';
import { ClipTokenizer } from './tokenizer.js';

export async function loadPipeline(root: string, sessions: SessionPool): Promise<DiffusionPipeline> {
  const config = await readModelConfig(root);
  let tokenizer: ClipTokenizer;
  try {
    tokenizer = await ClipTokenizer.load(config.files.tokenizer);
  } catch (error) {
    throw new DarkroomError('model_invalid', `The tokenizer in ${config.files.tokenizer} cannot be read: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return new DiffusionPipeline(config, tokenizer, sessions);
}
