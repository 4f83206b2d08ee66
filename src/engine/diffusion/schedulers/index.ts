// The sampler names Darkroom accepts and the one place that builds a scheduler from a
// model's scheduler_config.json.

import { DdimScheduler } from './ddim.js';
import { DpmSolverMultistepScheduler } from './dpmpp-2m.js';
import { EulerAncestralScheduler, EulerScheduler } from './euler.js';
import { LcmScheduler } from './lcm.js';
import type { Scheduler, SchedulerConfig } from './scheduler.js';

import type { SchedulerName } from '../../../domain/job.js';

export type { SchedulerName } from '../../../domain/job.js';
export { lcmMaxSteps } from './lcm.js';

export interface SchedulerOptions {
  /** img2img strength; only LCM shortens its own schedule with it (others are cut by the pipeline). */
  strength?: number;
}

export function createScheduler(name: SchedulerName, config: SchedulerConfig, steps: number, options: SchedulerOptions = {}): Scheduler {
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`Expected steps to be an integer from 1 and up, got ${steps}`);
  }
  switch (name) {
    case 'euler':
      return new EulerScheduler(config, steps);
    case 'euler-a':
      return new EulerAncestralScheduler(config, steps);
    case 'ddim':
      return new DdimScheduler(config, steps);
    case 'lcm':
      return new LcmScheduler(config, steps, options.strength ?? 1);
    case 'dpmpp-2m':
      return new DpmSolverMultistepScheduler(config, steps);
    case 'dpmpp-2m-karras':
      return new DpmSolverMultistepScheduler(config, steps, true);
  }
}

const DEFAULTS: SchedulerConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
  steps_offset: 1,
  set_alpha_to_one: false,
  original_inference_steps: 50,
  timestep_scaling: 10,
};

/**
 * Reads scheduler_config.json. Missing keys take Stable Diffusion 1.x's values (its
 * PNDMScheduler config predates timestep_spacing and used leading spacing).
 */
export function parseSchedulerConfig(json: Record<string, unknown>): SchedulerConfig {
  const config = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof SchedulerConfig)[]) {
    const value = json[key];
    if (value !== undefined && value !== null) (config as Record<string, unknown>)[key] = value;
  }
  if (!['scaled_linear', 'linear'].includes(config.beta_schedule) && !config.trained_betas) {
    throw new RangeError(`Unsupported beta_schedule "${config.beta_schedule}" (expected scaled_linear or linear)`);
  }
  if (!['epsilon', 'v_prediction'].includes(config.prediction_type)) {
    throw new RangeError(`Unsupported prediction_type "${config.prediction_type}" (expected epsilon or v_prediction)`);
  }
  if (!['leading', 'linspace', 'trailing'].includes(config.timestep_spacing)) {
    throw new RangeError(`Unsupported timestep_spacing "${config.timestep_spacing}"`);
  }
  return config;
}

export type { Scheduler, SchedulerConfig } from './scheduler.js';

/**
 * The first step img2img runs, as diffusers' get_timesteps: strength 1 runs every step,
 * strength 0.3 of 20 steps runs the last 6.
 */
export function img2imgStartIndex(steps: number, strength: number): number {
  const init = Math.min(Math.floor(steps * strength), steps);
  return Math.max(steps - init, 0);
}
