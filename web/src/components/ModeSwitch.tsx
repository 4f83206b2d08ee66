// What the Edit page does, as a radio group: Tab reaches the chosen mode, the arrow keys
// (and Home, End) move between modes, as with native radio buttons.

import { useRef, type KeyboardEvent } from 'react';
import type { EditMode } from '../lib/params';
import { Icon, type IconName } from './Icon';

export const MODES: readonly { mode: EditMode; label: string; short?: string; icon: IconName; what: string }[] = [
  { mode: 'img2img', label: 'Whole image', icon: 'image', what: 'Redraw the whole image after the prompt.' },
  { mode: 'inpaint', label: 'Masked area (inpaint)', short: 'Masked area', icon: 'brush', what: 'Repaint only the area you paint over.' },
  { mode: 'style', label: 'Style', icon: 'palette', what: 'Redraw the image in a style preset.' },
  { mode: 'outpaint', label: 'Extend', icon: 'extend', what: 'Make the canvas larger and paint the new area (outpainting).' },
  { mode: 'blend', label: 'Blend', icon: 'blend', what: 'Fuse two to four images into one.' },
];

export function ModeSwitch({ value, onChange, describedBy }: { value: EditMode; onChange: (mode: EditMode) => void; describedBy?: string }) {
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = MODES.findIndex((m) => m.mode === value);
    const next =
      event.key === 'ArrowRight' || event.key === 'ArrowDown'
        ? (index + 1) % MODES.length
        : event.key === 'ArrowLeft' || event.key === 'ArrowUp'
          ? (index - 1 + MODES.length) % MODES.length
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? MODES.length - 1
              : -1;
    if (next < 0) return;
    event.preventDefault();
    onChange(MODES[next]!.mode);
    refs.current[next]?.focus();
  };
  return (
    <div className="segmented mode-switch" role="radiogroup" aria-label="What to do" aria-describedby={describedBy} onKeyDown={onKeyDown}>
      {MODES.map((m, i) => (
        <button
          key={m.mode}
          ref={(element) => {
            refs.current[i] = element;
          }}
          type="button"
          role="radio"
          aria-checked={value === m.mode}
          tabIndex={value === m.mode ? 0 : -1}
          className="segment"
          title={m.what}
          onClick={() => onChange(m.mode)}
        >
          <Icon name={m.icon} size={16} />
          {m.short ? (
            <span>
              {m.short}
              <span className="segment-extra"> (inpaint)</span>
            </span>
          ) : (
            <span>{m.label}</span>
          )}
        </button>
      ))}
    </div>
  );
}
