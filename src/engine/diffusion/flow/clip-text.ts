// CLIP's side of SD3 and Flux: the prompt cut to one 77-token window (diffusers truncates;
// there are no A1111 windows here) and run through a CLIP text encoder for the outputs
// the family reads (its penultimate hidden state, its pooled output).

import type { OnnxModel } from '../onnx-session.js';
import { runEncoder } from '../conditioning/conditioner.js';
import type { ClipTokenizer } from '../tokenizer.js';

export interface ClipText {
  tokenizer: ClipTokenizer;
  encoder: () => Promise<OnnxModel>;
}

/** The named outputs of one CLIP encoder for a prompt, batch of one. */
export async function encodeClip(side: ClipText, prompt: string, outputs: (encoder: OnnxModel) => string[]) {
  const encoder = await side.encoder();
  const window = side.tokenizer.chunks(prompt)[0]!;
  const names = outputs(encoder);
  const out = await runEncoder(encoder, side.tokenizer, [{ ...window, weights: window.weights.map(() => 1) }], names);
  return names.map((name) => out[name]!);
}
