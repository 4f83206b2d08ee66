// Opens a diffusion model folder as a pipeline: configs, tokenizers, the family's
// conditioner, shared sessions.

import { DarkroomError } from '../../domain/errors.js';
import { ClipConditioner } from './conditioning/clip-conditioner.js';
import type { Conditioner } from './conditioning/conditioner.js';
import { SdxlConditioner } from './conditioning/sdxl-conditioner.js';
import { readModelConfig } from './model-config.js';
import type { SessionPool } from './onnx-session.js';
import { DiffusionPipeline } from './pipeline.js';
import { ClipTokenizer } from './tokenizer.js';

async function loadTokenizer(dir: string): Promise<ClipTokenizer> {
  try {
    return await ClipTokenizer.load(dir);
  } catch (error) {
    throw new DarkroomError('model_invalid', `The tokenizer in ${dir} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}

export async function loadPipeline(root: string, sessions: SessionPool): Promise<DiffusionPipeline> {
  const config = await readModelConfig(root);
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
