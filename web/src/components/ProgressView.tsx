// A running job: where it is (queued, step k of n), the latest preview, and Cancel. After
// it ends: cancelled or failed, said plainly. A screen reader is told each change of phase
// (queued, loading, generating), not each step: the progress bar holds the count.

import type { RunState } from '../hooks/use-job-runner';
import { isToolJob } from '../lib/params';
import { ErrorNotice } from './ErrorNotice';
import { Icon } from './Icon';

interface Props {
  state: RunState;
  onCancel: () => void;
  onDismiss: () => void;
  /** The size being made, so the preview box has the image's shape before a preview comes. */
  width?: number | undefined;
  height?: number | undefined;
}

function headline(state: RunState): string {
  switch (state.phase) {
    case 'submitting':
      return 'Sending…';
    case 'queued':
      return state.position > 1 ? `Waiting in the queue (${state.position - 1} ahead)` : 'Starting…';
    case 'running':
      if (state.job?.operation === 'upscale') return `Upscaling ${state.job.scale ?? ''}×…`.replace(' ×', '');
      if (state.job?.operation === 'remove-background') return 'Removing the background…';
      return counting(state) ? `Step ${state.step} of ${state.total}` : 'Loading the model…';
    case 'cancelling':
      return 'Cancelling…';
    default:
      return '';
  }
}

/** Whether the job is counting its steps (a tool is one step: "step 0 of 1" would say nothing). */
const counting = (state: RunState) => state.phase === 'running' && state.step > 0 && !(state.job && isToolJob(state.job));

/** The phase in words, for the live region: the steps are the progress bar's to say. */
const phase = (state: RunState) => (counting(state) ? 'Generating…' : headline(state));

export function ProgressView({ state, onCancel, onDismiss, width, height }: Props) {
  if (state.phase === 'idle' || state.phase === 'done') return null;
  if (state.phase === 'failed') return <ErrorNotice message={`The job failed: ${state.error ?? 'no reason given'}`} onDismiss={onDismiss} />;
  if (state.phase === 'cancelled') {
    return (
      <div className="notice notice-info" role="status">
        <div className="notice-body">
          <p>Cancelled{state.step ? ` at step ${state.step} of ${state.total}` : ''}. Nothing was kept.</p>
        </div>
        <button type="button" className="icon-button notice-close" onClick={onDismiss} aria-label="Dismiss this message" title="Dismiss">
          <Icon name="clear" size={16} />
        </button>
      </div>
    );
  }
  const w = width ?? state.job?.width ?? 1;
  const h = height ?? state.job?.height ?? 1;
  const percent = state.total ? Math.round((100 * state.step) / state.total) : 0;
  return (
    <section className="progress-card" aria-label="Job in progress">
      <div className="preview-box" style={{ aspectRatio: `${w} / ${h}` }}>
        {state.preview ? (
          <img src={state.preview} alt="Preview of the image being made" className="pixelated" />
        ) : (
          <div className="preview-placeholder" aria-hidden="true" />
        )}
      </div>
      <div className="progress-info">
        {/* Read through the live region and the bar's value; shown for the eye. */}
        <p className="progress-label" aria-hidden="true">
          {headline(state)}
        </p>
        <p className="visually-hidden" role="status">
          {phase(state)}
        </p>
        <progress className="progress-bar" max={state.total || 1} value={state.step} aria-label="Progress" aria-valuetext={counting(state) ? `Step ${state.step} of ${state.total}, ${percent}%` : phase(state)} />
        {state.error ? <p className="hint hint-error">{state.error}</p> : null}
        <button type="button" className="button button-danger-quiet" onClick={onCancel} disabled={state.phase === 'cancelling' || state.phase === 'submitting'}>
          <Icon name="stop" size={14} />
          Cancel
        </button>
      </div>
    </section>
  );
}
