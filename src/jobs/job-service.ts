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
import { inputsOf, isDiffusion, type JobRequest, type JobSpec } from '../domain/job.js';
import type { JobWarning } from '../domain/warning.js';
import { imageView, type ImageService, type ImageView } from '../gallery/image-service.js';
import { expiresAt, type RetentionPolicy } from '../privacy/retention.js';
import { specOf, type JobRow, type JobStore, type NewJobRow } from './job-store.js';
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
  /** Only in the answer to queuing it: what the caller should know (a prompt the model does not know). */
  warnings?: JobWarning[];
  [parameter: string]: unknown;
}

export interface JobServiceDeps {
  store: JobStore;
  images: ImageService;
  bus: ProgressBus;
  clock: Clock;
  retention: RetentionPolicy;
  /** Checks a spec against its model before it is queued; returns what the caller should be warned of. */
  /** The job as it will run, refused if it cannot; warnings for the caller. */
  check(request: JobRequest): Promise<{ spec: JobSpec; warnings: JobWarning[] }>;
  /** Wakes a worker, and cancels a job running in this process. */
  workers: { notify(): void; cancel(jobId: string): boolean };
  /** Queued jobs beyond this are refused with 429. */
  queueLimit: number;
  /** One account's queued jobs beyond this are refused with 429, so others still get theirs in. */
  queueLimitPerAccount: number;
  db: Kysely<Database>;
  /** Judges prompts before a job is queued. */
  moderation: Moderation;
  /** With accounts on: each job's cost is held when it is queued. */
  credits: { ledger: Ledger; enforced: boolean; costOf(spec: JobSpec): number };
}

export interface CreateOptions {
  /** A client's retry of the same request: the job it already made is returned, charged once (422 for a different request). */
  idempotencyKey?: string;
}


export class JobService {
  constructor(private readonly deps: JobServiceDeps) {}

  async create(owner: string, request: JobRequest, options: CreateOptions = {}): Promise<JobView> {
    const { store, images, clock, retention, bus, credits } = this.deps;
    // A retry is answered with the first job before anything could refuse it (a full queue, say).
    const replayed = options.idempotencyKey ? await this.replayed(owner, options.idempotencyKey) : undefined;
    if (replayed) return this.replay(owner, replayed, request);
    const { spec, warnings } = await this.deps.check(request);
    const judged = isDiffusion(spec) ? await this.deps.moderation.checkPrompt(owner, spec.prompt, spec.negative_prompt) : 'allow';
    for (const input of inputsOf(spec)) await images.row(owner, input).catch(() => missingInput(input));
    const now = clock.now();
    const { prompt, negative_prompt, rest } = splitPrompts(spec);
    const row: NewJobRow = {
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
    const limits = { total: this.deps.queueLimit, perOwner: this.deps.queueLimitPerAccount };
    const { idempotencyKey } = options;
    // Queuing alone is one statement (committed with others queued at the same moment); a
    // key or a hold is written with it, or not at all.
    const placed =
      idempotencyKey === undefined && !credits.enforced
        ? { place: await store.queue(sealed, limits) }
        : await this.deps.db.transaction().execute(async (tx) => {
            // Checked again inside the transaction: concurrent retries race to here.
            const earlier = idempotencyKey === undefined ? undefined : await this.replayed(owner, idempotencyKey, tx);
            if (earlier) return { earlier };
            const place = await store.enqueue(tx, sealed, limits);
            if (!place) return { place };
            if (idempotencyKey !== undefined) await tx.insertInto('idempotency_keys').values({ owner, key: idempotencyKey, job_id: row.id, created_at: now }).execute();
            if (credits.enforced) await credits.ledger.hold(tx, owner, row.id, credits.costOf(spec));
            return { place };
          });
    if ('earlier' in placed) return this.replay(owner, placed.earlier, request);
    if (!placed.place) throw await this.queueFull(owner);
    bus.publish(row.id, { type: 'queued', position: placed.place.ahead + 1 });
    this.deps.workers.notify();
    // The row as queued, prompts still in the clear: nothing to read back.
    const view = await this.toView({ ...row, turn: placed.place.turn });
    return warnings.length > 0 ? { ...view, warnings } : view;
  }

  /** Why a job could not be queued: the queue is full, or the owner has their share of it. */
  private async queueFull(owner: string): Promise<DarkroomError> {
    const { store, queueLimit } = this.deps;
    const queued = await store.count('queued');
    const error =
      queued >= queueLimit
        ? new DarkroomError('queue_full', `The queue is full (${queued} jobs waiting); try again shortly`)
        : new DarkroomError('account_queue_full', `You have ${await store.count('queued', owner)} jobs waiting, the most one account may queue here; try again when one has started`);
    return Object.assign(error, { retryAfter: 5 });
  }

  /** The job an Idempotency-Key made, if this request is the one that made it; 422 for another request. */
  private async replay(owner: string, id: string, request: JobRequest): Promise<JobView> {
    const job = await this.row(owner, id);
    const { prompt, negative_prompt, rest } = splitPrompts(request);
    // The stored job holds what the first request left to the model too: compare what this one sends.
    const stored = JSON.parse(job.spec) as Record<string, unknown>;
    const sent = Object.entries(rest).every(([key, value]) => JSON.stringify(value) === JSON.stringify(stored[key]));
    // Prompts past their retention are gone: the rest of the request is what can be compared.
    const same = sent && (job.prompt === null || (job.prompt === prompt && job.negative_prompt === negative_prompt));
    if (!same) {
      throw new DarkroomError('idempotency_key_reused', 'This Idempotency-Key was sent before with a different request; use a new key for a new job');
    }
    return this.toView(job);
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
  async follow(owner: string, id: string, listener: (event: JobEvent) => void, options: { previews?: boolean } = {}): Promise<() => void> {
    const job = await this.row(owner, id);
    if (!this.deps.bus.knows(id)) {
      const event = await this.stateEvent(job);
      if (event) {
        listener(event);
        if (TERMINAL.has(event.type)) return () => {};
      }
    }
    return this.deps.bus.subscribe(id, listener, options);
  }

  /**
   * Follows a job until it ends: `listener` gets every event up to and including the last,
   * `ended` resolves then, and `stop()` leaves early. The subscription never outlives either.
   */
  watch(owner: string, id: string, listener: (event: JobEvent) => void = () => {}, options: { previews?: boolean } = {}): { ended: Promise<void>; stop(): void } {
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
      }, options).then((off) => {
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

/** Prompts are stored apart from the rest of the spec: sealed, and on their own retention. */
function splitPrompts(spec: JobRequest): { prompt: string | null; negative_prompt: string | null; rest: object } {
  const { prompt = null, negative_prompt = null, ...rest } = isDiffusion(spec) ? spec : { ...spec, prompt: undefined, negative_prompt: undefined };
  return { prompt, negative_prompt, rest };
}

function missingInput(id: string): never {
  throw new DarkroomError('invalid_parameter', `No upload ${id} (it may have expired; upload it again)`);
}
