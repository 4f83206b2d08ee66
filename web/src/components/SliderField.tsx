// A labelled setting with a slider for quick changes and a number box for exact ones.

import { useId, type ReactNode } from 'react';
import { clamp, roundToStep } from '../lib/params';
import { NumberInput } from './NumberInput';

interface Props {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (value: number) => void;
  hint?: ReactNode;
  disabled?: boolean;
  name?: string;
  /** Words that complete the label for screen readers only (" of image 2"), when the layout says it. */
  context?: string;
}

export function SliderField({ label, value, min, max, step, onChange, hint, disabled, name, context = '' }: Props) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const set = (v: number) => onChange(clamp(roundToStep(v, step), min, max));
  return (
    <div className="field slider-field">
      <div className="field-head">
        <label htmlFor={`${id}-range`}>
          {label}
          {context ? <span className="visually-hidden">{context}</span> : null}
        </label>
        <NumberInput
          className="input number-small"
          aria-label={`${label}${context}, exact value`}
          name={name}
          min={min}
          max={max}
          step={step}
          value={value}
          disabled={disabled}
          onValue={(v) => v !== null && set(v)}
        />
      </div>
      <input
        id={`${id}-range`}
        type="range"
        className="range"
        min={min}
        max={max}
        step={step}
        value={value}
        disabled={disabled}
        aria-describedby={hintId}
        onChange={(event) => set(Number(event.target.value))}
      />
      {hint ? (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}
