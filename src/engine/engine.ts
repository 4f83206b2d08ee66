// The contract between the job layer and whatever produces images: a local ONNX pipeline,
// an image tool, or a remote service. The edge resolves uploads to pixels before a job
// reaches an engine; an engine reports progress and stops when its signal aborts.

import type { AnyImage, Mask, RgbImage } from '../domain/image.js';
import type { GenerationDefaults, JobSpec, Operation } from '../domain/job.js';
import type { JobWarning } from '../domain/warning.js';
import type { ModelEntry } from '../models/catalog.js';

export interface EngineJob {
  spec: JobSpec;
  /** The job's input images, in the order the spec names them (any size; the engine fits them): on white for diffusion, with their transparency for the tools. */
  images: AnyImage[];
  /** inpaint: 1 repaints, 0 keeps. */
  mask?: Mask;
}

export interface Progress {
  step: number;
  total: number;
  /** Renders the current estimate; costs real work, so callers ask only when showing it. */
  preview?: () => Promise<RgbImage>;
  /** The preview is cheap (a tiny decoder): worth rendering on every step. */
  cheapPreview?: boolean;
}

export interface RunContext {
  signal: AbortSignal;
  /** Awaited by the engine before it goes on, so reports stay in order. */
  progress(progress: Progress): void | Promise<void>;
}

export interface EngineResult {
  /** One per image made; seed is null for the tools, which draw no noise. */
  images: { seed: number | null; image: AnyImage }[];
  /** What was adjusted rather than refused (a size rounded to the model's grid, say). */
  warnings: string[];
  /** The engine's estimate of the run's peak memory, when it has one (a runner may give the memory back after a large run). */
  peakBytes?: number;
}

/** What an engine expects a job to take, known before it runs. */
export interface JobEstimate {
  /** Memory at the run's peak, weights included. */
  peakBytes: number;
  /** A flow model's text encoder is released before denoising (it and the transformer are never held together). */
  lowMemory: boolean;
}

export interface Engine {
  readonly id: string;
  /** `model` is absent for operations that take none (the image tools). */
  supports(operation: Operation, model: ModelEntry | undefined): boolean;
  /** The steps, guidance and scheduler the model recommends (darkroom.json), for what a request leaves out. */
  defaults?(model: ModelEntry): Promise<Partial<GenerationDefaults>>;
  /** Refuses, before the job is queued, what this model cannot do (a size off its grid, say); says what it expects the run to take. */
  check(spec: JobSpec, model: ModelEntry | undefined): Promise<JobEstimate | void>;
  /** What the caller should hear before the job runs, though it may run (a prompt the model does not know, say). */
  advise?(spec: JobSpec, model: ModelEntry | undefined): Promise<JobWarning[]>;
  run(job: EngineJob, context: RunContext): Promise<EngineResult>;
  /** What a client should know to make requests for this model (sizes), if anything. */
  describe?(model: ModelEntry): Promise<Record<string, unknown>>;
}
