// What a family's text encoders give the denoiser, and the parts every family shares:
// prompt and negative prompt as the same number of 77-token windows, and the encoder runs.

import { DarkroomError } from '../../../domain/errors.js';
import type { OnnxModel } from '../onnx-session.js';
import { applyEmphasis, type WeightedChunk } from '../prompt-weighting.js';
import type { ClipTokenizer } from '../tokenizer.js';

export interface TextConditioning {
  /** Hidden states of the prompt, [length, width]: its windows one after another. */
  cond: Float32Array;
  /** The same for the negative prompt; empty when guidance is off. */
  uncond: Float32Array;
  length: number;
  width: number;
  /** SDXL's pooled `text_embeds` of the prompt and the negative prompt. */
  pooled?: { cond: Float32Array; uncond: Float32Array; width: number };
}

/** A model family's text side: prompts in, what its UNet is conditioned on out. */
export interface Conditioner {
  /** The first (or only) tokenizer: what the prompt-coverage warning asks. */
  readonly tokenizer: ClipTokenizer;
  encode(prompt: string, negative: string, guided: boolean): Promise<TextConditioning>;
}

/** A prompt's weighted token windows, padded with empty windows to `count`. */
export function windowsOf(tokenizer: ClipTokenizer, text: string, count: number): WeightedChunk[] {
  const windows = tokenizer.chunks(text);
  while (windows.length < count) windows.push(tokenizer.chunks('')[0]!);
  return windows;
}

/** Runs a text encoder over windows of ids, fetching only the outputs asked for. */
export async function runEncoder(encoder: OnnxModel, tokenizer: ClipTokenizer, windows: WeightedChunk[], outputs: readonly string[]) {
  return encoder.run({ input_ids: { kind: 'int', data: windows.flatMap((w) => w.ids), dims: [windows.length, tokenizer.maxLength] } }, outputs);
}

/**
 * Hidden states [windows, tokens, width] with each window's prompt weights applied as
 * A1111's "Original" emphasis does (weights multiplied in, the window's mean restored).
 * Unweighted windows are left exactly as encoded.
 */
export function emphasize(hidden: Float32Array, windows: WeightedChunk[], tokens: number, width: number): Float32Array {
  const size = tokens * width;
  windows.forEach((window, k) => {
    if (window.weights.every((w) => w === 1)) return;
    hidden.set(applyEmphasis(hidden.subarray(k * size, (k + 1) * size), window.weights, tokens, width), k * size);
  });
  return hidden;
}

/** Rows [from, to) of a [rows, ...] tensor laid out row after row. */
export function rows(data: Float32Array, rowSize: number, from: number, to: number): Float32Array {
  return data.slice(from * rowSize, to * rowSize);
}

export function missingOutput(encoder: OnnxModel, wanted: string): DarkroomError {
  return new DarkroomError(
    'model_invalid',
    `The text encoder ${encoder.path.split(/[\\/]/).slice(-2, -1)[0]} has no ${wanted} output (it has ${encoder.outputNames.join(', ')})`,
  );
}
