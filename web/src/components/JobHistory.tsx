// The caller's recent jobs, whatever became of them: done, failed (and why), cancelled,
// or still going.

import type { JobView } from '../api/types';
import { describeJob, isToolJob, operationLabel, untitled } from '../lib/params';
import { ago } from '../lib/time';
import { Icon } from './Icon';

const STATUS: Record<JobView['status'], string> = { queued: 'Queued', running: 'Running', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' };

export function JobHistory({ jobs, now, onReuse }: { jobs: JobView[]; now: number; onReuse: (job: JobView) => void }) {
  if (jobs.length === 0) return <p className="empty-state hint">No jobs yet.</p>;
  return (
    <ul className="history-list">
      {jobs.map((job) => (
        <li key={job.id} className="history-item">
          <span className={`status status-${job.status}`}>{STATUS[job.status]}</span>
          <div className="history-body">
            <p className="result-prompt" title={job.prompt ?? undefined}>
              {job.prompt || (job.prompt === '' && untitled(job) !== 'No prompt' ? untitled(job) : <em className="muted">{job.prompt === null ? 'Prompt no longer kept' : 'No prompt'}</em>)}
            </p>
            <p className="result-params">
              {operationLabel(job.operation)} · {job.images.length} image{job.images.length === 1 ? '' : 's'}
              {job.status === 'running' ? ` · step ${job.progress.step} of ${job.progress.total}` : ''} · {describeJob(job)} · {ago(job.created_at, now)}
            </p>
            {job.status === 'failed' && job.error ? <p className="hint hint-error">{job.error.message}</p> : null}
          </div>
          {isToolJob(job) ? null : (
            <button type="button" className="icon-button" onClick={() => onReuse(job)} aria-label="Reuse the parameters of this job" title="Reuse parameters">
              <Icon name="reuse" />
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
