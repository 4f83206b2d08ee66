// Workers that take jobs from the durable queue and run them: each slot claims the oldest
// queued job, loads its inputs, runs it on its runner (an inference process in production),
// streams progress, and records the images and the final status in one guarded write.
// Jobs left running by a crash are re-queued (or failed, the second time) at start.

import sharp from 'sharp';
import type { Clock } from '../domain/clock.js';
import { DarkroomError } from '../domain/errors.js';
import type { RgbImage } from '../domain/image.js';
import type { ImageService } from '../gallery/image-service.js';
import { imageView } from '../gallery/image-service.js';
import { inputsOf, isDiffusion } from '../domain/job.js';
import { blurImage } from '../images/codec.js';
import { sourceTypeOf } from '../images/provenance.js';
import { specOf, type JobRow, type JobStore } from './job-store.js';
import type { ProgressBus } from './progress-bus.js';
import type { EngineJob, EngineResult } from '../engine/engine.js';
import type { Moderation } from '../moderation/moderation.js';
import type { InferenceRunner, Screening } from './runner.js';

/** The abort reason of the jobs a shutdown stops, apart from those their owners cancelled. */
const SHUTDOWN = new DarkroomError('interrupted', 'The server is shutting down.');

export interface WorkerPoolOptions {
  store: JobStore;
  images: ImageService;
  bus: ProgressBus;
  clock: Clock;
  runners: InferenceRunner[];
  /** Previews rendered per job (0 turns them off). */
  previews: number;
  /** Starts per job before a crash-interrupted job is failed instead of re-queued. */
  maxAttempts: number;
  /** How often idle workers look for jobs queued by other processes. */
  pollMs?: number;
  log: { warn(details: object, message: string): void };
  /** Scores inputs and outputs against the image policy; absent: images are not screened. */
  moderation?: Moderation;
  /** Charges a finished job's held credits, or releases them (a no-op without a hold). */
  settle(jobId: string, outcome: 'charge' | 'release'): Promise<void>;
}

export async function previewDataUrl(image: RgbImage): Promise<string> {
  const webp = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).webp({ quality: 70 }).toBuffer();
  return `data:image/webp;base64,${webp.toString('base64')}`;
}

export class WorkerPool {
  private readonly running = new Map<string, AbortController>();
  /** Jobs being executed here, until their outcome is stored. */
  private readonly executions = new Map<string, Promise<void>>();
  /** Cancels that arrived between a job's claim and its start here; applied as it starts. */
  private readonly early = new Set<string>();
  private stopped = false;
  private loops: Promise<void>[] = [];
  private wake: (() => void)[] = [];

  constructor(private readonly options: WorkerPoolOptions) {}

  async start(): Promise<{ requeued: string[]; failed: string[] }> {
    const { store, clock, bus, maxAttempts } = this.options;
    const recovered = await store.recover(clock.now(), maxAttempts);
    for (const id of recovered.failed) {
      await this.options.settle(id, 'release');
      const job = await store.get(id);
      bus.publish(id, { type: 'failed', error: { code: job?.error_code ?? 'interrupted', message: job?.error_message ?? 'interrupted' } });
    }
    this.loops = this.options.runners.map((runner) => this.loop(runner));
    return recovered;
  }

  /** A job was queued: wake an idle worker. */
  notify(): void {
    for (const wake of this.wake.splice(0)) wake();
  }

  /**
   * Cancels a job this process is running; false if it is not running here. A job claimed
   * but not yet started is remembered for a minute, so the cancel reaches it as it starts.
   */
  cancel(jobId: string): boolean {
    const controller = this.running.get(jobId);
    if (controller) {
      controller.abort();
      return true;
    }
    this.early.add(jobId);
    setTimeout(() => this.early.delete(jobId), 60_000).unref();
    return false;
  }

  /** Cancels a job and resolves once this process has stopped working on it. */
  async halt(jobId: string): Promise<void> {
    this.cancel(jobId);
    await this.executions.get(jobId);
  }

  get busy(): number {
    return this.running.size;
  }

