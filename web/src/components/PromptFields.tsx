// The prompt and the negative prompt.

import { useId, type RefObject } from 'react';
import { EXAMPLE_PROMPT } from '../lib/params';

interface Props {
  prompt: string;
  negative: string;
  onChange: (patch: { prompt?: string; negative_prompt?: string }) => void;
  promptRef?: RefObject<HTMLTextAreaElement | null>;
  placeholder?: string;
  /** Whether the job runs without a prompt (style transfer, blend). */
  optional?: boolean;
  /** The message saying what is wrong with the prompt, when something is. */
  errorId?: string | undefined;
}

export function PromptFields({ prompt, negative, onChange, promptRef, placeholder = `e.g. ${EXAMPLE_PROMPT}`, optional = false, errorId }: Props) {
  const id = useId();
  const describedBy = [optional ? `${id}-optional` : undefined, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <>
      <div className="field">
        {optional ? (
          <div className="field-head">
            <label htmlFor={`${id}-prompt`}>Prompt</label>
            <span className="field-note" id={`${id}-optional`}>
              Optional
            </span>
          </div>
        ) : (
          <label htmlFor={`${id}-prompt`}>Prompt</label>
        )}
        <textarea
          id={`${id}-prompt`}
          aria-describedby={describedBy}
          aria-invalid={errorId ? true : undefined}
          ref={promptRef}
          name="prompt"
          className="input prompt"
          rows={3}
          placeholder={placeholder}
          value={prompt}
          spellCheck
          onChange={(event) => onChange({ prompt: event.target.value })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-negative`}>Negative prompt</label>
        <textarea
          id={`${id}-negative`}
          name="negative_prompt"
          className="input"
          rows={2}
          placeholder="what to avoid, e.g. a triangle"
          value={negative}
          onChange={(event) => onChange({ negative_prompt: event.target.value })}
        />
      </div>
    </>
  );
}
