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

export function modelOf(models: ModelInfo[], name: string): ModelInfo | undefined {
  return models.find((m) => m.name === name);
}

export function ParametersForm({ value, onChange, models, showSize = true }: Props) {
  const id = useId();
  const grid = gridOf(modelOf(models.models, value.model) ?? { name: value.model });
  return (
    <>
      <ModelField
        value={value.model}
        models={models.models}
        error={models.error}
        onChange={(model) => {
          const next = gridOf(modelOf(models.models, model) ?? { name: model });
          // A new model starts at its own native size (64 for the tiny model, 512 for SD).
          onChange({ model, ...(showSize ? { width: next.native, height: next.native } : {}) });
        }}
      />
      {showSize ? <SizeField width={value.width} height={value.height} grid={grid} onChange={(size) => onChange(size)} /> : null}
      <div className="field-pair">
        <SliderField label="Steps" name="steps" value={value.steps} min={1} max={LIMITS.maxSteps} step={1} onChange={(steps) => onChange({ steps })} />
        <SliderField label="Guidance" name="guidance" value={value.guidance} min={0} max={LIMITS.maxGuidance} step={0.5} onChange={(guidance) => onChange({ guidance })} />
      </div>
      <div className="field-pair">
        <div className="field">
          <label htmlFor={`${id}-scheduler`}>Scheduler</label>
          <select id={`${id}-scheduler`} name="scheduler" className="input" value={value.scheduler} onChange={(event) => onChange({ scheduler: event.target.value as SchedulerName })}>
            {SCHEDULERS.map((s) => (
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
