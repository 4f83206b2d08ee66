// A password field with a button to show what was typed (typing on a phone is error-prone).

import { useState, type Ref } from 'react';
import { Icon } from './Icon';

interface Props {
  id: string;
  value: string;
  onChange: (value: string) => void;
  autoComplete: 'current-password' | 'new-password';
  inputRef?: Ref<HTMLInputElement>;
  invalid?: boolean | undefined;
  autoFocus?: boolean;
  describedBy?: string | undefined;
}

export function PasswordInput({ id, value, onChange, autoComplete, inputRef, invalid, describedBy, autoFocus }: Props) {
  const [shown, setShown] = useState(false);
  return (
    <div className="input-with-buttons">
      <input
        ref={inputRef}
        id={id}
        className="input"
        type={shown ? 'text' : 'password'}
        name="password"
        autoComplete={autoComplete}
        autoFocus={autoFocus}
        autoCapitalize="none"
        spellCheck={false}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={invalid}
        aria-describedby={describedBy}
      />
      <button
        type="button"
        className="icon-button"
        aria-label="Show password"
        aria-pressed={shown}
        title={shown ? 'Hide password' : 'Show password'}
        onClick={() => setShown((s) => !s)}
      >
        <Icon name={shown ? 'eye-off' : 'eye'} size={18} />
      </button>
    </div>
  );
}
