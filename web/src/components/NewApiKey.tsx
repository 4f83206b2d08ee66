// A key just made: its secret, shown this once, with a copy button and a plain warning.

import { useId, useRef, useState } from 'react';
import { Icon } from './Icon';

export function NewApiKey({ secret, onDone }: { secret: string; onDone: () => void }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      // No clipboard access (an insecure origin, a refused permission): leave it selected.
      input.current?.select();
      setCopied('Selected: press Ctrl+C (⌘C on a Mac) to copy it.');
    }
  };

  return (
    <div className="new-key" role="region" aria-labelledby={`${id}-title`}>
      <p id={`${id}-title`}>
        <strong>Your new API key.</strong> Copy it now: you will not see it again.
      </p>
      <div className="input-with-buttons">
        <input ref={input} className="input key-secret" readOnly value={secret} aria-label="Your new API key" spellCheck={false} onFocus={(event) => event.target.select()} />
        <button type="button" className="button" onClick={() => void copy()}>
          <Icon name="copy" size={16} /> Copy
        </button>
      </div>
      {copied ? (
        <p className="hint hint-ok" role="status">
          {copied}
        </p>
      ) : null}
      <button type="button" className="button button-small button-quiet" onClick={onDone}>
        Done, I have kept it
      </button>
    </div>
  );
}
