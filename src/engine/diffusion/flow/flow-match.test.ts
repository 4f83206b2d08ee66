import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calculateShift, flowEulerStep, flowImg2imgStart, flowMatchSchedule, flowScaleNoise, parseFlowMatchConfig, type SigmaSpacing } from './flow-match.js';

// Written by tools/train-tiny/flow_schedule.py, which runs diffusers' own
// FlowMatchEulerDiscreteScheduler (huggingface/diffusers@58eb52c) set up as each pipeline sets it.
const fixture = JSON.parse(readFileSync(new URL('../../../../test/fixtures/flow-match-schedules.json', import.meta.url), 'utf8')) as {
  source: string;
  cases: { name: string; config: Record<string, unknown>; spacing: string; image_seq_len: number | null; mu: number | null; steps: number; sigmas: number[]; timesteps: number[] }[];
};

describe('flow-matching Euler schedule', () => {
  it('reads the fixture from diffusers', () => {
    expect(fixture.source).toContain('scheduling_flow_match_euler_discrete.py');
    expect(fixture.cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of fixture.cases) {
    it(`gives diffusers' sigmas and timesteps: ${c.name}, ${c.steps} steps`, () => {
      const config = parseFlowMatchConfig(c.config);
      const spacing: SigmaSpacing = c.spacing === 'scheduler' ? 'scheduler' : 'pipeline';
      const schedule = flowMatchSchedule(config, c.steps, spacing, c.image_seq_len ?? 4096);
      if (c.mu !== null) expect(calculateShift(c.image_seq_len!, config)).toBeCloseTo(c.mu, 10);
      expect(schedule.sigmas).toHaveLength(c.sigmas.length);
      schedule.sigmas.forEach((s, i) => expect(s).toBeCloseTo(c.sigmas[i]!, 6));
      schedule.timesteps.forEach((t, i) => expect(t).toBeCloseTo(c.timesteps[i]!, 3));
    });
  }

  it('refuses scheduler options it does not implement, by name', () => {
    expect(() => parseFlowMatchConfig({ use_karras_sigmas: true })).toThrow(/use_karras_sigmas/);
    expect(() => parseFlowMatchConfig({ stochastic_sampling: true })).toThrow(/stochastic_sampling/);
    expect(parseFlowMatchConfig({ _class_name: 'FlowMatchEulerDiscreteScheduler', shift: 3 }).shift).toBe(3);
  });

  it('steps along the velocity and noises as diffusers does', () => {
    const sigmas = [1, 0.75, 0];
    const x = Float32Array.from([1, -2]);
    const v = Float32Array.from([0.5, 4]);
    expect([...flowEulerStep(v, x, sigmas, 0)]).toEqual([1 - 0.25 * 0.5, -2 - 0.25 * 4]);
    expect([...flowScaleNoise(Float32Array.from([2]), Float32Array.from([-1]), 0.25)]).toEqual([0.25 * -1 + 0.75 * 2]);
  });

  it('starts img2img where Z-Image and Flux start it (no rounding of steps x strength)', () => {
    expect(flowImg2imgStart(8, 0.6)).toBe(3);
    expect(flowImg2imgStart(8, 1)).toBe(0);
    expect(flowImg2imgStart(8, 0)).toBe(8);
    expect(flowImg2imgStart(9, 0.5)).toBe(4);
  });
});
