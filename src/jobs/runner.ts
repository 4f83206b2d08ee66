// Runs engine jobs for the worker pool. Inference is CPU-bound for seconds to minutes, so
// the real runner keeps it off the HTTP event loop in a child process; the inline runner
// runs an engine in-process (for engines that do no heavy work, and for measurements).

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { cancelled, DarkroomError, type ErrorCode } from '../domain/errors.js';
import type { RgbImage } from '../domain/image.js';
import type { EngineConfig } from '../engine/registry.js';
import type { Engine, EngineJob, EngineResult, Progress } from '../engine/engine.js';
import type { ContentScores } from '../engine/tools/content-classifier.js';

export interface RunnerProgress {
  step: number;
  total: number;
  preview?: RgbImage;
}

export interface RunnerContext {
  signal: AbortSignal;
  progress(progress: RunnerProgress): void;
  /** Render about this many previews over the job (0: none); every step's, when they are cheap. */
  previews: number;
  /** Whether anyone is watching the previews now: none is rendered while nobody is. */
  wantsPreviews(): boolean;
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

export type ProcessRequest =
  | { type: 'run'; id: number; job: EngineJob; previews: number; wanted: boolean; screen: boolean }
  | { type: 'cancel'; id: number }
  /** Someone began or stopped watching the job's previews. */
  | { type: 'previews'; id: number; wanted: boolean };
export type ProcessReply =
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

/** Whether a step gets a preview: every step when previews are cheap, else about `count` over `total` steps; none while nobody watches. */
export function previewDue(progress: Progress, count: number, wanted: boolean): boolean {
  const { step, total } = progress;
  if (count <= 0 || !wanted || !progress.preview) return false;
  return progress.cheapPreview === true || step === total || step % Math.max(1, Math.ceil(total / count)) === 0;
}

export class InlineRunner implements InferenceRunner {
  constructor(private readonly engine: Pick<Engine, 'run'>) {}

  async run(job: EngineJob, context: RunnerContext): Promise<RunOutcome> {
    const run = () =>
      this.engine.run(job, {
        signal: context.signal,
        progress: async (p) => {
          const preview = previewDue(p, context.previews, context.wantsPreviews()) ? await p.preview!() : undefined;
          context.progress({ step: p.step, total: p.total, ...(preview ? { preview } : {}) });
        },
      });
    return runScreened(run, job, context.screen);
  }

  async close(): Promise<void> {}
}

/**
 * The inference process's entry module. Built code runs inference-process.js; under the
 * test runner the sources are TypeScript, so the process loads tsx first.
 */
function processEntry(): { entry: string; execArgv: string[] } {
  if (!import.meta.url.endsWith('.ts')) return { entry: fileURLToPath(new URL('./inference-process.js', import.meta.url)), execArgv: [] };
  return { entry: fileURLToPath(new URL('./inference-process.ts', import.meta.url)), execArgv: ['--import', import.meta.resolve('tsx')] };
}

/** After a run estimated above this, the process is replaced: onnxruntime's arenas keep a run's peak for good. */
export const RECYCLE_ABOVE_BYTES = 256 * 1024 ** 2;
/** A cancelled run still going after this is inside one long step, which nothing but ending its process stops. */
export const CANCEL_GRACE_MS = 1000;

interface Pending {
  child: ChildProcess;
  context: RunnerContext;
  resolve(outcome: RunOutcome): void;
  reject(error: unknown): void;
  /** Drops the abort listener once the run is over. */
  forget?(): void;
  /** Whether the process was last told that the previews are watched. */
  wanted: boolean;
}

/**
 * Runs the local engines in a child process, one job at a time. A process rather than a
 * thread: a step can take minutes, and only a process can be stopped inside one (ending a
 * worker thread in the middle of an onnxruntime run aborts the whole server), and ending
 * it gives all its memory back.
 */
export class ProcessRunner implements InferenceRunner {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly config: EngineConfig) {}

