// Running one job from the command line: parse it with the shared schema, check where the
// images will go, run it on this machine's engines with a progress bar, write the images,
// print their paths.

import { constants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { App } from '../app.js';
import { VERSION } from '../app.js';
import { DarkroomError } from '../domain/errors.js';
import type { AnyImage, Mask } from '../domain/image.js';
import type { JobWarning } from '../domain/warning.js';
import { formatBytes } from '../engine/diffusion/memory.js';
import type { JobEstimate } from '../engine/engine.js';
import { describeIssues, isDiffusion, JobRequest, type JobRequestInput } from '../domain/job.js';
import { encodeLabelledPng, encodeLabelledWebp, sourceTypeOf } from '../images/provenance.js';
import type { CliIo } from './io.js';
import { progressBar } from './progress.js';

/** out.png for one image; out-1.png, out-2.png ... for several. */
export function outputPaths(output: string, count: number): string[] {
  if (count === 1) return [output];
  const ext = extname(output) || '.png';
  const stem = join(dirname(output), basename(output, extname(output)));
  return Array.from({ length: count }, (_, i) => `${stem}-${i + 1}${ext}`);
}

export async function readImageFile(path: string, cwd: string): Promise<Buffer> {
  try {
    return await readFile(resolve(cwd, path));
  } catch (error) {
    throw new DarkroomError('invalid_image', `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

/** The formats `-o` can write, by extension; anything else would get PNG bytes under a false name. */
const OUTPUT_EXTENSIONS = ['.png', '.webp'];

/**
 * Refuses an output the job could not write, before the job runs: a wrong extension, or a
 * folder that is missing or not writable, would otherwise fail only after all the work.
 */
async function checkOutput(output: string, target: string): Promise<void> {
  const ext = extname(target).toLowerCase();
  if (!OUTPUT_EXTENSIONS.includes(ext)) {
    throw new DarkroomError('invalid_parameter', `Expected -o to end in .png or .webp, got "${output}"`);
  }
  const problem = await folderProblem(dirname(target));
  if (problem) throw new DarkroomError('invalid_parameter', `Cannot write ${output}: the folder ${dirname(target)} ${problem}`);
}

/** Why nothing can be written into `folder`, or undefined when it can. */
async function folderProblem(folder: string): Promise<string | undefined> {
  try {
    if (!(await stat(folder)).isDirectory()) return 'is not a folder';
    await access(folder, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'does not exist';
    if (code === 'ENOTDIR') return 'is not a folder';
    if (code === 'EACCES' || code === 'EPERM') return 'is not writable';
    return (error as Error).message;
  }
}

/** Peaks from here up are worth saying before a run starts (the built-in models stay far below). */
const NOTABLE_PEAK = 1024 ** 3;

export function estimateLine({ peakBytes, lowMemory }: JobEstimate): string {
  return `expect about ${formatBytes(peakBytes)} of memory at the peak${lowMemory ? ' (low-memory mode: the text encoder is released before denoising)' : ''}`;
}

/** A warning in one line, with up to two prompts that would work. */
function warningLine({ message, examples = [] }: JobWarning): string {
  return examples.length > 0 ? `${message}; try ${examples.slice(0, 2).map((e) => `"${e}"`).join(' or ')}` : message;
}

export interface JobFiles {
  /** -o (.png or .webp); when absent, `defaultOutput`. */
  output: string | undefined;
  defaultOutput: string;
  images: AnyImage[];
  mask?: Mask;
}

/** Runs the job until it is done or `signal` aborts it (then it ends with `cancelled`). */
export async function runJob(app: App, io: CliIo, input: JobRequestInput, files: JobFiles, signal: AbortSignal): Promise<void> {
  const parsed = JobRequest.safeParse(input);
  if (!parsed.success) throw new DarkroomError('invalid_parameter', describeIssues(parsed.error));
  const output = files.output ?? files.defaultOutput;
  const target = resolve(io.cwd, output);
  await checkOutput(output, target);
  // Warnings go to stderr whatever it is: a script's log should show them too.
  const { spec, warnings, estimate } = await app.registry.check(parsed.data);
  for (const warning of warnings) io.stderr.write(`darkroom: warning: ${warningLine(warning)}\n`);
  if (estimate && (estimate.lowMemory || estimate.peakBytes >= NOTABLE_PEAK)) io.stderr.write(`darkroom: ${estimateLine(estimate)}\n`);
  const bar = progressBar(io, 'steps');
  const began = performance.now();
  const count = 'n' in spec ? spec.n : 1;
  let result;
  try {
    result = await app.registry.run(
      { spec, images: files.images, ...(files.mask ? { mask: files.mask } : {}) },
      { signal, progress: (p) => bar.update(p.step, p.total, count > 1 ? `${count} images` : 'image') },
    );
  } finally {
    bar.stop();
  }
  const paths = outputPaths(target, result.images.length);
  const provenance = {
    sourceType: sourceTypeOf(spec.operation),
    creatorTool: `Darkroom ${VERSION}`,
    ...(isDiffusion(spec) && spec.embed_prompt ? { prompt: spec.prompt } : {}),
  };
  for (const [i, { image }] of result.images.entries()) {
    const encode = extname(paths[i]!).toLowerCase() === '.webp' ? encodeLabelledWebp : encodeLabelledPng;
    await writeFile(paths[i]!, await encode(image, provenance));
    io.stdout.write(`${paths[i]}\n`);
  }
  if (io.stderr.isTTY) {
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    const seed = 'seed' in spec && spec.seed !== undefined ? ` (seed ${spec.seed})` : '';
    io.stderr.write(`${result.images.length} image${result.images.length > 1 ? 's' : ''} in ${seconds}s${seed}\n`);
  }
}
