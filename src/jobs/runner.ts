// Runs engine jobs for the worker pool. Inference is CPU-bound for seconds to minutes, so
// the real runner keeps it off the HTTP event loop in a worker thread; the inline runner
// runs an engine in-process (for engines that do no heavy work, and for measurements).

import { Worker } from 'node:worker_threads';
import { DarkroomError, type ErrorCode } from '../domain/errors.js';
import type { RgbImage } from '../domain/image.js';
import type { EngineConfig } from '../engine/registry.js';
import type { Engine, EngineJob, EngineResult } from '../engine/engine.js';
import type { ContentScores } from '../engine/tools/content-classifier.js';

export interface RunnerProgress {
  step: number;
  total: number;
  preview?: RgbImage;
}

export interface RunnerContext {
  signal: AbortSignal;
  progress(progress: RunnerProgress): void;
  /** Render about this many previews over the job (0: none). */
  previews: number;
  /** Score the inputs and outputs with the content classifier, for moderation. */
  screen: boolean;
}

/** Content-classifier scores of a job's inputs and outputs, in order. */
export interface Screening {
  inputs: ContentScores[];
  outputs: ContentScores[];
}

export interface RunOutcome {
  result: EngineResult;
  screening?: Screening;
}

export interface InferenceRunner {
  run(job: EngineJob, context: RunnerContext): Promise<RunOutcome>;
  close(): Promise<void>;
}

export type ThreadRequest = { type: 'run'; id: number; job: EngineJob; previews: number; screen: boolean } | { type: 'cancel'; id: number };
export type ThreadReply =
  | { type: 'progress'; id: number; step: number; total: number; preview?: RgbImage }
  | { type: 'done'; id: number; outcome: RunOutcome }
  | { type: 'error'; id: number; code: ErrorCode; message: string };

/**
 * Runs a job, scoring inputs first and outputs after when asked. The classifier (tfjs) is
 * loaded only by processes that screen, on first use.
 */
export async function runScreened(run: () => Promise<EngineResult>, job: EngineJob, screen: boolean): Promise<RunOutcome> {
  if (!screen) return { result: await run() };
  const { classify } = await import('../engine/tools/content-classifier.js');
  const inputs = [];
  for (const image of job.images) inputs.push(await classify(image));
  const result = await run();
  const outputs = [];
  for (const { image } of result.images) outputs.push(await classify(image));
  return { result, screening: { inputs, outputs } };
}

/** Which steps get a preview when about `count` are wanted over `total` steps. */
export function previewDue(step: number, total: number, count: number): boolean {
  if (count <= 0) return false;
  return step === total || step % Math.max(1, Math.ceil(total / count)) === 0;
}

export class InlineRunner implements InferenceRunner {
  constructor(private readonly engine: Pick<Engine, 'run'>) {}

  async run(job: EngineJob, context: RunnerContext): Promise<RunOutcome> {
    const run = () =>
      this.engine.run(job, {
        signal: context.signal,
        progress: async (p) => {
          const preview = p.preview && previewDue(p.step, p.total, context.previews) ? await p.preview() : undefined;
          context.progress({ step: p.step, total: p.total, ...(preview ? { preview } : {}) });
        },
      });
    return runScreened(run, job, context.screen);
  }

  async close(): Promise<void> {}
}

/** One worker thread running the local engines; one job at a time. */
/**
 * The thread's entry module. Built code runs inference-thread.js; under the test runner the
 * sources are TypeScript, so a bootstrap registers tsx in the thread and imports the .ts file.
 */
function threadEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./inference-thread.js', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./inference-thread.ts', import.meta.url).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

export class ThreadRunner implements InferenceRunner {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: RunOutcome): void; reject(e: unknown): void; context: RunnerContext }>();

  constructor(private readonly config: EngineConfig) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(threadEntry(), { workerData: { config: this.config } });
    worker.on('message', (reply: ThreadReply) => this.onReply(reply));
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => {
      this.worker = undefined;
      this.failAll(new DarkroomError('internal', `The inference thread stopped (exit code ${code})`));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onReply(reply: ThreadReply) {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.type === 'progress') {
      pending.context.progress({ step: reply.step, total: reply.total, ...(reply.preview ? { preview: reply.preview } : {}) });
      return;
    }
    this.pending.delete(reply.id);
    if (reply.type === 'done') pending.resolve(reply.outcome);
    else pending.reject(new DarkroomError(reply.code, reply.message));
  }

  private failAll(error: unknown) {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  run(job: EngineJob, context: RunnerContext): Promise<RunOutcome> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<RunOutcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, context });
      const cancel = () => worker.postMessage({ type: 'cancel', id } satisfies ThreadRequest);
      if (context.signal.aborted) cancel();
      else context.signal.addEventListener('abort', cancel, { once: true });
      worker.postMessage({ type: 'run', id, job, previews: context.previews, screen: context.screen } satisfies ThreadRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
