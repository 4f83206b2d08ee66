// Stable Diffusion 3's text encoders and transformer, as diffusers' StableDiffusion3Pipeline
// drives them (huggingface/diffusers@58eb52c) over Optimum's graph names:
//   CLIP-L and CLIP-G (text_encoder, text_encoder_2): each one's penultimate hidden state
//     (hidden_states.<n-1>) and projected pooled output (text_embeds);
//   T5 (text_encoder_3, optional): last_hidden_state over the prompt padded to 256 tokens;
//     without it, zeros;
//   conditioning: [CLIP-L | CLIP-G] on the feature axis, zero-padded to T5's width, then
//     T5's tokens after it on the sequence axis; pooled = [pooled-L | pooled-G];
//   transformer: hidden_states [1, C, h, w], encoder_hidden_states, pooled_projections,
//     timestep [1] on the 0..1000 scale -> out_hidden_states, the velocity itself.
// Guidance is the usual u + g (c - u), on above 1.

import { DarkroomError } from '../../../domain/errors.js';
import type { OnnxModel } from '../onnx-session.js';
import { penultimateOutput, pooledOutput } from '../conditioning/sdxl-conditioner.js';
import { encodeClip, type ClipText } from './clip-text.js';
import type { FlowFamilyRunner, LatentShape, PromptFeatures } from './flow-family.js';
import type { T5Tokenizer } from './t5-tokenizer.js';

export const SD3_T5_LENGTH = 256;

export interface T5Text {
  tokenizer: T5Tokenizer;
  encoder: () => Promise<OnnxModel>;
}

export class Sd3Runner implements FlowFamilyRunner {
  constructor(
    private readonly clipL: ClipText,
    private readonly clipG: ClipText,
    private readonly t5: T5Text | undefined,
    private readonly transformer: () => Promise<OnnxModel>,
    /** The transformer's text width (joint_attention_dim): T5's, and what zeros stand in for without it. */
    private readonly jointWidth: number,
  ) {}

  get vocabulary() {
    return this.clipL.tokenizer;
  }

  /** CLIP cuts a long prompt and T5 reads 256 tokens, as diffusers does: nothing to refuse. */
  checkPrompt(): void {}

  async encode(prompt: string): Promise<PromptFeatures> {
    const clip = async (side: ClipText) => {
      const [hidden, pooled] = await encodeClip(side, prompt, (encoder) => [penultimateOutput(encoder), pooledOutput(encoder)]);
      return { hidden: hidden!, pooled: pooled!.data };
    };
    const [l, g] = [await clip(this.clipL), await clip(this.clipG)];
    const clipLength = l.hidden.dims[1]!;
    const [wl, wg] = [l.hidden.dims[2]!, g.hidden.dims[2]!];
    const width = this.jointWidth;
    if (wl + wg > width) throw new DarkroomError('model_invalid', `The CLIP encoders give ${wl} + ${wg} features, more than the transformer's ${width}`);
    const t5 = this.t5 ? await this.encodeT5(prompt) : new Float32Array(SD3_T5_LENGTH * width);
    const data = new Float32Array((clipLength + SD3_T5_LENGTH) * width);
    for (let t = 0; t < clipLength; t++) {
      data.set(l.hidden.data.subarray(t * wl, (t + 1) * wl), t * width);
      data.set(g.hidden.data.subarray(t * wg, (t + 1) * wg), t * width + wl);
    }
    data.set(t5, clipLength * width);
    const pooled = new Float32Array(l.pooled.length + g.pooled.length);
    pooled.set(l.pooled);
    pooled.set(g.pooled, l.pooled.length);
    return { data, length: clipLength + SD3_T5_LENGTH, width, pooled };
  }

  private async encodeT5(prompt: string): Promise<Float32Array> {
    const { tokenizer, encoder } = this.t5!;
    const model = await encoder();
    const ids = tokenizer.ids(prompt, SD3_T5_LENGTH);
    const out = (await model.run({ input_ids: { kind: 'int', data: ids, dims: [1, ids.length] } }, ['last_hidden_state'])).last_hidden_state!;
    if (out.dims[2] !== this.jointWidth) throw new DarkroomError('model_invalid', `T5 gives ${out.dims[2]} features; the transformer reads ${this.jointWidth}`);
    return out.data;
  }

  guided(guidance: number): boolean {
    return guidance > 1;
  }

  combine(pos: Float32Array, neg: Float32Array, guidance: number): Float32Array {
    return neg.map((u, j) => u + guidance * (pos[j]! - u));
  }

  async velocity(latents: Float32Array, shape: LatentShape, timestep: number, prompt: PromptFeatures): Promise<Float32Array> {
    const transformer = await this.transformer();
    const out = await transformer.run({
      hidden_states: { kind: 'float', data: latents, dims: [1, shape.channels, shape.height, shape.width] },
      encoder_hidden_states: { kind: 'float', data: prompt.data, dims: [1, prompt.length, prompt.width] },
      pooled_projections: { kind: 'float', data: prompt.pooled!, dims: [1, prompt.pooled!.length] },
      timestep: { kind: 'float', data: Float32Array.of(timestep), dims: [1] },
    });
    return out[transformer.outputNames[0]!]!.data;
  }
}
