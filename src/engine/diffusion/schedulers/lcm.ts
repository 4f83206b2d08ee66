// Latent Consistency Model sampling (Luo et al. 2023), as diffusers' LCMScheduler: each
// step predicts the clean latents through the consistency boundary condition, then
// re-noises them to the next timestep (except after the last step).

import { alphasCumprod } from './noise-schedule.js';
import { addNoiseAtTimestep } from './ddim.js';
import type { NoiseSource, Scheduler, SchedulerConfig, StepResult } from './scheduler.js';

/**
 * The most steps LCM can take at an img2img strength: its distillation schedule
 * (original_inference_steps) shortened by the strength, as diffusers' LCMScheduler does.
 */
export function lcmMaxSteps(config: SchedulerConfig, strength = 1): number {
  return Math.floor(config.original_inference_steps * strength);
}

export class LcmScheduler implements Scheduler {
  readonly timesteps: number[];
  readonly initNoiseSigma = 1;
  private readonly alphas: Float64Array;
  private readonly finalAlpha: number;

  /** `strength` < 1 shortens the distillation schedule, as LCM's img2img pipeline does. */
  constructor(
    private readonly config: SchedulerConfig,
    steps: number,
    strength = 1,
  ) {
    this.alphas = alphasCumprod(config);
    this.finalAlpha = config.set_alpha_to_one ? 1 : this.alphas[0]!;
    const original = config.original_inference_steps;
    if (steps > original) {
      throw new RangeError(`Expected steps to be at most ${original} for this LCM model, got ${steps}`);
    }
    const k = Math.floor(config.num_train_timesteps / original);
    const count = lcmMaxSteps(config, strength);
    if (count === 0) {
      // A strength too small for even one step keeps the image, as the pipeline does for the
      // other schedulers when the strength cuts every step: no timesteps, nothing to denoise.
      this.timesteps = [];
      return;
    }
    if (steps > count) {
      throw new RangeError(`Expected steps to be at most ${count} at strength ${strength}, got ${steps}`);
    }
    const origin = Array.from({ length: count }, (_, i) => (count - i) * k - 1);
    // numpy.linspace(0, count, steps, endpoint=False), floored: i * (count / steps), in that order.
    const stride = count / steps;
    this.timesteps = Array.from({ length: steps }, (_, i) => origin[Math.floor(i * stride)]!);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, noise: NoiseSource): StepResult {
    const t = this.timesteps[index]!;
    const last = index === this.timesteps.length - 1;
    const prevT = last ? t : this.timesteps[index + 1]!;
    const aT = this.alphas[t]!;
    const aPrev = prevT >= 0 ? this.alphas[prevT]! : this.finalAlpha;
    const scaled = t * this.config.timestep_scaling;
    const cSkip = 0.25 / (scaled * scaled + 0.25);
    const cOut = scaled / Math.sqrt(scaled * scaled + 0.25);
    const sqrtA = Math.sqrt(aT);
    const sqrtB = Math.sqrt(1 - aT);
    const denoised = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      const x0 = this.config.prediction_type === 'epsilon' ? (x - sqrtB * m) / sqrtA : sqrtA * x - sqrtB * m;
      denoised[i] = cOut * x0 + cSkip * x;
    }
    if (last) return { prevSample: denoised, denoised };
    const z = noise();
    const sa = Math.sqrt(aPrev);
    const sb = Math.sqrt(1 - aPrev);
    return { prevSample: denoised.map((d, i) => sa * d + sb * z[i]!), denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    return addNoiseAtTimestep(this.alphas, original, noise, this.timesteps[index]!);
  }
}
