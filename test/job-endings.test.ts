// How jobs end when things happen around them: a cancel that races a worker's claim, a
// client that leaves before its wait begins, an erasure of queued and running jobs. The
// runner here holds each job until it is cancelled, so every ordering is deterministic.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DarkroomError } from '../src/domain/errors.js';
import type { EngineJob } from '../src/engine/engine.js';
import type { JobEvent } from '../src/jobs/progress-bus.js';
import type { InferenceRunner, RunnerContext, RunOutcome } from '../src/jobs/runner.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/** Runs nothing: each job waits until it is cancelled. */
class HeldRunner implements InferenceRunner {
  readonly started: string[] = [];
  run(job: EngineJob, context: RunnerContext): Promise<RunOutcome> {
    this.started.push('prompt' in job.spec ? job.spec.prompt : job.spec.operation);
    return new Promise((_, reject) => {
      const stop = () => reject(new DarkroomError('cancelled', 'cancelled'));
      if (context.signal.aborted) stop();
      else context.signal.addEventListener('abort', stop, { once: true });
    });
  }
  async close() {}
}

const runner = new HeldRunner();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { runners: () => [runner] });
});
afterAll(() => server.close());

async function submit(prompt: string): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ operation: 'txt2img', prompt, steps: 2 }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

async function until(condition: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 500 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 10));
  expect(await condition()).toBe(true);
}

const statusOf = async (id: string) => (await server.services.jobStore.get(id))?.status;

/** Every event of the job until it ends. */
function eventsOf(id: string): Promise<JobEvent[]> {
  return new Promise((resolve) => {
    const seen: JobEvent[] = [];
    void server.services.jobs.follow('local', id, (event) => {
      seen.push(event);
      if (['done', 'failed', 'cancelled'].includes(event.type)) resolve(seen);
    });
  });
}

describe('how jobs end', () => {
  it('stops a job whose cancel arrived while a worker was claiming it, before it runs', async () => {
    const first = await submit('the held one');
    await until(() => runner.started.includes('the held one'));
    const second = await submit('claimed as cancelled');
    // The race: the queued-cancel lost to a claim, so only the worker pool is told.
    expect(server.services.pool.cancel(second)).toBe(false);
    await fetch(`${server.url}/api/v1/jobs/${first}`, { method: 'DELETE' });
    await until(async () => (await statusOf(second)) === 'cancelled');
    expect(runner.started).not.toContain('claimed as cancelled');
  });

  it('cancels the job of a client that left before its wait began', async () => {
    const id = await submit('nobody waits');
    await expect(server.services.jobs.wait('local', id, AbortSignal.abort())).rejects.toMatchObject({ code: 'cancelled' });
    await server.services.jobs.cancel('local', id);
    await until(async () => (await statusOf(id)) === 'cancelled');
  });

  it('ends the running and queued jobs an erasure deletes, for whoever follows them', async () => {
    const running = await submit('running when erased');
    await until(() => runner.started.includes('running when erased'));
    const queued = await submit('queued when erased');
    const [runningEvents, queuedEvents] = [eventsOf(running), eventsOf(queued)];
    expect((await fetch(`${server.url}/api/v1/me`, { method: 'DELETE' })).status).toBe(204);
    expect((await runningEvents).at(-1)).toEqual({ type: 'cancelled' });
    expect((await queuedEvents).at(-1)).toEqual({ type: 'cancelled' });
    expect(runner.started).not.toContain('queued when erased');
  });
});

describe('a shutdown', () => {
  it('ends a job cancelled just before it as cancelled, and puts only the others back in the queue', async () => {
    // Each job, once stopped, takes until `finishStep` to end, as inside a long step.
    let finishStep = () => {};
    const stepping = new Promise<void>((resolve) => (finishStep = resolve));
    const slow: InferenceRunner = {
      run: (_job, context) =>
        new Promise((_, reject) => context.signal.addEventListener('abort', () => void stepping.then(() => reject(new DarkroomError('cancelled', 'cancelled'))), { once: true })),
      close: async () => {},
    };
    const own = await startTestServer({ DARKROOM_WORKERS: '2' }, { runners: () => [slow, slow] });
    try {
      const post = async (prompt: string) =>
        ((await (await fetch(`${own.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'txt2img', prompt, steps: 2 }) })).json()) as { id: string }).id;
      const [cancelled, interrupted] = [await post('cancelled by its owner'), await post('interrupted by the shutdown')];
      await until(async () => (await own.services.jobStore.count('running')) === 2);
      await fetch(`${own.url}/api/v1/jobs/${cancelled}`, { method: 'DELETE' });
      const stopping = own.services.pool.stop();
      finishStep();
      await stopping;
      expect((await own.services.jobStore.get(cancelled))?.status).toBe('cancelled');
      expect((await own.services.jobStore.get(interrupted))?.status).toBe('queued');
    } finally {
      await own.close();
    }
  });
});
