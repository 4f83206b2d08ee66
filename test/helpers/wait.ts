// Polling with a limit, for tests that wait on a server: a generic wait, and one for a job
// over the native API that fails at once, with the job's status and error, when the job
// ends some other way than the test expects.

import type { JobView } from '../../src/jobs/job-service.js';

export interface WaitOptions {
  /** Reads before giving up. */
  attempts?: number;
  /** Milliseconds between reads. */
  interval?: number;
}

const ENDED: ReadonlySet<string> = new Set(['done', 'failed', 'cancelled']);

/** Reads until `done` holds, at most `attempts` times; `what` names the wait in the error. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, { attempts = 2400, interval = 25 }: WaitOptions = {}): Promise<T> {
  let value: T | undefined;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, interval));
    value = await read();
    if (done(value)) return value;
  }
  throw new Error(`Timed out waiting for ${what} after ${attempts} reads, ${interval} ms apart; the last read gave ${JSON.stringify(value)?.slice(0, 500)}`);
}

export interface JobWait extends WaitOptions {
  /** Sent with every read, for the caller's credentials. */
  init?: RequestInit;
  /** The status the job must end with; 'done' unless told. */
  status?: JobView['status'];
  /** Returns as soon as this holds, before the job ends (it must not end first). */
  until?: (job: JobView) => boolean;
}

/**
 * Polls GET /api/v1/jobs/:id on `url` until the job ends with `status` (or `until` holds),
 * and returns it; throws if the job ends otherwise, or the reads run out.
 */
export async function waitForJob(url: string, id: string, { init, status = 'done', until, ...limits }: JobWait = {}): Promise<JobView> {
  const read = async () => {
    const response = await fetch(`${url}/api/v1/jobs/${id}`, init);
    if (!response.ok) throw new Error(`GET /api/v1/jobs/${id}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as JobView;
  };
  const wanted = until ? `job ${id} to reach the awaited state` : `job ${id} to end ${status}`;
  const job = await waitFor(read, (j) => until?.(j) === true || ENDED.has(j.status), wanted, limits);
  if (until ? until(job) : job.status === status) return job;
  const error = job.error ? ` (${job.error.code}: ${job.error.message})` : '';
  throw new Error(`Expected ${wanted}, but it ended ${job.status}${error} at step ${job.progress.step}/${job.progress.total}`);
}
