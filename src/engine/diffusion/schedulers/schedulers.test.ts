// The schedulers against numbers written by diffusers' own scheduler classes
// (fixtures/diffusers-schedulers.json; see fixtures/README.md for how they were made).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createScheduler, parseSchedulerConfig, type SchedulerName } from './index.js';
import { img2imgStartIndex } from './index.js';
import type { SchedulerConfig } from './scheduler.js';
import { alphasCumprod } from './noise-schedule.js';

interface Step {
  i: number;
  t: number;
  scaled_input: number[];
  model_output: number[];
  prev_sample: number[];
  denoised: number[] | null;
}
interface Trajectory {
  scheduler: SchedulerName;
  prediction_type: 'epsilon' | 'v_prediction';
  spacing: SchedulerConfig['timestep_spacing'];
  steps: number;
  eta?: number;
  config_kind: string;
  timesteps: number[];
  init_noise_sigma: number;
  initial_sample: number[];
  steps_detail: Step[];
  final: number[];
}
interface Schedule {
  scheduler: SchedulerName;
  spacing: SchedulerConfig['timestep_spacing'];
  steps: number;
  timesteps: number[];
  sigmas: number[] | null;
  init_noise_sigma: number;
}
interface Img2Img {
  scheduler: SchedulerName;
  spacing: SchedulerConfig['timestep_spacing'];
  steps: number;
  strength: number;
  t_start: number;
  timesteps: number[];
  original: number[];
  noise: number[];
  noisy: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/diffusers-schedulers.json', import.meta.url), 'utf8')) as {
  meta: { base_config: Record<string, unknown>; alphas_cumprod: number[] };
  schedules: Schedule[];
  trajectories: Trajectory[];
  img2img: Img2Img[];
};

function config(spacing: SchedulerConfig['timestep_spacing'], prediction: SchedulerConfig['prediction_type'] = 'epsilon') {
  return parseSchedulerConfig({ ...fixture.meta.base_config, timestep_spacing: spacing, prediction_type: prediction });
}

function expectClose(actual: ArrayLike<number>, expected: number[], tolerance: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]!));
    expect(Math.abs(actual[i]! - expected[i]!) / scale, `element ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThan(tolerance);
  }
}

describe('noise schedule', () => {
  it('has the alphas_cumprod of SD 1.x', () => {
    expectClose(alphasCumprod(config('leading')), fixture.meta.alphas_cumprod, 1e-6);
  });

  // Printed by NumPy 1.24: np.round(np.arange(1000, 0, -1000/16)) - 1 rounds halves to even.
  it('rounds halves to even like NumPy', () => {
    expect(createScheduler('ddim', config('trailing'), 16).timesteps).toEqual([
      999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61,
    ]);
  });

  it('gives trailing 4-step timesteps 999, 749, 499, 249', () => {
    expect(createScheduler('euler', config('trailing'), 4).timesteps).toEqual([999, 749, 499, 249]);
  });
});

describe.each(fixture.schedules.map((s) => [`${s.scheduler} ${s.spacing} ${s.steps} steps`, s] as const))('schedule %s', (_, s) => {
  it('matches diffusers timesteps, sigmas and initial noise scale', () => {
    const scheduler = createScheduler(s.scheduler, config(s.spacing), s.steps);
    expect(scheduler.timesteps).toEqual(s.timesteps);
    expect(scheduler.initNoiseSigma).toBeCloseTo(s.init_noise_sigma, 5);
    if (s.sigmas) expectClose((scheduler as unknown as { sigmas: number[] }).sigmas, s.sigmas, 1e-5);
  });
});

const deterministic = fixture.trajectories.filter((t) => !t.eta);
describe.each(deterministic.map((t) => [`${t.scheduler} ${t.prediction_type} ${t.spacing} ${t.steps} steps (${t.config_kind})`, t] as const))(
  'trajectory %s',
  (_, t) => {
    it('matches diffusers at every step', () => {
      const scheduler = createScheduler(t.scheduler, config(t.spacing, t.prediction_type), t.steps);
      expect(scheduler.timesteps).toEqual(t.timesteps);
      let x: Float32Array = Float32Array.from(t.initial_sample);
      expectClose(Float32Array.from({ length: 8 }, (_, j) => Math.sin(0.7 * j + 0.1) * scheduler.initNoiseSigma), t.initial_sample, 1e-6);
      scheduler.timesteps.forEach((timestep, i) => {
        const detail = t.steps_detail[i]!;
        const scaled = scheduler.scaleModelInput(x, i);
        expectClose(scaled, detail.scaled_input, 1e-5);
        const output = scaled.map((v, j) => 0.3 * v + 0.2 * Math.cos(0.01 * timestep + 0.5 * j));
        const noise = () => Float32Array.from({ length: 8 }, (_, j) => Math.cos(1.3 * j + 0.7 * i));
        const result = scheduler.step(output, i, x, noise);
        expectClose(result.prevSample, detail.prev_sample, 2e-5);
        if (detail.denoised) expectClose(result.denoised, detail.denoised, 2e-5);
        x = result.prevSample;
      });
      expectClose(x, t.final, 2e-5);
    });
  },
);

describe.each(fixture.img2img.map((c) => [`${c.scheduler} ${c.spacing} ${c.steps} steps strength ${c.strength}`, c] as const))('img2img %s', (_, c) => {
  it("starts where diffusers' get_timesteps does and noises the same way", () => {
    const scheduler = createScheduler(c.scheduler, config(c.spacing), c.steps);
    const start = img2imgStartIndex(c.steps, c.strength);
    expect(start).toBe(c.t_start);
    expect(scheduler.timesteps.slice(start)).toEqual(c.timesteps);
    expectClose(scheduler.addNoise(Float32Array.from(c.original), Float32Array.from(c.noise), start), c.noisy, 1e-5);
  });
});

describe('createScheduler', () => {
  it.each([0, -1, 2.5])('rejects %d steps', (steps) => {
    expect(() => createScheduler('euler', config('leading'), steps)).toThrow(/steps/);
  });

  it('rejects more LCM steps than the distillation schedule has', () => {
    expect(() => createScheduler('lcm', config('leading'), 51)).toThrow(/at most 50/);
  });

  it('gives LCM no timesteps at a strength too weak for one step, so the image is kept', () => {
    expect(createScheduler('lcm', config('leading'), 4, { strength: 0 }).timesteps).toEqual([]);
    expect(createScheduler('lcm', config('leading'), 4, { strength: 0.01 }).timesteps).toEqual([]);
  });

  it('rejects prediction types it cannot sample', () => {
    expect(() => parseSchedulerConfig({ prediction_type: 'sample' })).toThrow(/prediction_type/);
  });
});
