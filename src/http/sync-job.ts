// Synchronous APIs (OpenAI's, AUTOMATIC1111's) answer when the job ends: the job is queued
// like any other and the request waits for it; a client that hangs up cancels its job.

import type { FastifyReply } from 'fastify';
import { DarkroomError, ERROR_STATUS, type ErrorCode } from '../domain/errors.js';
import type { JobRequest } from '../domain/job.js';
import type { JobService, JobView } from '../jobs/job-service.js';

/** Queues the job, tells `onQueued` (A1111 tracks it for /progress), and waits for its end. */
export async function runToEnd(jobs: JobService, owner: string, reply: FastifyReply, spec: JobRequest, onQueued?: (view: JobView) => void): Promise<JobView> {
  const view = await jobs.create(owner, spec);
  onQueued?.(view);
  // The request stream closes once its body is read; only the response's close before it
  // was sent means the client left.
  const hangUp = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) hangUp.abort();
  };
  reply.raw.on('close', onClose);
  if (reply.raw.destroyed) hangUp.abort();
  try {
    return await jobs.wait(owner, view.id, hangUp.signal);
  } catch (error) {
    if (hangUp.signal.aborted) await jobs.cancel(owner, view.id);
    throw error;
  } finally {
    reply.raw.off('close', onClose);
  }
}

/** The error a job that did not finish ends a synchronous request with. */
export function jobFailure(view: JobView): DarkroomError {
  // The client is still here, so not 499 (client closed): someone else cancelled the job.
  if (view.status === 'cancelled') return new DarkroomError('conflict', 'The job was cancelled before it finished');
  const { code, message } = view.error ?? { code: 'internal', message: 'The job failed.' };
  return new DarkroomError(Object.hasOwn(ERROR_STATUS, code) ? (code as ErrorCode) : 'internal', message || 'The job failed.');
}
