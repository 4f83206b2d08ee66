// How far to extend the canvas (outpainting): the source inside its new frame, the new area
// hatched; presets ("+25% all around", "Wider, 16:9"...) and the four margins in pixels,
// laid out around the size they make.

import { useId } from 'react';
import { LIMITS, type Margins } from '../api/types';
import { EXTEND_PRESETS, extendedSize, marginsFitGrid, marginsTotal, sameMargins, snapMargin } from '../lib/outpaint';
import type { SizeGrid } from '../lib/sizes';
import { NumberInput } from './NumberInput';

interface Props {
  image: { url: string; width: number; height: number };
  margins: Margins;
  grid: SizeGrid;
  onChange: (margins: Margins) => void;
}

const SIDES = ['top', 'left', 'right', 'bottom'] as const;
const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(3)}%`;

export function ExtendControl({ image, margins, grid, onChange }: Props) {
  const id = useId();
  const size = extendedSize(image.width, image.height, margins);
  const aspect = size.width / size.height;
  const offGrid = !marginsFitGrid(margins, grid);
  const empty = marginsTotal(margins) === 0;
  const small = Math.max(image.width, image.height) < 256;
  // Only the presets that change this image ("Square" does nothing to a square).
  const presets = EXTEND_PRESETS.flatMap((preset) => {
    const m = preset.margins(image.width, image.height, grid);
    return m ? [{ preset, m }] : [];
  });
  return (
    <div className="extend">
      <figure className="extend-figure">
        {/* Sizes come from the image, so they are set as properties (the CSP allows no style attribute). */}
        <div className="extend-stage" style={{ width: `min(100%, calc(56vh * ${aspect.toFixed(4)}))`, aspectRatio: `${size.width} / ${size.height}` }}>
          <img
            src={image.url}
            alt="The source image, inside its extended frame"
            className={small ? 'extend-source pixelated' : 'extend-source'}
            draggable={false}
            style={{ left: pct(margins.left, size.width), top: pct(margins.top, size.height), width: pct(image.width, size.width), height: pct(image.height, size.height) }}
          />
        </div>
        <figcaption className="extend-legend">
          <span className="legend-item">
            <span className="legend-swatch hatched" aria-hidden="true" /> New area, painted from the prompt
          </span>
          <span className="legend-item">
            <span className="legend-swatch kept" aria-hidden="true" /> Your image, kept as it is
          </span>
        </figcaption>
      </figure>

      <div className="extend-controls">
        <div className="field" hidden={presets.length === 0}>
          <span className="field-label" id={`${id}-presets`}>
            Presets
          </span>
          <div className="segmented extend-presets" role="group" aria-labelledby={`${id}-presets`}>
            {presets.map(({ preset, m }) => {
              const result = extendedSize(image.width, image.height, m);
              return (
                <button key={preset.id} type="button" className="segment" aria-pressed={sameMargins(m, margins)} title={`${preset.label}: ${result.width}×${result.height}`} onClick={() => onChange(m)}>
                  <span>{preset.label}</span>
                  <span className="segment-note">
                    {result.width}×{result.height}
                  </span>
                </button>
              );
            })}
          </div>
        </div>
        <fieldset className="field extend-margins" aria-describedby={`${id}-hint`}>
          <legend>Pixels to add</legend>
          <div className="margin-cross">
            {SIDES.map((side) => (
              <div key={side} className={`margin-field margin-${side}`}>
                <label htmlFor={`${id}-${side}`} className="inline-label">
                  {side[0]!.toUpperCase() + side.slice(1)}
                </label>
                <NumberInput
                  id={`${id}-${side}`}
                  name={side}
                  className="input"
                  min={0}
                  max={LIMITS.maxMargin}
                  step={grid.multiple}
                  value={margins[side]}
                  onValue={(v) => v !== null && onChange({ ...margins, [side]: Math.min(LIMITS.maxMargin, Math.max(0, Math.round(v))) })}
                  onBlur={() => onChange({ ...margins, [side]: snapMargin(margins[side], grid) })}
                />
              </div>
            ))}
            <p className="margin-size" aria-live="polite">
              <span className="muted">
                {image.width}×{image.height}
              </span>
              <span aria-hidden="true"> → </span>
              <span className="visually-hidden"> becomes </span>
              <strong>
                {size.width}×{size.height}
              </strong>
            </p>
          </div>
          <p className={offGrid || empty ? 'hint hint-error' : 'hint'} id={`${id}-hint`}>
            {offGrid
              ? `Each side must be a multiple of ${grid.multiple} for this model.`
              : empty
                ? 'Add pixels on at least one side, or pick a preset.'
                : `Multiples of ${grid.multiple}, up to ${LIMITS.maxMargin} a side.`}
          </p>
        </fieldset>
      </div>
    </div>
  );
}
