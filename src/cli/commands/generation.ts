// `darkroom generate` and `darkroom edit`: options shared by both, parsed into the same
// job spec the HTTP API uses, run on the engine with a progress bar, written as PNG.

import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join, dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { App } from '../../app.js';
import { DarkroomError } from '../../domain/errors.js';
import { describeIssues, JobSpec, SCHEDULER_NAMES, type JobSpecInput } from '../../domain/job.js';
import type { Mask, RgbImage } from '../../domain/image.js';
import { randomSeed } from '../../engine/diffusion/rng.js';
import { VERSION } from '../../app.js';
import { decodeImage, decodeMask } from '../../images/codec.js';
import { encodeLabelledPng, sourceTypeOf } from '../../images/provenance.js';
import type { CliIo } from '../io.js';
import { number } from '../parse.js';
import { progressBar } from '../progress.js';

export function withGenerationOptions(command: Command): Command {
  return command
    .option('-o, --output <file>', 'where to write the PNG (default darkroom-<seed>.png); with -n > 1, out-1.png, out-2.png, ...')
    .option('--negative <text>', 'what the image should not show', '')
    .option('--model <name>', 'model to use (see "darkroom models list")', 'darkroom-tiny')
    .option('--width <px>', "image width (default: the model's native size)", number('--width'))
    .option('--height <px>', "image height (default: the model's native size)", number('--height'))
    .option('--steps <n>', 'denoising steps', number('--steps'), 20)
    .option('--guidance <g>', 'how closely to follow the prompt (classifier-free guidance scale)', number('--guidance'), 7.5)
    .option('--seed <s>', 'random seed; the same seed and settings give the same image', number('--seed'))
    .addOption(new Option('--scheduler <name>', 'sampler').choices(SCHEDULER_NAMES).default('euler'))
    .option('-n, --count <n>', 'number of images (seed, seed + 1, ...)', number('-n'), 1)
    .option('--embed-prompt', 'write the prompt into the PNG metadata (by default files carry no prompt)');
}

export interface GenerationOptions {
  output?: string;
  negative: string;
  model: string;
  width?: number;
  height?: number;
  steps: number;
  guidance: number;
  seed?: number;
  scheduler: string;
  count: number;
  embedPrompt?: boolean;
}

export function baseSpec(prompt: string, options: GenerationOptions): Omit<JobSpecInput, 'operation'> {
  return {
    prompt,
    negative_prompt: options.negative,
    model: options.model,
    steps: options.steps,
    guidance: options.guidance,
    scheduler: options.scheduler as JobSpecInput['scheduler'],
    n: options.count,
    seed: options.seed ?? randomSeed(),
    embed_prompt: options.embedPrompt ?? false,
    ...(options.width !== undefined ? { width: options.width } : {}),
    ...(options.height !== undefined ? { height: options.height } : {}),
  };
}

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

export async function runGeneration(
  app: App,
  io: CliIo,
  input: JobSpecInput,
  output: string | undefined,
  sources: { image?: RgbImage; mask?: Mask } = {},
): Promise<void> {
  const parsed = JobSpec.safeParse(input);
  if (!parsed.success) throw new DarkroomError('invalid_parameter', describeIssues(parsed.error));
  const spec = parsed.data;
  const bar = progressBar(io, 'steps');
  const controller = new AbortController();
  const began = performance.now();
  let result;
  try {
    result = await app.diffusion.run(
      { spec, ...sources },
      { signal: controller.signal, progress: (p) => bar.update(p.step, p.total, spec.n > 1 ? `${spec.n} images` : 'image') },
    );
  } finally {
    bar.stop();
  }
  const paths = outputPaths(resolve(io.cwd, output ?? `darkroom-${spec.seed}.png`), result.images.length);
  const provenance = {
    sourceType: sourceTypeOf(spec.operation),
    creatorTool: `Darkroom ${VERSION}`,
    ...(spec.embed_prompt ? { prompt: spec.prompt } : {}),
  };
  for (const [i, { image }] of result.images.entries()) {
    await writeFile(paths[i]!, await encodeLabelledPng(image, provenance));
    io.stdout.write(`${paths[i]}\n`);
  }
  if (io.stderr.isTTY) {
    const seconds = ((performance.now() - began) / 1000).toFixed(1);
    io.stderr.write(`${result.images.length} image${result.images.length > 1 ? 's' : ''} in ${seconds}s (seed ${spec.seed})\n`);
  }
}

export function generateCommand(app: () => App, io: CliIo): Command {
  return withGenerationOptions(new Command('generate').description('text-to-image: make an image from a prompt').argument('<prompt>', 'what to show'))
    .action(async (prompt: string, options: GenerationOptions) => {
      await runGeneration(app(), io, { operation: 'txt2img', ...baseSpec(prompt, options) }, options.output);
    });
}

export function editCommand(app: () => App, io: CliIo): Command {
  return withGenerationOptions(
    new Command('edit')
      .description('image-to-image; with --mask, inpainting (white in the mask = repaint)')
      .argument('<image>', 'the image to start from (PNG, JPEG, WebP, ...)')
      .argument('<prompt>', 'what the result should show'),
  )
    .option('--mask <file>', 'inpainting mask: white repaints, black keeps')
    .option('--strength <s>', 'how much to change, 0..1 (default 0.75; 1 with a mask)', number('--strength'))
    .action(async (imagePath: string, prompt: string, options: GenerationOptions & { mask?: string; strength?: number }) => {
      const image = await decodeImage(await readImageFile(imagePath, io.cwd));
      const mask = options.mask ? await decodeMask(await readImageFile(options.mask, io.cwd)) : undefined;
      const base = baseSpec(prompt, options);
      const strength = options.strength !== undefined ? { strength: options.strength } : {};
      const input: JobSpecInput = mask
        ? { operation: 'inpaint', ...base, image: imagePath, mask: options.mask!, ...strength }
        : { operation: 'img2img', ...base, image: imagePath, ...strength };
      await runGeneration(app(), io, input, options.output, { image, ...(mask ? { mask } : {}) });
    });
}
