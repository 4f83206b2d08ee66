// Z-Image's text encoder and transformer, as diffusers' ZImagePipeline drives them
// (huggingface/diffusers@58eb52c, pipeline_z_image.py), over the graphs' names in the
// webnn/Z-Image-Turbo export:
//   text encoder  input_ids, attention_mask [1, L] -> encoder_hidden_states [1, L, D]: the
//                 LLM's second-to-last hidden state (transformers' hidden_states[-2]) at the
//                 prompt's tokens; the prompt is not padded, so every token counts.
//   transformer   hidden_states [1, C, h, w] (or [1, C, 1, h, w], the older export),
//                 timestep [1] = 1 - sigma (0 is noise, 1 is clean; the graph scales it by
//                 1000), encoder_hidden_states -> sample: the prediction of clean - noise,
//                 which the pipeline negates into the scheduler's velocity.
// Guidance is Z-Image's own: pred = pos + g (pos - neg), on when g > 0 (Turbo runs at 0).

import { DarkroomError } from '../../../domain/errors.js';
import { penultimateOutput } from '../conditioning/sdxl-conditioner.js';
import type { OnnxModel } from '../onnx-session.js';
import type { ChatTokenizer } from './chat-tokenizer.js';
import type { FlowFamilyRunner, LatentShape, PromptFeatures } from './flow-family.js';

/** The text encoder's output the transformer reads: the export's own name, else the penultimate of every layer's states. */
function conditioningOutput(encoder: OnnxModel): string {
  for (const name of ['encoder_hidden_states', 'encoder_hidden_state']) if (encoder.outputNames.includes(name)) return name;
  const name = penultimateOutput(encoder);
  if (!name.startsWith('hidden_states.')) {
    throw new DarkroomError('model_invalid', `The text encoder gives ${encoder.outputNames.join(', ')}; Z-Image reads the second-to-last hidden state (encoder_hidden_states, or hidden_states.<i>)`);
  }
  return name;
}

export class ZImageRunner implements FlowFamilyRunner {
  constructor(
    readonly tokenizer: ChatTokenizer,
    private readonly textEncoder: () => Promise<OnnxModel>,
    private readonly transformer: () => Promise<OnnxModel>,
  ) {}

  get vocabulary() {
    return this.tokenizer;
  }

  checkPrompt(prompt: string): void {
    this.tokenizer.ids(prompt);
  }

  async encode(prompt: string): Promise<PromptFeatures> {
    const ids = this.tokenizer.ids(prompt);
    const encoder = await this.textEncoder();
    const output = conditioningOutput(encoder);
    const dims = [1, ids.length];
    const out = (await encoder.run({ input_ids: { kind: 'int', data: ids, dims }, attention_mask: { kind: 'int', data: ids.map(() => 1), dims } }, [output]))[output]!;
    return { data: out.data, length: ids.length, width: out.dims[out.dims.length - 1]! };
  }

  guided(guidance: number): boolean {
    return guidance > 0;
  }

  combine(pos: Float32Array, neg: Float32Array, guidance: number): Float32Array {
    return pos.map((p, j) => p + guidance * (p - neg[j]!));
  }

  async velocity(latents: Float32Array, shape: LatentShape, timestep: number, prompt: PromptFeatures): Promise<Float32Array> {
    const transformer = await this.transformer();
    if (transformer.inputs.has('pooled_projections')) {
      throw new DarkroomError('model_invalid', 'The transformer takes pooled_projections (an SD3 or Flux transformer), but model_index.json says Z-Image');
    }
    const { channels, height, width } = shape;
    // The older webnn export keeps a frame axis of 1: [1, C, 1, h, w].
    const dims = transformer.input('hidden_states').shape.length === 5 ? [1, channels, 1, height, width] : [1, channels, height, width];
    const out = await transformer.run({
      hidden_states: { kind: 'float', data: latents, dims },
      // diffusers: timestep = (1000 - t) / 1000, in float32.
      timestep: { kind: 'float', data: Float32Array.of(Math.fround((1000 - timestep) / 1000)), dims: [1] },
      encoder_hidden_states: { kind: 'float', data: prompt.data, dims: [1, prompt.length, prompt.width] },
    });
    const prediction = out[transformer.outputNames[0]!]!.data;
    // The transformer predicts clean - noise; the scheduler's velocity is noise - clean.
    return prediction.map((v) => -v);
  }
}
