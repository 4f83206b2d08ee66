// The training noise schedule and the ways of spacing inference timesteps over it,
// ported from diffusers (schedulers/scheduling_*.py, set_timesteps) including NumPy's
// rounding (half to even) and float32 casts, so timesteps match diffusers exactly.

import type { SchedulerConfig, TimestepSpacing } from './scheduler.js';

export function alphasCumprod(config: SchedulerConfig): Float64Array {
  const n = config.num_train_timesteps;
  let betas: number[];
  if (config.trained_betas) {
    betas = config.trained_betas;
  } else if (config.beta_schedule === 'scaled_linear') {
    betas = linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n).map((b) => b * b);
  } else {
    betas = linspace(config.beta_start, config.beta_end, n);
  }
  const out = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    product *= 1 - betas[i]!;
    out[i] = Math.fround(product);
  }
  return out;
}

/** sigma(t) = sqrt((1 - alpha_bar) / alpha_bar) for every training timestep. */
export function trainingSigmas(alphas: Float64Array): Float64Array {
  return alphas.map((a) => Math.sqrt((1 - a) / a));
}

/** numpy.linspace(start, stop, count) with endpoint. */
export function linspace(start: number, stop: number, count: number): number[] {
  if (count === 1) return [start];
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? stop : start + i * step));
}

/** NumPy's round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.interp for increasing integer x-coordinates 0..values.length-1. */
export function interpolate(values: ArrayLike<number>, x: number): number {
  if (x <= 0) return values[0]!;
  const last = values.length - 1;
  if (x >= last) return values[last]!;
  const i = Math.floor(x);
  const w = x - i;
  return values[i]! * (1 - w) + values[i + 1]! * w;
}

/**
 * Inference timesteps, high to low, as Euler/DDIM space them: "leading" counts up from
 * steps_offset by 1000 // steps, "trailing" counts down from 999, "linspace" spreads over
 * 0..999 and is left fractional when `integer` is false (Euler keeps float32 values).
 */
export function spacedTimesteps(config: SchedulerConfig, steps: number, spacing: TimestepSpacing, integer: boolean): number[] {
  const n = config.num_train_timesteps;
  if (spacing === 'linspace') {
    return linspace(0, n - 1, steps)
      .map((t) => (integer ? roundHalfEven(t) : Math.fround(t)))
      .reverse();
  }
  if (spacing === 'leading') {
    const ratio = Math.floor(n / steps);
    return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + config.steps_offset);
  }
  const ratio = n / steps;
  return Array.from({ length: steps }, (_, i) => roundHalfEven(n - i * ratio) - 1);
}

/** Karras et al. (2022) sigmas with rho = 7 between sigmaMax and sigmaMin. */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const rho = 7;
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return linspace(0, 1, steps).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/** diffusers' _sigma_to_t: the (fractional) timestep whose sigma is `sigma`, by log-linear interpolation. */
export function sigmaToTimestep(sigma: number, logSigmas: Float64Array): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i]! >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low]!;
  const hi = logSigmas[low + 1]!;
  const w = Math.min(1, Math.max(0, (lo - logSigma) / (lo - hi)));
  return (1 - w) * low + w * (low + 1);
}
