// The generation settings shared by Create and Edit: model, size (Create), steps, guidance,
// scheduler, seed and how many images.

import { useId } from 'react';
import { LIMITS, SCHEDULERS, type ModelInfo, type SchedulerName } from '../api/types';
import type { GenerationParams } from '../lib/params';
import { gridOf } from '../lib/sizes';
import type { ModelsState } from '../hooks/use-models';
import { ModelField } from './ModelField';
import { SeedField } from './SeedField';
import { SizeField } from './SizeField';
import { SliderField } from './SliderField';

interface Props {
  value: GenerationParams;
  onChange: (patch: Partial<GenerationParams>) => void;
  models: ModelsState;
  showSize?: boolean;
}

const FAMILIES: Record<string, string> = {
  sd: 'Stable Diffusion 1.x/2.x',
  sdxl: 'SDXL',
  'z-image': 'Z-Image (flow-matching transformer)',
  sd3: 'Stable Diffusion 3 (flow-matching transformer)',
  flux: 'Flux (flow-matching transformer)',
};

/** What kind of model this is and what it recommends, in one line. */
function ModelNote({ model }: { model: ModelInfo | undefined }) {
  if (!model?.family) return null;
  const d = model.defaults;
  const scheduler = d ? (SCHEDULERS.find((s) => s.name === d.scheduler)?.label ?? d.scheduler) : '';
  return (
    <p className="hint model-note">
      {FAMILIES[model.family] ?? model.family}
      {d ? ` · recommends ${d.steps} steps, guidance ${d.guidance}, ${scheduler}, ${d.width}×${d.height}` : ''}
    </p>
  );
}

export function modelOf(models: ModelInfo[], name: string): ModelInfo | undefined {
  return models.find((m) => m.name === name);
}

export function ParametersForm({ value, onChange, models, showSize = true }: Props) {
  const id = useId();
  const info = modelOf(models.models, value.model);
  const grid = gridOf(info ?? { name: value.model });
  // A flow model samples with its flow-matching Euler only.
  const schedulers = SCHEDULERS.filter((s) => !info?.schedulers || info.schedulers.includes(s.name));
  return (
    <>
      <ModelField
        value={value.model}
        models={models.models}
        error={models.error}
        onChange={(model) => {
          const info = modelOf(models.models, model);
          const next = gridOf(info ?? { name: model });
          const recommended = info?.defaults;
          // A new model starts with its own recommendations (a Turbo model: few steps, no
          // guidance) at its own size (64 for the tiny models, 512 for SD).
          onChange({
            model,
            ...(recommended ? { steps: recommended.steps, guidance: recommended.guidance, scheduler: recommended.scheduler } : {}),
            ...(showSize ? { width: recommended?.width ?? next.native, height: recommended?.height ?? next.native } : {}),
          });
        }}
      />
      <ModelNote model={modelOf(models.models, value.model)} />
      {showSize ? <SizeField width={value.width} height={value.height} grid={grid} onChange={(size) => onChange(size)} /> : null}
      <div className="field-pair">
        <SliderField label="Steps" name="steps" value={value.steps} min={1} max={LIMITS.maxSteps} step={1} onChange={(steps) => onChange({ steps })} />
        <SliderField label="Guidance" name="guidance" value={value.guidance} min={0} max={LIMITS.maxGuidance} step={0.5} onChange={(guidance) => onChange({ guidance })} />
      </div>
      <div className="field-pair">
        <div className="field">
          <label htmlFor={`${id}-scheduler`}>Scheduler</label>
          <select id={`${id}-scheduler`} name="scheduler" className="input" value={value.scheduler} onChange={(event) => onChange({ scheduler: event.target.value as SchedulerName })}>
            {schedulers.map((s) => (
              <option key={s.name} value={s.name}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-n`}>Images</label>
          <select id={`${id}-n`} name="n" className="input" value={value.n} onChange={(event) => onChange({ n: Number(event.target.value) })}>
            {Array.from({ length: LIMITS.maxBatch }, (_, i) => i + 1).map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
      </div>
      <SeedField value={value.seed} onChange={(seed) => onChange({ seed })} />
    </>
  );
}
