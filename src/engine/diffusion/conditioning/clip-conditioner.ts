// SD 1.x / 2.x: one CLIP text encoder; the UNet reads its last hidden state.

import type { OnnxModel } from '../onnx-session.js';
import type { ClipTokenizer } from '../tokenizer.js';
import { emphasize, missingOutput, rows, runEncoder, windowsOf, type Conditioner, type TextConditioning } from './conditioner.js';

export class ClipConditioner implements Conditioner {
  constructor(
    readonly tokenizer: ClipTokenizer,
    private readonly encoder: () => Promise<OnnxModel>,
  ) {}

  async encode(prompt: string, negative: string, guided: boolean): Promise<TextConditioning> {
    const { tokenizer } = this;
    const count = Math.max(tokenizer.chunks(prompt).length, guided ? tokenizer.chunks(negative).length : 0);
    const windows = [...windowsOf(tokenizer, prompt, count), ...(guided ? windowsOf(tokenizer, negative, count) : [])];
    const encoder = await this.encoder();
    // Optimum names it last_hidden_state; diffusers' old conversion script's first output is the same tensor.
    const name = encoder.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : encoder.outputNames[0];
    if (!name) throw missingOutput(encoder, 'last_hidden_state');
    const hidden = (await runEncoder(encoder, tokenizer, windows, [name]))[name]!;
    const [, length, width] = hidden.dims as [number, number, number];
    const perWindow = length * width;
    const weighted = emphasize(hidden.data, windows, length, width);
    return {
      cond: rows(weighted, perWindow, 0, count),
      uncond: rows(weighted, perWindow, count, windows.length),
      length: count * length,
      width,
    };
  }
}
