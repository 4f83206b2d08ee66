// What the server said about a prompt it accepted but the model does not know (its words
// are outside what the model was trained on), with prompts that model draws well, one
// click away.

import type { JobWarning } from '../api/types';
import { Icon } from './Icon';

interface Props {
  warnings: JobWarning[];
  onUse: (prompt: string) => void;
  onDismiss: () => void;
}

export function PromptHint({ warnings, onUse, onDismiss }: Props) {
  if (warnings.length === 0) return null;
  const examples = [...new Set(warnings.flatMap((w) => w.examples ?? []))];
  return (
    <div className="notice notice-warning" role="status">
      <Icon name="alert" />
      <div className="notice-body">
        {warnings.map((warning) => (
          <p key={warning.message}>{warning.message}.</p>
        ))}
        {examples.length > 0 ? (
          <>
            <p id="prompt-examples-title">Prompts it knows:</p>
            <div className="prompt-examples" role="group" aria-labelledby="prompt-examples-title">
              {examples.map((example) => (
                <button key={example} type="button" className="chip" onClick={() => onUse(example)}>
                  {example}
                </button>
              ))}
            </div>
          </>
        ) : null}
      </div>
      <button type="button" className="icon-button notice-close" onClick={onDismiss} aria-label="Dismiss this hint" title="Dismiss">
        <Icon name="clear" size={16} />
      </button>
    </div>
  );
}
