// SDXL: two CLIP text encoders, as diffusers' StableDiffusionXLPipeline.encode_prompt
// uses them. The UNet reads both encoders' penultimate hidden states joined on the feature
// axis, and the second encoder's projected pooled output as `text_embeds`. With
// `force_zeros_for_empty_prompt`, an empty negative prompt is all zeros, not encoded "".
// Output names are read from the graph, since exports name them differently.

import { DarkroomError } from '../../../domain/errors.js';
import type { OnnxModel } from '../onnx-session.js';
import type { ClipTokenizer } from '../tokenizer.js';
import { emphasize, missingOutput, rows, runEncoder, windowsOf, type Conditioner, type TextConditioning } from './conditioner.js';

/**
 * The penultimate hidden state's output (docs/model-layouts.md): Optimum exports every
 * layer as `hidden_states.<i>` (0 is the embeddings) and the pipeline takes the one before
 * the last; the webnn exports keep only that one (`hidden_states.11`), the ONNX Runtime
 * demo's give it as `hidden_states`; `last_hidden_state` is the fallback.
 */
export function penultimateOutput(encoder: OnnxModel): string {
  const names = encoder.outputNames;
  const layers = names.flatMap((name) => {
    const match = /^hidden_states\.(\d+)$/.exec(name);
    return match ? [Number(match[1])] : [];
  });
  if (layers.length > 1) return `hidden_states.${Math.max(...layers) - 1}`;
  if (layers.length === 1) return `hidden_states.${layers[0]}`;
  for (const name of ['hidden_states', 'last_hidden_state']) if (names.includes(name)) return name;
  throw missingOutput(encoder, 'hidden_states.<i> or last_hidden_state');
}

/** The projected pooled output of SDXL's second encoder. */
export function pooledOutput(encoder: OnnxModel): string {
  const name = ['text_embeds', 'text_embeddings'].find((n) => encoder.outputNames.includes(n));
  if (!name) throw missingOutput(encoder, 'text_embeds');
  return name;
}

interface EncoderSide {
  tokenizer: ClipTokenizer;
  encoder: () => Promise<OnnxModel>;
}

export class SdxlConditioner implements Conditioner {
  readonly tokenizer: ClipTokenizer;

  constructor(
    private readonly first: EncoderSide,
    private readonly second: EncoderSide,
    private readonly forceZerosForEmptyPrompt: boolean,
  ) {
    this.tokenizer = first.tokenizer;
  }

  async encode(prompt: string, negative: string, guided: boolean): Promise<TextConditioning> {
    const zeroNegative = guided && this.forceZerosForEmptyPrompt && negative.trim() === '';
    const texts = guided && !zeroNegative ? [prompt, negative] : [prompt];
    const count = Math.max(...[this.first, this.second].flatMap((side) => texts.map((text) => side.tokenizer.chunks(text).length)));
    const [a, b] = await Promise.all([this.run(this.first, texts, count, false), this.run(this.second, texts, count, true)]);
    if (a.tokens !== b.tokens) {
      throw new DarkroomError('model_invalid', `The two text encoders give ${a.tokens} and ${b.tokens} tokens per window; SDXL needs the same`);
    }
    const width = a.width + b.width;
    const joined = joinFeatures(a.hidden, a.width, b.hidden, b.width);
    const perWindow = a.tokens * width;
    const pooled = b.pooled!;
    const pooledWidth = pooled.length / (texts.length * count);
    const negativeRows = (data: Float32Array, size: number) =>
      !guided ? new Float32Array(0) : zeroNegative ? new Float32Array(size) : rows(data, size, count, 2 * count);
    return {
      cond: rows(joined, perWindow, 0, count),
      uncond: negativeRows(joined, perWindow),
      length: count * a.tokens,
      width,
      // One pooled vector per prompt: its first window's, as A1111 does for long prompts.
      pooled: {
        cond: rows(pooled, pooledWidth, 0, 1),
        uncond: !guided ? new Float32Array(0) : zeroNegative ? new Float32Array(pooledWidth) : rows(pooled, pooledWidth, count, count + 1),
        width: pooledWidth,
      },
    };
  }

  private async run(side: EncoderSide, texts: string[], count: number, withPooled: boolean) {
    const windows = texts.flatMap((text) => windowsOf(side.tokenizer, text, count));
    const encoder = await side.encoder();
    const hiddenName = penultimateOutput(encoder);
    const pooledName = withPooled ? pooledOutput(encoder) : undefined;
    const out = await runEncoder(encoder, side.tokenizer, windows, pooledName ? [hiddenName, pooledName] : [hiddenName]);
    const hidden = out[hiddenName]!;
    const [, tokens, width] = hidden.dims as [number, number, number];
    // Each encoder's states are weighted on their own, as A1111 does for SDXL's two.
    return { hidden: emphasize(hidden.data, windows, tokens, width), tokens, width, pooled: pooledName ? out[pooledName]!.data : undefined };
  }
}

/** [n, wa] and [n, wb] rows joined into [n, wa + wb]. */
function joinFeatures(a: Float32Array, wa: number, b: Float32Array, wb: number): Float32Array {
  const n = a.length / wa;
  const out = new Float32Array(n * (wa + wb));
  for (let r = 0; r < n; r++) {
    out.set(a.subarray(r * wa, (r + 1) * wa), r * (wa + wb));
    out.set(b.subarray(r * wb, (r + 1) * wb), r * (wa + wb) + wa);
  }
  return out;
}
