// DPM-Solver++(2M) (Lu et al. 2022), as diffusers' DPMSolverMultistepScheduler with
// algorithm_type "dpmsolver++", solver_order 2, midpoint solver, final sigma 0: the first
// step and the last are first order, the others use the previous model output too.

import { alphasCumprod, spacedTimesteps, trainingSigmas } from './noise-schedule.js';
import type { NoiseSource, Scheduler, SchedulerConfig, StepResult } from './scheduler.js';
import { karrasLadder } from './sigmas.js';

/** DPM-Solver's own timestep spacing: n + 1 points with the last dropped. */
function dpmTimesteps(config: SchedulerConfig, steps: number): number[] {
  const n = config.num_train_timesteps;
  if (config.timestep_spacing === 'trailing') return spacedTimesteps(config, steps, 'trailing', true);
  if (config.timestep_spacing === 'leading') {
    const ratio = Math.floor(n / (steps + 1));
    return Array.from({ length: steps }, (_, i) => (steps - i) * ratio + config.steps_offset);
  }
  return spacedTimesteps(config, steps + 1, 'linspace', true).slice(0, steps);
}

export class DpmSolverMultistepScheduler implements Scheduler {
  readonly timesteps: number[];
  readonly initNoiseSigma = 1;
  private readonly sigmas: number[];
  private previous: { index: number; denoised: Float32Array } | undefined;

  constructor(
    private readonly config: SchedulerConfig,
    steps: number,
    karras = false,
  ) {
    if (karras) {
      const ladder = karrasLadder(config, steps);
      this.timesteps = ladder.timesteps;
      this.sigmas = ladder.sigmas;
    } else {
      this.timesteps = dpmTimesteps(config, steps);
      const all = trainingSigmas(alphasCumprod(config));
      this.sigmas = [...this.timesteps.map((t) => Math.fround(all[t]!)), 0];
    }
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, index: number, sample: Float32Array, _noise: NoiseSource): StepResult {
    const [alphaS0, sigmaS0] = alphaSigma(this.sigmas[index]!);
    const [alphaT, sigmaT] = alphaSigma(this.sigmas[index + 1]!);
    const denoised = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      denoised[i] = this.config.prediction_type === 'epsilon' ? (x - sigmaS0 * m) / alphaS0 : alphaS0 * x - sigmaS0 * m;
    }
    const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
    const lambdaS0 = Math.log(alphaS0) - Math.log(sigmaS0);
    const h = lambdaT - lambdaS0;
    const last = index === this.timesteps.length - 1;
    const previous = this.previous?.index === index - 1 ? this.previous.denoised : undefined;
    const a = sigmaT / sigmaS0;
    const b = -alphaT * (Math.exp(-h) - 1);
    let prevSample: Float32Array;
    if (previous === undefined || last) {
      prevSample = sample.map((x, i) => a * x + b * denoised[i]!);
    } else {
      const [alphaS1, sigmaS1] = alphaSigma(this.sigmas[index - 1]!);
      const lambdaS1 = Math.log(alphaS1) - Math.log(sigmaS1);
      const r0 = (lambdaS0 - lambdaS1) / h;
      prevSample = sample.map((x, i) => {
        const d1 = (denoised[i]! - previous[i]!) / r0;
        return a * x + b * denoised[i]! + 0.5 * b * d1;
      });
    }
    this.previous = { index, denoised };
    return { prevSample, denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array {
    // DPM-Solver works on unscaled (variance-preserving) samples.
    const [alpha, sigma] = alphaSigma(this.sigmas[index]!);
    return original.map((v, i) => alpha * v + sigma * noise[i]!);
  }
}

function alphaSigma(sigma: number): [alpha: number, sigma: number] {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return [alpha, sigma * alpha];
}
