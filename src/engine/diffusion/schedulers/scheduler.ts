// The contract every sampler implements, and the scheduler configuration as diffusers
// writes it in scheduler/scheduler_config.json (snake_case keys kept as they are).

export type PredictionType = 'epsilon' | 'v_prediction';
export type TimestepSpacing = 'leading' | 'linspace' | 'trailing';

export interface SchedulerConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: 'scaled_linear' | 'linear';
  trained_betas: number[] | null;
  prediction_type: PredictionType;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
  set_alpha_to_one: boolean;
  /** LCM: the distillation schedule length and the boundary-condition time scale. */
  original_inference_steps: number;
  timestep_scaling: number;
}

/** Draws standard normal noise shaped like the sample (the pipeline decides from which seeds). */
export type NoiseSource = () => Float32Array;

export interface StepResult {
  prevSample: Float32Array;
  /** The model's estimate of the clean latents at this step (used for previews). */
  denoised: Float32Array;
}

export interface Scheduler {
  /** The model timesteps in sampling order. */
  readonly timesteps: readonly number[];
  /** Scale of the initial noise: 1 for DDIM-like schedulers, the top sigma for Euler. */
  readonly initNoiseSigma: number;
  /** The input the UNet sees at step `index`. */
  scaleModelInput(sample: Float32Array, index: number): Float32Array;
  /** One denoising step from timestep `timesteps[index]` to the next. */
  step(modelOutput: Float32Array, index: number, sample: Float32Array, noise: NoiseSource): StepResult;
  /** Noises clean latents to the level of step `index` (img2img's starting point). */
  addNoise(original: Float32Array, noise: Float32Array, index: number): Float32Array;
}
