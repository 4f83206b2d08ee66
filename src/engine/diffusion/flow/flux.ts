// Flux's text encoders and transformer, as diffusers' FluxPipeline drives them
// (huggingface/diffusers@58eb52c) over Optimum's graph names:
//   CLIP (text_encoder): pooler_output, the transformer's pooled_projections;
//   T5 (text_encoder_2): last_hidden_state over the prompt padded to 512 tokens;
//   transformer: the latents packed into 2x2 patches, hidden_states [1, (h/2)(w/2), 4C]
//     with each patch's features in (channel, row, column) order; img_ids [(h/2)(w/2), 3]
//     = (0, row, column); txt_ids [L, 3] zeros; timestep [1] = t / 1000; guidance [1] = the
//     guidance scale, when the model embeds it (FLUX.1-dev; schnell has no such input)
//     -> out_hidden_states, the packed velocity.
// Flux does no classifier-free guidance: one transformer call a step.

import type { OnnxModel } from '../onnx-session.js';
import { encodeClip, type ClipText } from './clip-text.js';
import type { FlowFamilyRunner, LatentShape, PromptFeatures } from './flow-family.js';
import type { T5Text } from './sd3.js';

export const FLUX_T5_LENGTH = 512;

/** diffusers' _pack_latents for one image: [C, h, w] -> [(h/2)(w/2), 4C]. */
export function packLatents(latents: Float32Array, { channels, height, width }: LatentShape): Float32Array {
  const out = new Float32Array(latents.length);
  const [h2, w2] = [height / 2, width / 2];
  let o = 0;
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      for (let c = 0; c < channels; c++) {
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) out[o++] = latents[(c * height + 2 * y + dy) * width + 2 * x + dx]!;
      }
    }
  }
  return out;
}

/** The inverse of packLatents. */
export function unpackLatents(packed: Float32Array, { channels, height, width }: LatentShape): Float32Array {
  const out = new Float32Array(packed.length);
  const [h2, w2] = [height / 2, width / 2];
  let o = 0;
  for (let y = 0; y < h2; y++) {
    for (let x = 0; x < w2; x++) {
      for (let c = 0; c < channels; c++) {
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) out[(c * height + 2 * y + dy) * width + 2 * x + dx] = packed[o++]!;
      }
    }
  }
  return out;
}

/** diffusers' _prepare_latent_image_ids: (0, row, column) per packed patch. */
export function imageIds(height: number, width: number): Float32Array {
  const [h2, w2] = [height / 2, width / 2];
  const ids = new Float32Array(h2 * w2 * 3);
  for (let y = 0; y < h2; y++) for (let x = 0; x < w2; x++) ids.set([0, y, x], (y * w2 + x) * 3);
  return ids;
}

export class FluxRunner implements FlowFamilyRunner {
  constructor(
    private readonly clip: ClipText,
    private readonly t5: T5Text,
    private readonly transformer: () => Promise<OnnxModel>,
  ) {}

  get vocabulary() {
    return this.clip.tokenizer;
  }

  /** CLIP cuts a long prompt and T5 reads 512 tokens, as diffusers does: nothing to refuse. */
  checkPrompt(): void {}

  async encode(prompt: string): Promise<PromptFeatures> {
    const [pooled] = await encodeClip(this.clip, prompt, () => ['pooler_output']);
    const ids = this.t5.tokenizer.ids(prompt, FLUX_T5_LENGTH);
    const model = await this.t5.encoder();
    const out = (await model.run({ input_ids: { kind: 'int', data: ids, dims: [1, ids.length] } }, ['last_hidden_state'])).last_hidden_state!;
    return { data: out.data, length: ids.length, width: out.dims[2]!, pooled: pooled!.data };
  }

  /** Flux's guidance is an input of the transformer, not a second pass. */
  guided(): boolean {
    return false;
  }

  combine(pos: Float32Array): Float32Array {
    return pos;
  }

  async velocity(latents: Float32Array, shape: LatentShape, timestep: number, prompt: PromptFeatures, guidance: number): Promise<Float32Array> {
    const transformer = await this.transformer();
    const patches = (shape.height / 2) * (shape.width / 2);
    const feeds: Parameters<OnnxModel['run']>[0] = {
      hidden_states: { kind: 'float', data: packLatents(latents, shape), dims: [1, patches, shape.channels * 4] },
      encoder_hidden_states: { kind: 'float', data: prompt.data, dims: [1, prompt.length, prompt.width] },
      pooled_projections: { kind: 'float', data: prompt.pooled!, dims: [1, prompt.pooled!.length] },
      timestep: { kind: 'float', data: Float32Array.of(Math.fround(timestep / 1000)), dims: [1] },
      img_ids: { kind: 'float', data: imageIds(shape.height, shape.width), dims: [patches, 3] },
      txt_ids: { kind: 'float', data: new Float32Array(prompt.length * 3), dims: [prompt.length, 3] },
    };
    if (transformer.inputs.has('guidance')) feeds.guidance = { kind: 'float', data: Float32Array.of(guidance), dims: [1] };
    const out = await transformer.run(feeds);
    return unpackLatents(out[transformer.outputNames[0]!]!.data, shape);
  }
}