  get size(): number {
    return this.options.runners.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const controller of this.running.values()) controller.abort(SHUTDOWN);
    this.notify();
    await Promise.all(this.loops);
    await Promise.all(this.options.runners.map((r) => r.close()));
  }

  private async idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.wake = this.wake.filter((w) => w !== wake);
        resolve();
      }, this.options.pollMs ?? 1000);
      timer.unref();
      this.wake.push(wake);
    });
  }

  private async loop(runner: InferenceRunner): Promise<void> {
    while (!this.stopped) {
      try {
        const job = await this.options.store.claim(this.options.clock.now());
        if (job) {
          const execution = this.execute(job, runner);
          this.executions.set(job.id, execution);
          await execution.finally(() => this.executions.delete(job.id));
        }
        else await this.idle();
      } catch (error) {
        // A database hiccup must not end the worker: note it, wait, try again.
        this.options.log.warn({ err: { message: (error as Error).message } }, 'worker could not take a job');
        await this.idle();
      }
    }
  }

  /**
   * Applies the moderation policy to a finished job: a blocked input or output fails it, a
   * "blur" (from the prompt policy or an image's scores) blurs the outputs before they are
   * stored. Never is an unblurred copy kept.
   */
  private async moderate(job: JobRow, inputs: EngineJob['images'], outputs: EngineResult['images'], screening: Screening | undefined): Promise<EngineResult['images']> {
    const { moderation } = this.options;
    let blur = job.moderation === 'blur';
    if (moderation && screening) {
      const decisions = [
        ...(await Promise.all(screening.inputs.map((scores, i) => moderation.judgeImage(job.owner, 'input', scores, inputs[i]!.data)))),
        ...(await Promise.all(screening.outputs.map((scores, i) => moderation.judgeImage(job.owner, 'output', scores, outputs[i]!.image.data)))),
      ];
      const blocked = decisions.find((d) => d.action === 'block');
      if (blocked) throw new DarkroomError('content_blocked', `The images were refused by this server's content policy (${blocked.categories.join(', ')})`);
      blur ||= decisions.some((d) => d.action === 'blur');
    }
    return blur ? Promise.all(outputs.map(async (o) => ({ ...o, image: await blurImage(o.image) }))) : outputs;
  }

  private async execute(job: JobRow, runner: InferenceRunner): Promise<void> {
    const { store, images, bus, clock } = this.options;
    const attempt = job.attempts;
    const controller = new AbortController();
    this.running.set(job.id, controller);
    if (this.early.delete(job.id)) controller.abort();
    bus.publish(job.id, { type: 'started', attempt });
    // Progress reports are written and published one after another, in step order; the
    // database copy (for polling clients) is refreshed at most every quarter second.
    let reporting = Promise.resolve();
    let written = 0;
    try {
      if (controller.signal.aborted) throw new DarkroomError('cancelled', 'The job was cancelled.');
      const spec = specOf(job);
      const [inputs, mask] = spec.operation === 'inpaint' ? [[spec.image], spec.mask] : [inputsOf(spec), undefined];
      const engineJob = {
        spec,
        images: await Promise.all(inputs.map((id) => (isDiffusion(spec) ? images.pixels(job.owner, id) : images.pixelsWithAlpha(job.owner, id)))),
        ...(mask ? { mask: await images.mask(job.owner, mask) } : {}),
      };
      const { result, screening } = await runner.run(engineJob, {
          signal: controller.signal,
          previews: this.options.previews,
          wantsPreviews: () => bus.wantsPreviews(job.id),
          screen: this.options.moderation !== undefined,
          progress: (p) => {
            reporting = reporting
              .then(async () => {
                if (p.step === p.total || clock.now() - written >= 250) {
                  written = clock.now();
                  await store.progress(job.id, p.step, p.total);
                }
                const preview = p.preview ? await previewDataUrl(p.preview) : undefined;
                bus.publish(job.id, { type: 'progress', step: p.step, total: p.total, ...(preview ? { preview } : {}) });
              })
              .catch((error: unknown) => this.options.log.warn({ job: job.id, err: error }, 'progress report failed'));
          },
        });
      await reporting;
      if (controller.signal.aborted) throw new DarkroomError('cancelled', 'The job was cancelled.');
      const outputs = await this.moderate(job, engineJob.images, result.images, screening);
      const rows = await images.storeOutputs(job.owner, job.id, outputs, {
        sourceType: sourceTypeOf(spec.operation),
        ...(isDiffusion(spec) && spec.embed_prompt ? { prompt: spec.prompt } : {}),
      });
      // The job may have been erased or finished elsewhere meanwhile: then its files go too.
      const completed = await store.complete(job.id, attempt, rows, clock.now()).catch(async (error: unknown) => {
        await images.discardBlobs(rows);
        throw error;
      });
      if (!completed) {
        await images.discardBlobs(rows);
        bus.publish(job.id, { type: 'cancelled' });
        return;
      }
      // A charge that fails must not make a finished job look failed: the next start settles it.
      await this.options.settle(job.id, 'charge').catch((error: unknown) => this.options.log.warn({ job: job.id, err: { message: (error as Error).message } }, 'charge failed'));
      bus.publish(job.id, { type: 'done', images: rows.map(imageView) });
    } catch (error) {
      await reporting;
      // A shutdown puts the job back in the queue, not counted as an attempt; the next start
      // runs it. A job its owner cancelled first ends cancelled, shutdown or not.
      if (this.stopped && controller.signal.reason === SHUTDOWN) {
        await store.requeue(job.id, attempt);
        return;
      }
      const cancelled = controller.signal.aborted || (DarkroomError.isInstance(error) && error.code === 'cancelled');
      const known = DarkroomError.isInstance(error);
      if (!known || error.status >= 500) this.options.log.warn({ job: job.id, err: { message: (error as Error).message, stack: (error as Error).stack } }, 'job failed');
      // Unexpected failures are logged in full; the job says only that it failed.
      const reason = cancelled
        ? { code: 'cancelled', message: 'The job was cancelled.' }
        : known && error.code !== 'internal'
          ? { code: error.code, message: error.message }
          : { code: 'internal', message: 'The job failed unexpectedly; the server log has the details.' };
      if (await store.finish(job.id, attempt, cancelled ? 'cancelled' : 'failed', reason, clock.now())) {
        await this.options.settle(job.id, 'release');
        bus.publish(job.id, cancelled ? { type: 'cancelled' } : { type: 'failed', error: reason });
      } else {
        // Erased meanwhile: whoever follows it still learns that it ended.
        bus.publish(job.id, { type: 'cancelled' });
      }
    } finally {
      this.running.delete(job.id);
    }
  }
}
