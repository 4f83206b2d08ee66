// The images of a blend: two to four, each with its weight (and its share of the mix), and
// the picker to add another (upload, or one of the caller's images) until there are four.

import { useId, useState } from 'react';
import { imageUrl } from '../api/client';
import type { ImageView } from '../api/types';
import { LIMITS } from '../api/types';
import type { BlendInput } from '../lib/params';
import { Icon } from './Icon';
import { SliderField } from './SliderField';
import { SourcePicker } from './SourcePicker';

interface Props {
  inputs: readonly BlendInput[];
  onChange: (inputs: BlendInput[]) => void;
  /** Reload the picker's images when this changes (the page coming into view). */
  refreshKey: unknown;
}

export const DEFAULT_WEIGHT = 1;

function share(inputs: readonly BlendInput[], weight: number): string {
  const total = inputs.reduce((sum, i) => sum + i.weight, 0);
  return total > 0 ? `${Math.round((100 * weight) / total)}% of the mix` : 'No weight: give one image some';
}

export function BlendPicker({ inputs, onChange, refreshKey }: Props) {
  const id = useId();
  const [adding, setAdding] = useState(false);
  const full = inputs.length >= LIMITS.maxBlend;
  const picking = !full && (adding || inputs.length < LIMITS.minBlend);
  const chosen = new Set(inputs.map((i) => i.image.id));

  const add = (image: ImageView) => {
    if (chosen.has(image.id) || full) return;
    onChange([...inputs, { image, weight: DEFAULT_WEIGHT }]);
    setAdding(false);
  };
  const setWeight = (index: number, weight: number) => onChange(inputs.map((item, i) => (i === index ? { ...item, weight } : item)));
  const remove = (index: number) => onChange(inputs.filter((_, i) => i !== index));

  return (
    <div className="blend">
      {inputs.length ? (
        <ol className="blend-list" aria-label="Images to blend">
          {inputs.map((item, i) => (
            <li key={item.image.id} className="blend-item">
              <img
                src={imageUrl(item.image, true)}
                alt={`Image ${i + 1}: ${item.image.kind === 'upload' ? 'upload' : 'image'} ${item.image.id}`}
                className={Math.max(item.image.width, item.image.height) < 256 ? 'blend-thumb pixelated' : 'blend-thumb'}
              />
              <div className="blend-item-body">
                <p className="blend-item-title">
                  Image {i + 1}
                  <span className="muted">
                    {' '}
                    · {item.image.width}×{item.image.height}
                  </span>
                </p>
                <SliderField label="Weight" context={` of image ${i + 1}`} value={item.weight} min={0} max={1} step={0.05} onChange={(w) => setWeight(i, w)} hint={share(inputs, item.weight)} />
              </div>
              <button type="button" className="icon-button blend-remove" onClick={() => remove(i)} aria-label={`Remove image ${i + 1} from the blend`} title="Remove from the blend">
                <Icon name="clear" size={16} />
              </button>
            </li>
          ))}
        </ol>
      ) : null}

      {picking ? (
        <section className="blend-add" aria-labelledby={`${id}-add`}>
          <div className="panel-head">
            <h3 className="section-title" id={`${id}-add`}>
              {inputs.length === 0 ? 'Choose the first image' : `Add image ${inputs.length + 1}`}
              {inputs.length < LIMITS.minBlend ? <span className="muted"> (at least {LIMITS.minBlend})</span> : null}
            </h3>
            {adding && inputs.length >= LIMITS.minBlend ? (
              <button type="button" className="button button-small button-quiet" onClick={() => setAdding(false)}>
                Done
              </button>
            ) : null}
          </div>
          <SourcePicker onPick={add} refreshKey={`${String(refreshKey)}-${inputs.length}`} verb="Add" chosen={chosen} />
        </section>
      ) : full ? (
        <p className="hint">Four images at most: remove one to add another.</p>
      ) : (
        <button type="button" className="button blend-more" onClick={() => setAdding(true)}>
          <Icon name="plus" size={16} /> Add another image
          <span className="muted"> (up to {LIMITS.maxBlend})</span>
        </button>
      )}
    </div>
  );
}
