// One-click tools for the source image: upscale and remove the background. A tool runs when
// the server lists it among a model's operations; until then it is shown, reachable from
// the keyboard, and plainly marked as coming rather than broken.

import { useId } from 'react';
import type { ModelInfo, ToolOperation } from '../api/types';
import { Icon, type IconName } from './Icon';

const TOOLS: { operation: ToolOperation; name: string; icon: IconName; what: string }[] = [
  { operation: 'upscale', name: 'Upscale', icon: 'upscale', what: 'enlarges the image 4× with a super-resolution model' },
  { operation: 'remove-background', name: 'Remove background', icon: 'cutout', what: 'makes the background transparent' },
];

interface Props {
  models: ModelInfo[];
  /** Absent or false while there is no source image or a job is running. */
  ready: boolean;
  onRun: (operation: ToolOperation) => void;
}

export function availableTools(models: ModelInfo[]): Set<ToolOperation> {
  return new Set(TOOLS.map((t) => t.operation).filter((op) => models.some((m) => m.operations.includes(op))));
}

export function ImageTools({ models, ready, onRun }: Props) {
  const id = useId();
  const available = availableTools(models);
  const missing = TOOLS.filter((t) => !available.has(t.operation));
  return (
    <section className="tools" aria-labelledby={`${id}-title`}>
      <h3 className="section-title" id={`${id}-title`}>
        One-click tools
      </h3>
      <div className="button-row">
        {TOOLS.map((tool, i) => {
          const has = available.has(tool.operation);
          return (
            <button
              key={tool.operation}
              type="button"
              className="button button-small"
              aria-disabled={has && ready ? undefined : 'true'}
              aria-describedby={has ? `${id}-${i}` : `${id}-note ${id}-${i}`}
              title={has ? (ready ? `${tool.name}: ${tool.what}` : 'Choose an image first') : `Coming soon: ${tool.what}`}
              onClick={() => has && ready && onRun(tool.operation)}
            >
              <Icon name={tool.icon} size={16} />
              {tool.name}
              <span className="visually-hidden" id={`${id}-${i}`}>
                ({tool.what})
              </span>
            </button>
          );
        })}
      </div>
      {missing.length ? (
        <p className="hint" id={`${id}-note`}>
          Coming soon: {missing.length === TOOLS.length ? 'these tools are' : `${missing.map((t) => t.name.toLowerCase()).join(' and ')} is`} not installed on this server yet.
        </p>
      ) : null}
    </section>
  );
}
