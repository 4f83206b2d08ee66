// A style preset from those the server offers, and under it what the preset makes of the
// prompt: its template with the prompt put in, and what it adds to the negative prompt.

import { useId } from 'react';
import type { StylePreset } from '../api/types';
import type { StylesState } from '../hooks/use-styles';

interface Props {
  value: string | null;
  onChange: (style: string | null) => void;
  styles: StylesState;
  /** The prompt the preview puts into the template. */
  prompt: string;
  /** What the server uses for an empty prompt ("the image" for an edit); else "your prompt". */
  emptySubject?: string;
  /** Whether "None" is a choice (Create); the Style mode needs a preset. */
  allowNone?: boolean;
}

function Preview({ preset, subject, typed }: { preset: StylePreset; subject: string; typed: boolean }) {
  const [before, after = ''] = preset.prompt.split('{prompt}');
  return (
    <>
      <span className="style-template">
        {before}
        <mark className={typed ? 'style-subject' : 'style-subject placeholder'}>{subject}</mark>
        {after}
      </span>
      {preset.negative_prompt ? <span className="style-negative">Avoids: {preset.negative_prompt}</span> : null}
    </>
  );
}

export function StyleField({ value, onChange, styles, prompt, emptySubject = 'your prompt', allowNone = true }: Props) {
  const id = useId();
  const preset = styles.styles.find((s) => s.name === value);
  const unknown = value !== null && !preset && !styles.loading;
  const typed = prompt.trim() !== '';
  return (
    <div className="field style-field">
      <label htmlFor={id}>Style</label>
      <select
        id={id}
        name="style"
        className="input"
        value={value ?? ''}
        disabled={styles.loading && value === null}
        aria-describedby={`${id}-preview`}
        onChange={(event) => onChange(event.target.value || null)}
      >
        {allowNone ? <option value="">None</option> : value === null ? <option value="" disabled>Choose a style…</option> : null}
        {value !== null && !preset ? <option value={value}>{unknown ? `${value} (not on this server)` : value}</option> : null}
        {styles.styles.map((style) => (
          <option key={style.name} value={style.name} title={style.prompt}>
            {style.label}
          </option>
        ))}
      </select>
      <p className={unknown || styles.error ? 'hint hint-error style-preview' : 'hint style-preview'} id={`${id}-preview`}>
        {styles.error ? (
          `Could not list the styles: ${styles.error}`
        ) : preset ? (
          <Preview preset={preset} subject={typed ? prompt.trim() : emptySubject} typed={typed} />
        ) : unknown ? (
          'This server has no such style; choose another.'
        ) : styles.loading ? (
          'Loading the styles…'
        ) : allowNone ? (
          'None: the prompt is used as typed.'
        ) : (
          'A preset rewrites the prompt in its manner.'
        )}
      </p>
    </div>
  );
}
