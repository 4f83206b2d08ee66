// Width and height: aspect presets on the model's grid, or exact sides.

import { useId } from 'react';
import { LIMITS } from '../api/types';
import { ASPECTS, aspectOf, fitsGrid, presetSize, snap, type SizeGrid } from '../lib/sizes';
import { NumberInput } from './NumberInput';

interface Props {
  width: number;
  height: number;
  grid: SizeGrid;
  onChange: (size: { width: number; height: number }) => void;
  disabled?: boolean;
}

export function SizeField({ width, height, grid, onChange, disabled }: Props) {
  const id = useId();
  const current = aspectOf(grid, width, height);
  const offGrid = !fitsGrid(grid, width, height);
  const side = (v: number) => Math.min(LIMITS.maxSide, Math.max(LIMITS.minSide, Math.round(v)));
  return (
    <fieldset className="field size-field">
      <legend>Size</legend>
      <div className="segmented" role="group" aria-label="Aspect presets">
        {ASPECTS.map((aspect) => {
          const size = presetSize(grid, aspect);
          const pressed = current?.id === aspect.id;
          return (
            <button
              key={aspect.id}
              type="button"
              className={`segment aspect-${aspect.id.replace(':', 'x')}`}
              aria-pressed={pressed}
              disabled={disabled}
              title={`${aspect.label}: ${size.width}×${size.height}`}
              onClick={() => onChange(size)}
            >
              <span className="aspect-swatch" aria-hidden="true" />
              <span>{aspect.label}</span>
            </button>
          );
        })}
      </div>
      <div className="size-inputs">
        <label htmlFor={`${id}-w`} className="inline-label">
          Width
        </label>
        <NumberInput
          id={`${id}-w`}
          name="width"
          className="input"
          min={LIMITS.minSide}
          max={LIMITS.maxSide}
          step={grid.multiple}
          value={width}
          disabled={disabled}
          onValue={(v) => v !== null && onChange({ width: side(v), height })}
          onBlur={() => onChange({ width: snap(width, grid.multiple), height })}
        />
        <span aria-hidden="true" className="times">
          ×
        </span>
        <label htmlFor={`${id}-h`} className="inline-label">
          Height
        </label>
        <NumberInput
          id={`${id}-h`}
          name="height"
          className="input"
          min={LIMITS.minSide}
          max={LIMITS.maxSide}
          step={grid.multiple}
          value={height}
          disabled={disabled}
          onValue={(v) => v !== null && onChange({ width, height: side(v) })}
          onBlur={() => onChange({ width, height: snap(height, grid.multiple) })}
        />
      </div>
      <p className={offGrid ? 'hint hint-error' : 'hint'}>
        {offGrid
          ? `Sides must be multiples of ${grid.multiple} for this model.`
          : `Native ${grid.native}×${grid.native}; larger sizes take longer.`}
      </p>
    </fieldset>
  );
}
