// The webnn/Z-Image-Turbo file set: every graph under onnx/ named by its part
// (text_encoder_model_q4f16.onnx, transformer_model_q4f16.onnx, vae_decoder_model_f16.onnx,
// vae_pre_process_model_f16.onnx, scheduler_step_model_f16.onnx, safety checker graphs),
// the tokenizer beside it, and no model_index.json or configs (docs/model-layouts.md).
//
// Of its helper graphs Darkroom runs none while generating: the scheduler step is
// diffusers' FlowMatchEulerDiscreteScheduler in TypeScript (flow-match.ts; the export's own
// step graph spaces its sigmas differently from diffusers' Z-Image pipeline), and the VAE's
// pre-processing (latents / scaling_factor + shift_factor) is vae.ts's. The export keeps the
// VAE's two numbers only inside vae_pre_process, so that graph is run once, on a probe, to
// read them; the decoder is run once on a 2x2 latent to read its scale factor.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DarkroomError } from '../../../domain/errors.js';
import { decodeHalf, encodeHalf } from '../fp16.js';

/** The export's graph for a part, e.g. "transformer_model" -> onnx/transformer_model_q4f16.onnx. */
export function webnnGraph(root: string, part: string): string | undefined {
  const folder = join(root, 'onnx');
  if (!existsSync(folder)) return undefined;
  const name = readdirSync(folder)
    .filter((file) => file.startsWith(`${part}_`) && file.endsWith('.onnx'))
    .sort()[0];
  return name ? join(folder, name) : undefined;
}

export function isWebnnLayout(root: string): boolean {
  return webnnGraph(root, 'transformer_model') !== undefined;
}

export interface ProbedVae {
  scalingFactor: number;
  shiftFactor: number;
  vaeScaleFactor: number;
}

/** Opens a graph once, runs it on `data` shaped `dims` in its first input's dtype, and closes it. */
async function runOnce(path: string, data: number[], dims: number[]): Promise<{ values: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(path);
  try {
    const type = (session.inputMetadata[0] as { type?: ort.Tensor.Type }).type;
    const input = type === 'float16' ? new ort.Tensor('float16', encodeHalf(data), dims) : new ort.Tensor('float32', Float32Array.from(data), dims);
    const out = (await session.run({ [session.inputNames[0]!]: input }))[session.outputNames[0]!]!;
    return { values: out.type === 'float16' ? decodeHalf(out.data as Uint16Array) : (out.data as Float32Array), dims: out.dims };
  } finally {
    await session.release();
  }
}

/** Reads the VAE's numbers from the export's graphs: f(0) = shift, f(1) - f(0) = 1 / scale; the decoder's output side over its input's. */
export async function probeWebnnVae(preProcess: string, decoder: string, channels: number): Promise<ProbedVae> {
  try {
    // One latent column of zeros and one of ones, [1, C, 1, 2].
    const probe = Array.from({ length: channels * 2 }, (_, i) => i % 2);
    const { values } = await runOnce(preProcess, probe, [1, channels, 1, 2]);
    const shiftFactor = values[0]!;
    const scalingFactor = 1 / (values[1]! - values[0]!);
    const pixels = await runOnce(decoder, new Array<number>(channels * 4).fill(0), [1, channels, 2, 2]);
    return { scalingFactor, shiftFactor, vaeScaleFactor: pixels.dims[pixels.dims.length - 1]! / 2 };
  } catch (error) {
    throw new DarkroomError('model_invalid', `The VAE graphs of ${preProcess.split(/[\\/]/).slice(-3, -2)[0]} cannot be read: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}
