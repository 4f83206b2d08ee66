// After a reload, a page picks up its job that is still queued or running, once its recent
// jobs have loaded, so the progress (and Cancel) come back instead of a silent wait.

import { useEffect, useRef } from 'react';
import type { JobView } from '../api/types';
import type { RunState } from './use-job-runner';

interface Recent {
  loaded: boolean;
  jobs: JobView[];
}

interface Runner {
  state: Pick<RunState, 'phase'>;
  follow: (job: JobView) => void;
}

export function useResumeJob(recent: Recent, runner: Runner): void {
  const resumed = useRef(false);
  useEffect(() => {
    if (resumed.current || !recent.loaded) return;
    resumed.current = true;
    const pending = recent.jobs.find((job) => job.status === 'queued' || job.status === 'running');
    if (pending && runner.state.phase === 'idle') runner.follow(pending);
  }, [recent.loaded, recent.jobs, runner]);
}
