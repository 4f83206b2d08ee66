// A number box that lets a person type freely (empty, "0.", "1e") and only reports values
// that are numbers; on leaving the box it shows the value in force again.

import { useEffect, useRef, useState, type InputHTMLAttributes } from 'react';

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'type'> & {
  value: number | null;
  onValue: (value: number | null) => void;
  /** Whether an empty box means null (a random seed) rather than "keep the last value". */
  allowEmpty?: boolean;
};

export function NumberInput({ value, onValue, allowEmpty = false, onFocus, onBlur, ...rest }: Props) {
  const shown = value === null ? '' : String(value);
  const [draft, setDraft] = useState(shown);
  // While the box has the focus its text is what was typed: the value in force may be the
  // typing so far clamped ("5" on the way to "512" is held as 8), and writing that back
  // into the box would change the next keystroke's number.
  const focused = useRef(false);
  useEffect(() => {
    if (!focused.current) setDraft(shown);
  }, [shown]);
  return (
    <input
      {...rest}
      type="number"
      inputMode="decimal"
      value={draft}
      onChange={(event) => {
        const text = event.target.value;
        setDraft(text);
        if (text.trim() === '') {
          if (allowEmpty) onValue(null);
          return;
        }
        const number = Number(text);
        if (Number.isFinite(number)) onValue(number);
      }}
      onFocus={(event) => {
        focused.current = true;
        onFocus?.(event);
      }}
      onBlur={(event) => {
        focused.current = false;
        setDraft(shown);
        onBlur?.(event);
      }}
    />
  );
}
