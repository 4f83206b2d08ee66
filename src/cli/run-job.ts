// Running one job from the command line: parse it with the shared schema, run it on this
// machine's engines with a progress bar, write the images, print their paths.

import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { App } from '../app.js';
import { VERSION } from '../app.js';
import { DarkroomError } from '../domain/errors.js';
import type { AnyImage, Mask } from '../domain/image.js';
import { describeIssues, isDiffusion, JobSpec, type JobSpecInput } from '../domain/job.js';
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

export interface JobFiles {
  /** -o (.png or .webp); when absent, `defaultOutput`. */
  output: string | undefined;
  defaultOutput: string;
  images: AnyImage[];
  mask?: Mask;
}

export async function runJob(app: App, io: CliIo, input: JobSpecInput, files: JobFiles): Promise<void> {
  const parsed = JobSpec.safeParse(input);
  if (!parsed.success) throw new DarkroomError('invalid_parameter', describeIssues(parsed.error));
  const spec = parsed.data;
  await app.registry.check(spec);
  const bar = progressBar(io, 'steps');
  const began = performance.now();
  const count = 'n' in spec ? spec.n : 1;
  let result;
  try {
    result = await app.registry.run(
      { spec, images: files.images, ...(files.mask ? { mask: files.mask } : {}) },
      { signal: new AbortController().signal, progress: (p) => bar.update(p.step, p.total, count > 1 ? `${count} images` : 'image') },
    );
  } finally {
    bar.stop();
  }
  const paths = outputPaths(resolve(io.cwd, files.output ?? files.defaultOutput), result.images.length);
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
