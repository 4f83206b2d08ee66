// Follows one job's server-sent events (queued, started, progress with previews, done,
// failed, cancelled) with EventSource, and closes the stream after the terminal event so
// the browser does not reconnect. If the stream cannot be opened at all, it polls the job.

import { useEffect } from 'react';
import { api } from '../api/client';
import type { JobEvent, JobView } from '../api/types';
import { useLatest } from './use-stored-state';

const TYPES = ['queued', 'started', 'progress', 'done', 'failed', 'cancelled'] as const;
const TERMINAL = new Set<string>(['done', 'failed', 'cancelled']);
const POLL_MS = 1000;

/** The event that describes a job's current state, for the polling fallback. */
function eventOf(job: JobView): JobEvent {
  switch (job.status) {
    case 'queued':
      return { type: 'queued', position: 0 };
    case 'running':
      return { type: 'progress', step: job.progress.step, total: job.progress.total };
    case 'done':
      return { type: 'done', images: job.images };
    case 'failed':
      return { type: 'failed', error: job.error ?? { code: 'failed', message: 'The job failed.' } };
    case 'cancelled':
      return { type: 'cancelled' };
  }
}

export function useJobEvents(jobId: string | null, onEvent: (event: JobEvent) => void, onError?: (error: unknown) => void): void {
  const emit = useLatest(onEvent);
  const fail = useLatest((error: unknown) => onError?.(error));
  useEffect(() => {
    if (!jobId) return;
    let ended = false;
    let timer: number | undefined;
    const source = new EventSource(`/api/v1/jobs/${encodeURIComponent(jobId)}/events?preview=1`);
    const finish = () => {
      ended = true;
      source.close();
      window.clearTimeout(timer);
    };
    const poll = async () => {
      if (ended) return;
      try {
        const event = eventOf(await api.job(jobId));
        if (ended) return;
        emit(event);
        if (TERMINAL.has(event.type)) return finish();
      } catch (error) {
        fail(error);
        return finish();
      }
      timer = window.setTimeout(poll, POLL_MS);
    };
    for (const type of TYPES) {
      source.addEventListener(type, (message) => {
        if (ended) return;
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse((message as MessageEvent<string>).data) as Record<string, unknown>;
        } catch {
          return;
        }
        if (TERMINAL.has(type)) finish();
        emit({ ...data, type } as JobEvent);
      });
    }
    source.onerror = () => {
      // CONNECTING means the browser retries on its own (and the server replays the job's
      // events); CLOSED means it gave up, so ask for the job's state instead.
      if (!ended && source.readyState === EventSource.CLOSED) {
        source.close();
        void poll();
      }
    };
    return finish;
  }, [jobId, emit, fail]);
}
