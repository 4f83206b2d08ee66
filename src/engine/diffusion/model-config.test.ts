// Reading a model folder's configs: the numbers come from the model, and the size grid
// follows what a traced UNet export can take.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_DIR } from '../../../test/helpers/tiny.js';
import { isFlow, readModelConfig } from './model-config.js';

/** A model folder with the given configs and empty graph files (readModelConfig opens no graph). */
async function modelFolder(configs: { unet?: object; vae?: object; index?: object; secondEncoder?: boolean }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'darkroom-config-'));
  if (configs.secondEncoder) {
    for (const part of ['text_encoder_2', 'tokenizer_2']) await mkdir(join(root, part));
    await writeFile(join(root, 'text_encoder_2', 'model.onnx'), '');
    await writeFile(join(root, 'tokenizer_2', 'vocab.json'), '{}');
    await writeFile(join(root, 'tokenizer_2', 'merges.txt'), '');
  }
  for (const part of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder', 'tokenizer', 'scheduler']) await mkdir(join(root, part));
  for (const graph of ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']) await writeFile(join(root, graph, 'model.onnx'), '');
  await writeFile(join(root, 'tokenizer', 'vocab.json'), '{}');
  await writeFile(join(root, 'tokenizer', 'merges.txt'), '');
  await writeFile(join(root, 'model_index.json'), JSON.stringify(configs.index ?? {}));
  await writeFile(join(root, 'scheduler', 'scheduler_config.json'), JSON.stringify({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, num_train_timesteps: 1000 }));
  if (configs.unet) await writeFile(join(root, 'unet', 'config.json'), JSON.stringify(configs.unet));
  if (configs.vae) await writeFile(join(root, 'vae_decoder', 'config.json'), JSON.stringify(configs.vae));
  return root;
}

const SD15_UNET = {
  in_channels: 4,
  sample_size: 64,
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
};
const SD15_VAE = { block_out_channels: [128, 256, 512, 512], latent_channels: 4, scaling_factor: 0.18215 };

describe('readModelConfig', () => {
  it('reads darkroom-tiny: 64 px on a grid of 4', async () => {
    const config = await readModelConfig(TINY_DIR);
    expect(config).toMatchObject({ vaeScaleFactor: 4, sizeMultiple: 4, defaultSize: 64, latentChannels: 4, unetInChannels: 4 });
    expect(config.scalingFactor).toBeCloseTo(0.9086, 3);
  });

  it('puts an SD 1.5 export on a grid of 64: its traced UNet halves the latents three times', async () => {
    const config = await readModelConfig(await modelFolder({ unet: SD15_UNET, vae: SD15_VAE }));
    expect(config).toMatchObject({ vaeScaleFactor: 8, sizeMultiple: 64, defaultSize: 512, scalingFactor: 0.18215 });
  });

  it('takes SD 1.x values for an export without configs', async () => {
    const config = await readModelConfig(await modelFolder({}));
    expect(config).toMatchObject({ vaeScaleFactor: 8, sizeMultiple: 64, defaultSize: 512, scalingFactor: 0.18215 });
  });

  it('reads an inpainting UNet with two down blocks', async () => {
    const config = await readModelConfig(await modelFolder({ unet: { ...SD15_UNET, in_channels: 9, down_block_types: ['A', 'B'] }, vae: SD15_VAE }));
    expect(config).toMatchObject({ unetInChannels: 9, sizeMultiple: 16 });
  });

  it('tells SDXL from its UNet config, never from its name', async () => {
    const sdxl = await readModelConfig(
      await modelFolder({ unet: { ...SD15_UNET, addition_embed_type: 'text_time' }, vae: SD15_VAE, index: { force_zeros_for_empty_prompt: true }, secondEncoder: true }),
    );
    expect(sdxl).toMatchObject({ family: 'sdxl', forceZerosForEmptyPrompt: true });
    expect(isFlow(sdxl) ? undefined : sdxl.files.textEncoder2).toBe(join(sdxl.root, 'text_encoder_2', 'model.onnx'));
    // A second encoder beside a UNet config without the text_time embedding is not SDXL.
    expect(await readModelConfig(await modelFolder({ unet: SD15_UNET, vae: SD15_VAE, secondEncoder: true }))).toMatchObject({ family: 'sd' });
    // Without a UNet config, the second encoder decides.
    expect(await readModelConfig(await modelFolder({ secondEncoder: true }))).toMatchObject({ family: 'sdxl', forceZerosForEmptyPrompt: false });
    expect(await readModelConfig(TINY_DIR)).toMatchObject({ family: 'sd', files: { textEncoder2: undefined } });
  });

  it('names the missing second encoder of an SDXL model', async () => {
    const root = await modelFolder({ unet: { ...SD15_UNET, addition_embed_type: 'text_time' }, vae: SD15_VAE });
    await expect(readModelConfig(root)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining(join('text_encoder_2', 'model.onnx')) });
  });

  it('names the missing file of an incomplete model', async () => {
    const root = await modelFolder({});
    await rm(join(root, 'unet', 'model.onnx'));
    await expect(readModelConfig(root)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining(join('unet', 'model.onnx')) });
  });

  it('refuses a transformer folder whose pipeline class it does not know, naming the ones it does', async () => {
    const root = await modelFolder({ index: { _class_name: 'HunyuanDiTPipeline' } });
    await mkdir(join(root, 'transformer'));
    await expect(readModelConfig(root)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringContaining('ZImagePipeline, StableDiffusion3Pipeline or FluxPipeline') });
  });
});
