// The seed: empty for a new random one each time, a number to repeat an image, and a dice
// button that picks a number (so the next image can be made again).

import { useId } from 'react';
import { MAX_SEED, randomSeed } from '../lib/params';
import { Icon } from './Icon';
import { NumberInput } from './NumberInput';

export function SeedField({ value, onChange, disabled }: { value: number | null; onChange: (seed: number | null) => void; disabled?: boolean }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Seed</label>
      <div className="input-with-buttons">
        <NumberInput
          id={id}
          name="seed"
          className="input"
          min={0}
          max={MAX_SEED}
          step={1}
          placeholder="random"
          allowEmpty
          value={value}
          disabled={disabled}
          aria-describedby={`${id}-hint`}
          onValue={(v) => onChange(v === null ? null : Math.max(0, Math.min(MAX_SEED, Math.round(v))))}
        />
        <button type="button" className="icon-button" onClick={() => onChange(randomSeed())} disabled={disabled} aria-label="Roll a random seed" title="Roll a random seed">
          <Icon name="dice" />
        </button>
        {value !== null ? (
          <button type="button" className="icon-button" onClick={() => onChange(null)} disabled={disabled} aria-label="Clear the seed (random every time)" title="Random every time">
            <Icon name="clear" size={16} />
          </button>
        ) : null}
      </div>
      <p className="hint" id={`${id}-hint`}>
        {value === null ? 'Empty: a new seed every time.' : 'The same seed and settings make the same image.'}
      </p>
    </div>
  );
}
