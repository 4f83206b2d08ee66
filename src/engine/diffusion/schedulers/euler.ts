// Euler (Karras et al. 2022, Algorithm 2 without churn) and Euler ancestral, as diffusers'
// EulerDiscreteScheduler and EulerAncestralDiscreteScheduler compute them.

import type { NoiseSource, Scheduler, SchedulerConfig, StepResult } from './scheduler.js';
import { addNoiseAtSigma, denoisedAtSigma, scaleBySigma, spacedLadder } from './sigmas.js';

export class EulerScheduler implements Scheduler {
  readonly timesteps: number[];
  readonly initNoiseSigma: number;
  protected readonly sigmas: number[];

  constructor(
    protected readonly config: SchedulerConfig,
    steps: number,
  ) {
    const ladder = spacedLadder(config, steps);
    this.timesteps = ladder.timesteps;
    this.sigmas = ladder.sigmas;
    const top = Math.max(...this.sigmas);
    // diffusers: leading spacing starts from a sample with variance sigma^2 + 1.
    this.initNoiseSigma = config.timestep_spacing === 'leading' ? Math.sqrt(top * top + 1) : top;
  }

  scaleModelInput(sample: Float32Array, index: number): Float32Array {
    return scaleBySigma(sample, this.sigmas[index]!);
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _noise: NoiseSource): StepResult {
    const sigma = this.sigmas[index]!;
    const dt = this.sigmas[index + 1]! - sigma;
    const denoised = denoisedAtSigma(modelOutput, sample, sigma, this.config.prediction_type);
    const prevSample = sample.map((x, i) => x + ((x - denoised[i]!) / sigma) * dt);
    return { prevSample, denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    return addNoiseAtSigma(original, noise, this.sigmas[index]!);
  }
}

export class EulerAncestralScheduler extends EulerScheduler {
  override step(modelOutput: Float32Array, index: number, sample: Float32Array, noise: NoiseSource): StepResult {
    const from = this.sigmas[index]!;
    const to = this.sigmas[index + 1]!;
    const sigmaUp = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
    const sigmaDown = Math.sqrt(to * to - sigmaUp * sigmaUp);
    const denoised = denoisedAtSigma(modelOutput, sample, from, this.config.prediction_type);
    // Noise is drawn on every step, the last included, to keep the random stream aligned with diffusers.
    const z = noise();
    const dt = sigmaDown - from;
    const prevSample = sample.map((x, i) => x + ((x - denoised[i]!) / from) * dt + z[i]! * sigmaUp);
    return { prevSample, denoised };
  }
}
