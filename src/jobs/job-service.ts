// The rules around jobs: what may be queued (a known model that can do it, inputs the
// caller owns, room in the queue), what a caller may see and cancel (only their own), and
// waiting for a result for the synchronous APIs.

import type { Kysely, Transaction } from 'kysely';
import type { Ledger } from '../accounts/ledger.js';
import type { Moderation } from '../moderation/moderation.js';
import { iso, type Clock } from '../domain/clock.js';
import type { Database } from '../store/schema.js';
import { DarkroomError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { inputsOf, isDiffusion, type JobSpec } from '../domain/job.js';
import { imageView, type ImageService, type ImageView } from '../gallery/image-service.js';
import { expiresAt, type RetentionPolicy } from '../privacy/retention.js';
import { specOf, type JobRow, type JobStore } from './job-store.js';
import { TERMINAL, type JobEvent, type ProgressBus } from './progress-bus.js';

export interface JobView {
  id: string;
  operation: string;
  status: JobRow['status'];
  progress: { step: number; total: number };
  error: { code: string; message: string } | null;
  /** Times a worker started the job: 2 means it was re-run after the server stopped mid-job. */
  attempts: number;
  /** The upload or image ids the job read, in order (a blend's "images" as it was posted). */
  inputs: string[];
  /** What the job made. */
  images: ImageView[];
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  expires_at: string | null;
  [parameter: string]: unknown;
}

export interface JobServiceDeps {
  store: JobStore;
  images: ImageService;
  bus: ProgressBus;
  clock: Clock;
  retention: RetentionPolicy;
  /** Checks a spec against its model before it is queued. */
  check(spec: JobSpec): Promise<void>;
  /** Wakes a worker, and cancels a job running in this process. */
  workers: { notify(): void; cancel(jobId: string): boolean };
  /** Queued jobs beyond this are refused with 429. */
  queueLimit: number;
  db: Kysely<Database>;
  /** Judges prompts before a job is queued. */
  moderation: Moderation;
  /** With accounts on: each job's cost is held when it is queued. */
  credits: { ledger: Ledger; enforced: boolean; costOf(spec: JobSpec): number };
}

export interface CreateOptions {
  /** A client's retry of the same request: the job it already made is returned, charged once. */
  idempotencyKey?: string;
}


export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  async create(owner: string, spec: JobSpec, options: CreateOptions = {}): Promise<JobView> {
    const { store, images, clock, retention, bus, credits } = this.deps;
    // A retry is answered with the first job before anything could refuse it (a full queue, say).
    const replayed = options.idempotencyKey ? await this.replayed(owner, options.idempotencyKey) : undefined;
    if (replayed) return this.view(owner, replayed);
    await this.deps.check(spec);
    const judged = isDiffusion(spec) ? await this.deps.moderation.checkPrompt(owner, spec.prompt, spec.negative_prompt) : 'allow';
    for (const input of inputsOf(spec)) await images.row(owner, input).catch(() => missingInput(input));
    const queued = await store.count('queued');
    if (queued >= this.deps.queueLimit) {
      throw Object.assign(new DarkroomError('queue_full', `The queue is full (${queued} jobs waiting); try again shortly`), { retryAfter: 5 });
    }
    const now = clock.now();
    // Prompts are stored apart from the rest of the spec: sealed, and on their own retention.
    const { prompt = null, negative_prompt = null, ...rest } = isDiffusion(spec) ? spec : { ...spec, prompt: undefined, negative_prompt: undefined };
    const row: JobRow = {
      id: newId('job'),
      owner,
      operation: spec.operation,
      status: 'queued',
      spec: JSON.stringify(rest),
      prompt,
      negative_prompt,
      prompt_expires_at: expiresAt(retention, 'prompts', now),
      progress_step: 0,
      progress_total: 'steps' in spec ? spec.steps : 1,
      error_code: null,
      error_message: null,
      attempts: 0,
      created_at: now,
      started_at: null,
      finished_at: null,
      moderation: judged === 'blur' ? 'blur' : null,
    };
    const sealed = await store.seal(row);
    const id = await this.deps.db.transaction().execute(async (tx) => {
      if (options.idempotencyKey) {
        // Checked again inside the transaction: concurrent retries race to here.
        const earlier = await this.replayed(owner, options.idempotencyKey, tx);
        if (earlier) return earlier;
        await tx.insertInto('idempotency_keys').values({ owner, key: options.idempotencyKey, job_id: row.id, created_at: now }).execute();
      }
      await store.insertSealed(tx, sealed);
      if (credits.enforced) await credits.ledger.hold(tx, owner, row.id, credits.costOf(spec));
      return row.id;
    });
    if (id !== row.id) return this.view(owner, id);
    bus.publish(row.id, { type: 'queued', position: queued + 1 });
    this.deps.workers.notify();
    return this.view(owner, row.id);
  }

  private async replayed(owner: string, key: string, db: Kysely<Database> | Transaction<Database> = this.deps.db): Promise<string | undefined> {
    const row = await db.selectFrom('idempotency_keys').select('job_id').where('owner', '=', owner).where('key', '=', key).executeTakeFirst();
    return row?.job_id;
  }

  /** The caller's job; somebody else's job is reported as not found, like a missing one. */
  async row(owner: string, id: string): Promise<JobRow> {
    const job = await this.deps.store.get(id);
    if (!job || job.owner !== owner) throw new DarkroomError('not_found', `No job ${id}`);
    return job;
  }

  async view(owner: string, id: string): Promise<JobView> {
    return this.toView(await this.row(owner, id));
  }

  async list(owner: string, limit = 50): Promise<JobView[]> {
    return Promise.all((await this.deps.store.list(owner, limit)).map((row) => this.toView(row)));
  }

  async cancel(owner: string, id: string): Promise<JobView> {
    const job = await this.row(owner, id);
    if (job.status === 'queued' && (await this.deps.store.cancelQueued(id, this.deps.clock.now()))) {
      await this.deps.credits.ledger.settle(id, 'release');
      this.deps.bus.publish(id, { type: 'cancelled' });
    } else if (job.status === 'queued' || job.status === 'running') {
      // Running, or claimed by a worker since it was read: the worker stops it.
      this.deps.workers.cancel(id);
    }
    return this.view(owner, id);
  }

  /**
   * Follows a job's events: replays what happened, then streams. A job this process never
   * saw (it ran before a restart) gets one event for its current state.
   */
  async follow(owner: string, id: string, listener: (event: JobEvent) => void): Promise<() => void> {
    const job = await this.row(owner, id);
    if (!this.deps.bus.knows(id)) {
      const event = await this.stateEvent(job);
      if (event) {
        listener(event);
        if (TERMINAL.has(event.type)) return () => {};
      }
    }
    return this.deps.bus.subscribe(id, listener);
  }

  /**
   * Follows a job until it ends: `listener` gets every event up to and including the last,
   * `ended` resolves then, and `stop()` leaves early. The subscription never outlives either.
   */
  watch(owner: string, id: string, listener: (event: JobEvent) => void = () => {}): { ended: Promise<void>; stop(): void } {
    let unsubscribe: (() => void) | undefined;
    let over = false;
    const stop = () => {
      over = true;
      unsubscribe?.();
    };
    const ended = new Promise<void>((resolve, reject) => {
      this.follow(owner, id, (event) => {
        if (over) return;
        listener(event);
        if (TERMINAL.has(event.type)) {
          stop();
          resolve();
        }
      }).then((off) => {
        unsubscribe = off;
        if (over) off();
      }, reject);
    });
    return { ended, stop };
  }

  /** Resolves when the job ends (for the synchronous OpenAI and A1111 routes). */
  async wait(owner: string, id: string, signal?: AbortSignal): Promise<JobView> {
    const watching = this.watch(owner, id);
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        watching.stop();
        reject(new DarkroomError('cancelled', 'The request was closed'));
      };
      // A client gone before the wait began never fires 'abort'.
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      watching.ended.then(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, reject);
    });
    return this.view(owner, id);
  }

  private async stateEvent(job: JobRow): Promise<JobEvent | undefined> {
    switch (job.status) {
      case 'done':
        return { type: 'done', images: (await this.keptImages(job)).map(imageView) };
      case 'failed':
        return { type: 'failed', error: { code: job.error_code ?? 'internal', message: job.error_message ?? '' } };
      case 'cancelled':
        return { type: 'cancelled' };
      case 'queued':
        return { type: 'queued', position: 0 };
      case 'running':
        return { type: 'progress', step: job.progress_step, total: job.progress_total };
    }
  }

  /** The job's images still within their retention window (expired ones are gone to callers at once). */
  private async keptImages(job: JobRow) {
    const now = this.deps.clock.now();
    return (await this.deps.store.imagesOfJob(job.id)).filter((r) => r.expires_at === null || Number(r.expires_at) > now);
  }

  private async toView(job: JobRow): Promise<JobView> {
    const now = this.deps.clock.now();
    const promptVisible = job.prompt_expires_at === null || Number(job.prompt_expires_at) > now;
    const spec = specOf(job);
    const images = job.status === 'done' ? await this.keptImages(job) : [];
    return {
      ...spec,
      ...(isDiffusion(spec) ? { prompt: promptVisible ? spec.prompt : null, negative_prompt: promptVisible ? spec.negative_prompt : null } : {}),
      id: job.id,
      operation: job.operation,
      status: job.status,
      progress: { step: job.progress_step, total: job.progress_total },
      error: job.error_code ? { code: job.error_code, message: job.error_message ?? '' } : null,
      attempts: job.attempts,
      inputs: inputsOf(spec),
      images: images.map(imageView),
      created_at: iso(job.created_at)!,
      started_at: iso(job.started_at),
      finished_at: iso(job.finished_at),
      expires_at: iso(job.prompt_expires_at),
    };
  }
}

function missingInput(id: string): never {
  throw new DarkroomError('invalid_parameter', `No upload ${id} (it may have expired; upload it again)`);
}
