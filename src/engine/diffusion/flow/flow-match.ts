// The flow-matching Euler sampler of Z-Image, SD3 and Flux: diffusers'
// FlowMatchEulerDiscreteScheduler (huggingface/diffusers@58eb52c, 0.40.0.dev0) and the way
// their pipelines set it up. Sigma runs from 1 (pure noise) to 0 (clean); the model's
// velocity moves the sample along it: x_next = x + (sigma_next - sigma) * v.

import { z } from 'zod';

const FlowMatchConfig = z.object({
  num_train_timesteps: z.number().int().positive().default(1000),
  shift: z.number().positive().default(1),
  use_dynamic_shifting: z.boolean().default(false),
  base_shift: z.number().nullable().default(0.5),
  max_shift: z.number().nullable().default(1.15),
  base_image_seq_len: z.number().int().positive().default(256),
  max_image_seq_len: z.number().int().positive().default(4096),
  time_shift_type: z.enum(['exponential', 'linear']).default('exponential'),
  shift_terminal: z.number().nullable().default(null),
  invert_sigmas: z.literal(false).default(false),
  use_karras_sigmas: z.literal(false).default(false),
  use_exponential_sigmas: z.literal(false).default(false),
  use_beta_sigmas: z.literal(false).default(false),
  stochastic_sampling: z.literal(false).default(false),
});
export type FlowMatchConfig = z.infer<typeof FlowMatchConfig>;

/** Reads scheduler_config.json of a flow-matching model; options Darkroom does not implement are refused by name. */
export function parseFlowMatchConfig(json: Record<string, unknown>): FlowMatchConfig {
  const known = Object.fromEntries(Object.entries(json).filter(([key, value]) => key in FlowMatchConfig.shape && value !== null));
  const parsed = FlowMatchConfig.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RangeError(`Unsupported scheduler setting ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * How the pipeline spaces the unshifted sigmas: Z-Image and Flux pass linspace(1, 1/N, N);
 * SD3 leaves it to the scheduler, which spans its own (shifted) training range.
 */
export type SigmaSpacing = 'pipeline' | 'scheduler';

/** diffusers' calculate_shift (Flux, Z-Image): mu grows linearly with the image's token count. */
export function calculateShift(imageSeqLen: number, config: FlowMatchConfig): number {
  const baseShift = config.base_shift ?? 0.5;
  const maxShift = config.max_shift ?? 1.15;
  const m = (maxShift - baseShift) / (config.max_image_seq_len - config.base_image_seq_len);
  const b = baseShift - m * config.base_image_seq_len;
  return imageSeqLen * m + b;
}

export interface FlowSchedule {
  /** One per step and a terminal 0: length steps + 1. */
  sigmas: number[];
  /** sigma x num_train_timesteps, one per step. */
  timesteps: number[];
}

function staticShift(shift: number, s: number): number {
  return (shift * s) / (1 + (shift - 1) * s);
}

/** The schedule diffusers' set_timesteps makes; `imageSeqLen` (latent patches) sets mu when the config shifts dynamically. */
export function flowMatchSchedule(config: FlowMatchConfig, steps: number, spacing: SigmaSpacing, imageSeqLen: number): FlowSchedule {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`Expected steps to be an integer from 1 and up, got ${steps}`);
  const n = config.num_train_timesteps;
  let unshifted: number[];
  if (spacing === 'pipeline') {
    unshifted = linspace(1, 1 / steps, steps);
  } else {
    // The scheduler's own range: its training sigmas, shifted at construction unless the shift is dynamic.
    const top = 1;
    const bottom = config.use_dynamic_shifting ? 1 / n : staticShift(config.shift, 1 / n);
    unshifted = linspace(top * n, bottom * n, steps).map((t) => t / n);
  }
  let sigmas: number[];
  if (config.use_dynamic_shifting) {
    const mu = calculateShift(imageSeqLen, config);
    sigmas = unshifted.map((s) => (config.time_shift_type === 'exponential' ? Math.exp(mu) / (Math.exp(mu) + (1 / s - 1)) : mu / (mu + (1 / s - 1))));
  } else {
    sigmas = unshifted.map((s) => staticShift(config.shift, s));
  }
  if (config.shift_terminal) {
    // stretch_shift_to_terminal: the last sigma lands on shift_terminal.
    const scale = (1 - sigmas[sigmas.length - 1]!) / (1 - config.shift_terminal);
    sigmas = sigmas.map((s) => 1 - (1 - s) / scale);
  }
  const single = sigmas.map((s) => Math.fround(s));
  return { sigmas: [...single, 0], timesteps: single.map((s) => Math.fround(s * n)) };
}

function linspace(start: number, end: number, count: number): number[] {
  if (count === 1) return [start];
  return Array.from({ length: count }, (_, i) => start + ((end - start) * i) / (count - 1));
}

/** One Euler step of the flow: the velocity v moves the sample from sigmas[index] to sigmas[index + 1]. */
export function flowEulerStep(velocity: Float32Array, sample: Float32Array, sigmas: readonly number[], index: number): Float32Array {
  const dt = Math.fround(sigmas[index + 1]! - sigmas[index]!);
  return sample.map((x, j) => x + dt * velocity[j]!);
}

/** The clean latents the velocity points at (for previews): x0 = x - sigma * v. */
export function flowDenoised(velocity: Float32Array, sample: Float32Array, sigma: number): Float32Array {
  return sample.map((x, j) => x - sigma * velocity[j]!);
}

/** scale_noise: clean latents noised to level sigma (img2img's start). */
export function flowScaleNoise(clean: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  return clean.map((x, j) => sigma * noise[j]! + (1 - sigma) * x);
}

/**
 * The first step an image-to-image run takes, as Z-Image's and Flux's get_timesteps:
 * t_start = int(N - min(N x strength, N)), with no rounding of N x strength first
 * (Stable Diffusion's rounds it down).
 */
export function flowImg2imgStart(steps: number, strength: number): number {
  return Math.trunc(Math.max(steps - Math.min(steps * strength, steps), 0));
}