  private start(): ChildProcess {
    if (this.child) return this.child;
    const { entry, execArgv } = processEntry();
    const child = fork(entry, [JSON.stringify(this.config)], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (reply: ProcessReply) => this.onReply(reply));
    child.on('error', (error) => this.failAll(child, error));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.failAll(child, stopped(code, signal));
    });
    this.child = child;
    return child;
  }

  /** An idle process does not keep the server's event loop alive; one running a job does. */
  private hold(child: ChildProcess, busy: boolean) {
    if (busy) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }

  private onReply(reply: ProcessReply) {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.type === 'progress') {
      pending.context.progress({ step: reply.step, total: reply.total, ...(reply.preview ? { preview: reply.preview } : {}) });
      // Whether previews are watched is read at each step: the process renders them from the next one on.
      const wanted = pending.context.wantsPreviews();
      if (wanted !== pending.wanted && pending.child.connected) {
        pending.wanted = wanted;
        pending.child.send({ type: 'previews', id: reply.id, wanted } satisfies ProcessRequest);
      }
      return;
    }
    this.settled(reply.id, pending);
    if (reply.type === 'error') {
      // A job that ended early (cancelled between steps, failed) tells nothing of its peak,
      // which onnxruntime keeps: a fresh process gives it back.
      this.retire(pending.child);
      return pending.reject(new DarkroomError(reply.code, reply.message));
    }
    if ((reply.outcome.result.peakBytes ?? 0) > RECYCLE_ABOVE_BYTES) this.retire(pending.child);
    pending.resolve(reply.outcome);
  }

  private settled(id: number, pending: Pending) {
    this.pending.delete(id);
    pending.forget?.();
    if (![...this.pending.values()].some((p) => p.child === pending.child)) this.hold(pending.child, false);
  }

  /** Lets the process go; the next job starts a fresh one. */
  private retire(child: ChildProcess) {
    if (this.child === child) this.child = undefined;
    if (child.connected) child.disconnect();
  }

  private failAll(child: ChildProcess, error: unknown) {
    for (const [id, pending] of this.pending) {
      if (pending.child !== child) continue;
      this.settled(id, pending);
      pending.reject(error);
    }
  }

  run(job: EngineJob, context: RunnerContext): Promise<RunOutcome> {
    const child = this.start();
    const id = this.nextId++;
    return new Promise<RunOutcome>((resolve, reject) => {
      const pending: Pending = { child, context, resolve, reject, wanted: context.wantsPreviews() };
      this.pending.set(id, pending);
      this.hold(child, true);
      const cancel = () => {
        if (child.connected) child.send({ type: 'cancel', id } satisfies ProcessRequest);
        setTimeout(() => {
          if (this.pending.get(id) !== pending) return;
          this.settled(id, pending);
          pending.reject(cancelled());
          this.retire(child);
          child.kill('SIGKILL');
        }, CANCEL_GRACE_MS).unref();
      };
      if (context.signal.aborted) cancel();
      else {
        context.signal.addEventListener('abort', cancel, { once: true });
        pending.forget = () => context.signal.removeEventListener('abort', cancel);
      }
      child.send({ type: 'run', id, job, previews: context.previews, wanted: pending.wanted, screen: context.screen } satisfies ProcessRequest);
    });
  }

  /** Ends the process: at once if it is still running a job (the pool has cancelled it by now). */
  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.ref();
    if ([...this.pending.values()].some((p) => p.child === child)) child.kill('SIGKILL');
    else child.disconnect();
    await exited;
  }
}

/** Why a process ended that was not asked to: a SIGKILL nobody here sent is most likely the system's out-of-memory killer. */
function stopped(code: number | null, signal: NodeJS.Signals | null): DarkroomError {
  if (signal === 'SIGKILL') return new DarkroomError('out_of_memory', 'The inference process was killed, most likely by the system for running out of memory; try a smaller size or fewer images.');
  return new DarkroomError('internal', `The inference process stopped (${signal ?? `exit code ${code}`})`);
}
