// The caller's recent jobs, whatever became of them: done, failed (and why), cancelled,
// or still going.

import { useId } from 'react';
import type { JobView } from '../api/types';
import { describeJob, isToolJob, jobTitle, operationLabel } from '../lib/params';
import { ago } from '../lib/time';
import { Icon } from './Icon';
import { ResultTitle } from './ResultsGrid';

const STATUS: Record<JobView['status'], string> = { queued: 'Queued', running: 'Running', done: 'Done', failed: 'Failed', cancelled: 'Cancelled' };

export function JobHistory({ jobs, now, onReuse }: { jobs: JobView[]; now: number; onReuse: (job: JobView) => void }) {
  const id = useId();
  if (jobs.length === 0) return <p className="empty-state hint">No jobs yet.</p>;
  return (
    <ul className="history-list">
      {jobs.map((job) => {
        const tool = isToolJob(job);
        const title = jobTitle(job);
        return (
          <li key={job.id} className="history-item">
            <span className={`status status-${job.status}`}>{STATUS[job.status]}</span>
            <div className="history-body">
              <ResultTitle title={title} full={job.prompt} />
              <p className="result-params" id={`${id}-${job.id}`}>
                {operationLabel(job.operation)} · {job.images.length} image{job.images.length === 1 ? '' : 's'}
                {job.status === 'running' ? ` · step ${job.progress.step} of ${job.progress.total}` : ''}
                {/* A tool's title already says what it did. */}
                {tool ? '' : ` · ${describeJob(job)}`} · {ago(job.created_at, now)}
              </p>
              {job.status === 'failed' && job.error ? <p className="hint hint-error">{job.error.message}</p> : null}
            </div>
            {tool ? null : (
              // Named by the job, so a list of these buttons says which is which; the settings and time as its description.
              <button
                type="button"
                className="icon-button"
                onClick={() => onReuse(job)}
                aria-label={`Reuse the parameters of “${title.text}”`}
                aria-describedby={`${id}-${job.id}`}
                title="Reuse parameters"
              >
                <Icon name="reuse" />
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
