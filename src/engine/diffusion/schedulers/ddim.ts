// DDIM (Song et al. 2020) with eta = 0, as diffusers' DDIMScheduler with SD's settings.

import { alphasCumprod, spacedTimesteps } from './noise-schedule.js';
import type { NoiseSource, Scheduler, SchedulerConfig, StepResult } from './scheduler.js';

export class DdimScheduler implements Scheduler {
  readonly timesteps: number[];
  readonly initNoiseSigma = 1;
  private readonly alphas: Float64Array;
  private readonly finalAlpha: number;
  private readonly ratio: number;

  constructor(
    private readonly config: SchedulerConfig,
    steps: number,
  ) {
    this.alphas = alphasCumprod(config);
    this.timesteps = spacedTimesteps(config, steps, config.timestep_spacing, true);
    this.finalAlpha = config.set_alpha_to_one ? 1 : this.alphas[0]!;
    // diffusers steps back by a fixed 1000 // steps whatever the spacing.
    this.ratio = Math.floor(config.num_train_timesteps / steps);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _noise: NoiseSource): StepResult {
    const t = this.timesteps[index]!;
    const prev = t - this.ratio;
    const aT = this.alphas[t]!;
    const aPrev = prev >= 0 ? this.alphas[prev]! : this.finalAlpha;
    const sqrtA = Math.sqrt(aT);
    const sqrtB = Math.sqrt(1 - aT);
    const denoised = new Float32Array(sample.length);
    const prevSample = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      let x0: number;
      let eps: number;
      if (this.config.prediction_type === 'epsilon') {
        x0 = (x - sqrtB * m) / sqrtA;
        eps = m;
      } else {
        x0 = sqrtA * x - sqrtB * m;
        eps = sqrtA * m + sqrtB * x;
      }
      denoised[i] = x0;
      prevSample[i] = Math.sqrt(aPrev) * x0 + Math.sqrt(1 - aPrev) * eps;
    }
    return { prevSample, denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    return addNoiseAtTimestep(this.alphas, original, noise, this.timesteps[index]!);
  }
}

/** q(x_t | x_0): sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) noise. */
export function addNoiseAtTimestep(alphas: Float64Array, original: Float32Array, noise: Float32Array, t: number): Float32Array {
  const a = alphas[t]!;
  const sa = Math.sqrt(a);
  const sb = Math.sqrt(1 - a);
  return original.map((v, i) => sa * v + sb * noise[i]!);
}
