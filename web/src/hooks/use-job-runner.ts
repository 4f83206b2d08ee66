// One job at a time for a page: queue it, follow its progress, cancel it, and hand the
// finished job (with its images) to the page. A job still running from before a reload can
// be picked up again with `follow`. Queuing and ending a job change the credits held or
// spent, so each tells the header's balance to follow.

import { useCallback, useState } from 'react';
import { api, messageOf } from '../api/client';
import type { JobEvent, JobRequest, JobView } from '../api/types';
import { useJobEvents } from './use-job-events';
import { useCreditsRefresh } from './use-session';
import { useLatest } from './use-stored-state';

export type RunPhase = 'idle' | 'submitting' | 'queued' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';

export interface RunState {
  phase: RunPhase;
  job: JobView | null;
  /** Place in the queue while waiting (0 when unknown). */
  position: number;
  step: number;
  total: number;
  preview: string | null;
  /** What went wrong, in words a person can act on. */
  error: string | null;
}

const IDLE: RunState = { phase: 'idle', job: null, position: 0, step: 0, total: 0, preview: null, error: null };

export function isActive(phase: RunPhase): boolean {
  return phase === 'submitting' || phase === 'queued' || phase === 'running' || phase === 'cancelling';
}

export function useJobRunner(onFinished: (job: JobView) => void) {
  const [state, setState] = useState<RunState>(IDLE);
  const finished = useLatest(onFinished);
  const refreshCredits = useCreditsRefresh();
  const jobId = state.job && isActive(state.phase) ? state.job.id : null;

  const onEvent = useLatest((event: JobEvent) => {
    switch (event.type) {
      case 'queued':
        return setState((s) => ({ ...s, phase: s.phase === 'cancelling' ? s.phase : 'queued', position: event.position }));
      case 'started':
        return setState((s) => ({ ...s, phase: s.phase === 'cancelling' ? s.phase : 'running' }));
      case 'progress':
        return setState((s) => ({
          ...s,
          phase: s.phase === 'cancelling' ? s.phase : 'running',
          step: event.step,
          total: event.total,
          preview: event.preview ?? s.preview,
        }));
      case 'failed':
        refreshCredits();
        return setState((s) => ({ ...s, phase: 'failed', error: event.error.message || 'The job failed.' }));
      case 'cancelled':
        refreshCredits();
        return setState((s) => ({ ...s, phase: 'cancelled' }));
      case 'done': {
        refreshCredits();
        const id = state.job?.id;
        if (!id) return;
        // The event names the images; the job has their full views and the parameters.
        api.job(id).then(
          (job) => {
            setState((s) => ({ ...s, phase: 'done', job, step: s.total || s.step }));
            finished(job);
          },
          (error: unknown) => setState((s) => ({ ...s, phase: 'failed', error: messageOf(error) })),
        );
      }
    }
  });
  useJobEvents(jobId, onEvent, (error) => setState((s) => ({ ...s, phase: 'failed', error: messageOf(error) })));

  const start = useCallback(async (request: JobRequest): Promise<JobView | null> => {
    setState({ ...IDLE, phase: 'submitting', total: 'steps' in request ? request.steps : 0 });
    try {
      const job = await api.createJob(request);
      setState({ ...IDLE, phase: 'queued', job, total: job.progress.total });
      refreshCredits();
      return job;
    } catch (error) {
      setState({ ...IDLE, error: messageOf(error) });
      return null;
    }
  }, [refreshCredits]);

  /** Follows a job queued earlier (after a reload). */
  const follow = useCallback((job: JobView) => {
    setState({ ...IDLE, phase: job.status === 'running' ? 'running' : 'queued', job, step: job.progress.step, total: job.progress.total });
  }, []);

  const cancel = useCallback(async () => {
    const id = state.job?.id;
    if (!id) return;
    setState((s) => ({ ...s, phase: 'cancelling' }));
    try {
      const job = await api.cancelJob(id);
      if (job.status === 'cancelled') setState((s) => ({ ...s, phase: 'cancelled' }));
    } catch (error) {
      // The job goes on: keep following it, and say why it could not be stopped.
      setState((s) => ({ ...s, phase: s.phase === 'cancelling' ? 'running' : s.phase, error: `Could not cancel: ${messageOf(error)}` }));
    }
  }, [state.job?.id]);

  const dismiss = useCallback(() => setState(IDLE), []);

  return { state, start, follow, cancel, dismiss };
}
