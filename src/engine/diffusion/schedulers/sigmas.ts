// The sigma ladder shared by the sigma-parameterised samplers (Euler, Euler ancestral,
// DPM++ 2M): sigma at each inference timestep, or Karras-spaced, then a final 0.

import {
  alphasCumprod,
  interpolate,
  karrasSigmas,
  roundHalfEven,
  sigmaToTimestep,
  spacedTimesteps,
  trainingSigmas,
} from './noise-schedule.js';
import type { SchedulerConfig } from './scheduler.js';

export interface SigmaLadder {
  timesteps: number[];
  /** One more than timesteps: sigmas[i] is the level at timesteps[i], the last is 0. */
  sigmas: number[];
}

function sigmasOf(config: SchedulerConfig): Float64Array {
  return trainingSigmas(alphasCumprod(config)).map(Math.fround);
}

/** Euler's ladder: sigma interpolated at the spaced (float32, possibly fractional) timesteps. */
export function spacedLadder(config: SchedulerConfig, steps: number): SigmaLadder {
  const all = sigmasOf(config);
  const timesteps = spacedTimesteps(config, steps, config.timestep_spacing, false);
  return { timesteps, sigmas: [...timesteps.map((t) => Math.fround(interpolate(all, t))), 0] };
}

/** Karras-spaced sigmas over the whole training range, timesteps rounded (DPM-Solver's use). */
export function karrasLadder(config: SchedulerConfig, steps: number): SigmaLadder {
  const all = sigmasOf(config);
  const sigmas = karrasSigmas(all[0]!, all[all.length - 1]!, steps);
  const logSigmas = all.map(Math.log);
  const timesteps = sigmas.map((s) => roundHalfEven(sigmaToTimestep(s, logSigmas)));
  return { timesteps, sigmas: [...sigmas.map(Math.fround), 0] };
}

/** x0 from the model output at noise level sigma (Karras' parameterisation, input scaled by 1/sqrt(sigma^2+1)). */
export function denoisedAtSigma(
  modelOutput: Float32Array,
  sample: Float32Array,
  sigma: number,
  prediction: SchedulerConfig['prediction_type'],
): Float32Array {
  const out = new Float32Array(sample.length);
  if (prediction === 'epsilon') {
    for (let i = 0; i < out.length; i++) out[i] = sample[i]! - sigma * modelOutput[i]!;
  } else {
    const c = -sigma / Math.sqrt(sigma * sigma + 1);
    const s = 1 / (sigma * sigma + 1);
    for (let i = 0; i < out.length; i++) out[i] = modelOutput[i]! * c + sample[i]! * s;
  }
  return out;
}

export function scaleBySigma(sample: Float32Array, sigma: number): Float32Array {
  const k = 1 / Math.sqrt(sigma * sigma + 1);
  return sample.map((v) => v * k);
}

export function addNoiseAtSigma(original: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  return original.map((v, i) => v + noise[i]! * sigma);
}
