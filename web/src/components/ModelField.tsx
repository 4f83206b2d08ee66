// Which model runs the job, from those installed on this server.

import { useId } from 'react';
import type { ModelInfo } from '../api/types';

function describe(model: ModelInfo): string {
  if (model.source === 'builtin' || model.name === 'darkroom-tiny') return `${model.name} (built in)`;
  return model.name;
}

export function ModelField({ value, models, onChange, error, disabled }: { value: string; models: ModelInfo[]; onChange: (name: string) => void; error: string | null; disabled?: boolean }) {
  const id = useId();
  const known = models.some((m) => m.name === value);
  return (
    <div className="field">
      <label htmlFor={id}>Model</label>
      <select id={id} name="model" className="input" value={value} disabled={disabled} onChange={(event) => onChange(event.target.value)} aria-describedby={error ? `${id}-error` : undefined}>
        {!known ? <option value={value}>{value}</option> : null}
        {models.map((model) => (
          <option key={model.name} value={model.name}>
            {describe(model)}
          </option>
        ))}
      </select>
      {error ? (
        <p className="hint hint-error" id={`${id}-error`}>
          Could not list the models: {error}
        </p>
      ) : null}
    </div>
  );
}
