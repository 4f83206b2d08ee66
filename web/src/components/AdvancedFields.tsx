// Settings most people leave alone: hires fix (Create only), tiled decoding for big images,
// and the fast tiny decoder when the model has one.

import { useId } from 'react';
import { HIRES_UPSCALERS, LIMITS, type HiresUpscaler, type ModelInfo } from '../api/types';
import type { GenerationParams } from '../lib/params';
import { SliderField } from './SliderField';

interface Props {
  value: GenerationParams;
  onChange: (patch: Partial<GenerationParams>) => void;
  model: ModelInfo | undefined;
  /** Hires fix is for text to image. */
  showHires?: boolean;
}

export function AdvancedFields({ value, onChange, model, showHires = false }: Props) {
  const id = useId();
  const hires = value.hires;
  const setHires = (patch: Partial<GenerationParams['hires']>) => onChange({ hires: { ...hires, ...patch } });
  const target = `${Math.round(value.width * hires.scale)}×${Math.round(value.height * hires.scale)}`;
  return (
    <fieldset className="advanced-fields">
      <legend>Advanced</legend>
      {showHires ? (
        <div className="hires-fields">
          <label className="check-field">
            <input type="checkbox" name="hires" checked={hires.enabled} onChange={(event) => setHires({ enabled: event.target.checked })} />
            <span>
              Hires fix <span className="hint">draw at {value.width}×{value.height}, then redraw at {target}</span>
            </span>
          </label>
          {hires.enabled ? (
            <>
              <div className="field-pair">
                <SliderField label="Upscale by" name="hires-scale" value={hires.scale} min={1} max={4} step={0.25} onChange={(scale) => setHires({ scale })} />
                <SliderField label="Hires strength" name="hires-strength" value={hires.strength} min={0} max={1} step={0.05} onChange={(strength) => setHires({ strength })} />
              </div>
              <div className="field-pair">
                <div className="field">
                  <label htmlFor={`${id}-upscaler`}>Upscaler</label>
                  <select id={`${id}-upscaler`} name="hires-upscaler" className="input" value={hires.upscaler} onChange={(event) => setHires({ upscaler: event.target.value as HiresUpscaler })}>
                    {HIRES_UPSCALERS.map((u) => (
                      <option key={u.name} value={u.name}>
                        {u.label}
                      </option>
                    ))}
                  </select>
                </div>
                <SliderField
                  label="Hires steps"
                  name="hires-steps"
                  value={hires.steps ?? value.steps}
                  min={1}
                  max={LIMITS.maxSteps}
                  step={1}
                  onChange={(steps) => setHires({ steps })}
                />
              </div>
            </>
          ) : null}
        </div>
      ) : null}
      <label className="check-field">
        <input type="checkbox" name="tiled_vae" checked={value.tiled_vae} onChange={(event) => onChange({ tiled_vae: event.target.checked })} />
        <span>
          Tiled decoding <span className="hint">less memory for big images (on by itself above 1.5× the model&apos;s size)</span>
        </span>
      </label>
      <label className="check-field">
        <input
          type="checkbox"
          name="fast_decode"
          checked={value.fast_decode}
          disabled={model?.tiny_decoder === false}
          onChange={(event) => onChange({ fast_decode: event.target.checked })}
        />
        <span>
          Fast decoding <span className="hint">{model?.tiny_decoder === false ? 'this model has no tiny decoder' : "the model's tiny decoder: quicker, a little softer"}</span>
        </span>
      </label>
    </fieldset>
  );
}
