// One-click tools for the source image: upscale (2×, 3×, 4× or 8×) and remove the
// background. A tool runs when the server lists it among its tools; until then it is shown,
// reachable from the keyboard, and plainly marked as coming rather than broken.

import { useId } from 'react';
import { UPSCALE_FACTORS, type ToolOperation, type UpscaleFactor } from '../api/types';
import { useStoredState } from '../hooks/use-stored-state';
import { ErrorNotice } from './ErrorNotice';
import { Icon, type IconName } from './Icon';

const TOOLS: { operation: ToolOperation; name: string; icon: IconName; what: (scale: number) => string }[] = [
  { operation: 'upscale', name: 'Upscale', icon: 'upscale', what: (scale) => `enlarges the image ${scale}× with a super-resolution model` },
  { operation: 'remove-background', name: 'Remove background', icon: 'cutout', what: () => 'makes the background transparent' },
];

const sanitizeScale = (v: unknown): UpscaleFactor => (UPSCALE_FACTORS.includes(v as UpscaleFactor) ? (v as UpscaleFactor) : 4);

interface Props {
  /** The operations the server lists as tools. */
  tools: readonly string[];
  /** False while there is no source image or a job is running. */
  ready: boolean;
  onRun: (operation: ToolOperation, scale: UpscaleFactor) => void;
  /** Why the last tool could not start (no credits, too many requests...). */
  error: string | null;
  onDismissError: () => void;
}

export function ImageTools({ tools, ready, onRun, error, onDismissError }: Props) {
  const id = useId();
  const [scale, setScale] = useStoredState<UpscaleFactor>('upscale.scale', 4, sanitizeScale);
  const missing = TOOLS.filter((t) => !tools.includes(t.operation));
  return (
    <section className="tools" aria-labelledby={`${id}-title`}>
      <h3 className="section-title" id={`${id}-title`}>
        One-click tools
      </h3>
      <div className="button-row">
        {TOOLS.map((tool, i) => {
          const has = tools.includes(tool.operation);
          const button = (
            <button
              key={tool.operation}
              type="button"
              className="button button-small"
              aria-disabled={has && ready ? undefined : 'true'}
              aria-describedby={has ? `${id}-${i}` : `${id}-note ${id}-${i}`}
              title={has ? (ready ? `${tool.name}: ${tool.what(scale)}` : 'Choose an image first') : `Coming soon: ${tool.what(scale)}`}
              onClick={() => has && ready && onRun(tool.operation, scale)}
            >
              <Icon name={tool.icon} size={16} />
              {tool.name}
              <span className="visually-hidden" id={`${id}-${i}`}>
                ({tool.what(scale)})
              </span>
            </button>
          );
          if (tool.operation !== 'upscale' || !has) return button;
          return (
            <span className="split-button" key={tool.operation}>
              {button}
              <select className="input split-select" aria-label="Upscale factor" value={scale} onChange={(event) => setScale(sanitizeScale(Number(event.target.value)))}>
                {UPSCALE_FACTORS.map((factor) => (
                  <option key={factor} value={factor}>
                    {factor}×
                  </option>
                ))}
              </select>
            </span>
          );
        })}
      </div>
      {missing.length ? (
        <p className="hint" id={`${id}-note`}>
          Coming soon: {missing.length === TOOLS.length ? 'these tools are' : `${missing.map((t) => t.name.toLowerCase()).join(' and ')} is`} not installed on this server yet.
        </p>
      ) : null}
      <ErrorNotice message={error} onDismiss={onDismissError} />
    </section>
  );
}
