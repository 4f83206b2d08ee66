// Job specifications: the one schema that the CLI, the HTTP API and the queue all parse
// requests with. Field names are the public API's (snake_case, see INTERFACE.md).

import { z } from 'zod';

export const SCHEDULER_NAMES = ['euler', 'euler-a', 'ddim', 'lcm', 'dpmpp-2m', 'dpmpp-2m-karras'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

export const OPERATIONS = ['txt2img', 'img2img', 'inpaint'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const DEFAULT_MODEL = 'darkroom-tiny';
/** Images per job; each is a full generation, so this bounds one job's cost. */
export const MAX_BATCH = 8;
/** The largest side we accept before any model sees it (a 2048^2 SD run needs ~20 GB). */
export const MAX_SIDE = 2048;

const side = z.number().int().min(8).max(MAX_SIDE);

const generation = {
  prompt: z.string().max(20_000),
  negative_prompt: z.string().max(20_000).default(''),
  model: z.string().min(1).default(DEFAULT_MODEL),
  /** Defaults to the model's native size. */
  width: side.optional(),
  height: side.optional(),
  steps: z.number().int().min(1).max(150).default(20),
  guidance: z.number().min(0).max(30).default(7.5),
  scheduler: z.enum(SCHEDULER_NAMES).default('euler'),
  /** Random when absent; image k of a batch uses seed + k. */
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  n: z.number().int().min(1).max(MAX_BATCH).default(1),
  /** Write the prompt into the image file's metadata (off: files never carry prompts). */
  embed_prompt: z.boolean().default(false),
};

export const Txt2ImgSpec = z.object({ operation: z.literal('txt2img'), ...generation });
export const Img2ImgSpec = z.object({
  operation: z.literal('img2img'),
  ...generation,
  /** An upload id (HTTP) or a file path (CLI): the edge resolves it to pixels. */
  image: z.string().min(1),
  strength: z.number().min(0).max(1).default(0.75),
});
export const InpaintSpec = z.object({
  operation: z.literal('inpaint'),
  ...generation,
  image: z.string().min(1),
  /** White (1) repaints, black (0) keeps. */
  mask: z.string().min(1),
  strength: z.number().min(0).max(1).default(1),
});

export const JobSpec = z.discriminatedUnion('operation', [Txt2ImgSpec, Img2ImgSpec, InpaintSpec]);
export type JobSpec = z.infer<typeof JobSpec>;
export type JobSpecInput = z.input<typeof JobSpec>;

/** One line naming what is wrong, for an error message. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
