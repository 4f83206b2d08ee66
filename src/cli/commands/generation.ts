// The diffusion commands: `darkroom generate`, `edit` (img2img, inpainting, style transfer),
// `blend` and `outpaint`. Options shared by all become the same job spec the HTTP API
// takes. Each runs until done or until `signal` (a stop) aborts it.

import { stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { App } from '../../app.js';
import { HIRES_UPSCALERS, SCHEDULER_NAMES, type JobRequestInput } from '../../domain/job.js';
import { DarkroomError } from '../../domain/errors.js';
import { randomSeed } from '../../engine/diffusion/rng.js';
import { STYLE_PRESETS } from '../../engine/diffusion/styles.js';
import { decodeImage, decodeMask } from '../../images/codec.js';
import type { CliIo } from '../io.js';
import { number } from '../parse.js';
import { readImageFile, runJob } from '../run-job.js';

export function withGenerationOptions(command: Command): Command {
  return command
    .option('-o, --output <file>', 'where to write (.png or .webp; default darkroom-<seed>.png); with -n > 1, out-1.png, out-2.png, ...')
    .option('--negative <text>', 'what the image should not show', '')
    .option('--model <name>', 'model to use (see "darkroom models list")', 'darkroom-tiny')
    .option('--width <px>', "image width (default: the model's native size)", number('--width'))
    .option('--height <px>', "image height (default: the model's native size)", number('--height'))
    .option('--steps <n>', "denoising steps (default: the model's recommendation, else 20)", number('--steps'))
    .option('--guidance <g>', "how closely to follow the prompt, classifier-free guidance (default: the model's, else 7.5; off at 1 or below for Stable Diffusion models, at 0 for Z-Image)", number('--guidance'))
    .option('--seed <s>', 'random seed; the same seed and settings give the same image', number('--seed'))
    .addOption(new Option('--scheduler <name>', "sampler (default: the model's recommendation, else euler)").choices(SCHEDULER_NAMES))
    .option('-n, --count <n>', 'number of images (seed, seed + 1, ...)', number('-n'), 1)
    .option('--embed-prompt', 'write the prompt into the PNG metadata (by default files carry no prompt)')
    .option('--tiled-vae', 'decode and encode in overlapping tiles (automatic above 1.5x the native size); bounds memory for big images')
    .option('--fast-decode', "decode with the model's tiny decoder (TAESD) when it has one: faster, a little softer")
    .option('--low-memory', 'flow models: release the text encoder before denoising (on by itself when the model is large for the free memory)');
}

const styleOption = () => new Option('--style <name>', 'a style preset').choices(STYLE_PRESETS.map((s) => s.name));

export interface GenerationOptions {
  output?: string;
  negative: string;
  model: string;
  width?: number;
  height?: number;
  steps?: number;
  guidance?: number;
  seed?: number;
  scheduler?: (typeof SCHEDULER_NAMES)[number];
  count: number;
  embedPrompt?: boolean;
  tiledVae?: boolean;
  fastDecode?: boolean;
  lowMemory?: boolean;
  style?: string;
}

interface HiresOptions {
  hiresScale?: number;
  hiresStrength?: number;
  hiresUpscaler?: (typeof HIRES_UPSCALERS)[number];
  hiresSteps?: number;
}

export function baseSpec(prompt: string, options: GenerationOptions) {
  return {
    prompt,
    negative_prompt: options.negative,
    model: options.model,
    steps: options.steps,
    guidance: options.guidance,
    scheduler: options.scheduler,
    n: options.count,
    seed: options.seed ?? randomSeed(),
    embed_prompt: options.embedPrompt ?? false,
    ...(options.tiledVae ? { tiled_vae: true } : {}),
    ...(options.fastDecode ? { fast_decode: true } : {}),
    ...(options.lowMemory ? { low_memory: true } : {}),
    ...(options.width !== undefined ? { width: options.width } : {}),
    ...(options.height !== undefined ? { height: options.height } : {}),
  };
}

async function readImages(paths: string[], cwd: string) {
  return Promise.all(paths.map(async (path) => decodeImage(await readImageFile(path, cwd))));
}

export function generateCommand(app: () => App, io: CliIo, signal: AbortSignal): Command {
  return withGenerationOptions(new Command('generate').description('text-to-image: make an image from a prompt').argument('<prompt>', 'what to show'))
    .addOption(styleOption())
    .option('--hires-scale <f>', 'hires fix: draw at the base size, then redraw at this many times it (1-4)', number('--hires-scale'))
    .option('--hires-strength <s>', 'hires fix: how much the second pass changes, 0..1 (default 0.7)', number('--hires-strength'))
    .addOption(new Option('--hires-upscaler <name>', 'hires fix: how the first pass is enlarged (default latent)').choices(HIRES_UPSCALERS))
    .option('--hires-steps <n>', "hires fix: second-pass steps (default: the first pass's)", number('--hires-steps'))
    .action(async (prompt: string, options: GenerationOptions & HiresOptions) => {
      const spec = baseSpec(prompt, options);
      const { hiresScale, hiresStrength, hiresUpscaler, hiresSteps } = options;
      const asked = [hiresScale, hiresStrength, hiresUpscaler, hiresSteps].some((v) => v !== undefined);
      const hires = asked
        ? {
            hires: {
              ...(hiresScale !== undefined ? { scale: hiresScale } : {}),
              ...(hiresStrength !== undefined ? { strength: hiresStrength } : {}),
              ...(hiresUpscaler !== undefined ? { upscaler: hiresUpscaler } : {}),
              ...(hiresSteps !== undefined ? { steps: hiresSteps } : {}),
            },
          }
        : {};
      await runJob(
        app(),
        io,
        { operation: 'txt2img', ...spec, ...hires, ...(options.style ? { style: options.style } : {}) },
        { output: options.output, defaultOutput: `darkroom-${spec.seed}.png`, images: [] },
        signal,
      );
    });
}

export function editCommand(app: () => App, io: CliIo, signal: AbortSignal): Command {
  return withGenerationOptions(
    new Command('edit')
      .description('image-to-image; with --mask, inpainting (white in the mask = repaint); with --style, style transfer')
      .argument('<image>', 'the image to start from (PNG, JPEG, WebP, ...)')
      .argument('<prompt>', 'what the result should show'),
  )
    .option('--mask <file>', 'inpainting mask: white repaints, black keeps (not with --style)')
    .option('--strength <s>', 'how much to change, 0..1 (default 0.75; 1 with a mask; 0.6 with a style)', number('--strength'))
    .addOption(styleOption())
    .action(async (imagePath: string, prompt: string, options: GenerationOptions & { mask?: string; strength?: number }) => {
      // Inpainting has no style step, so the style would be dropped without a word.
      if (options.mask && options.style) {
        throw new DarkroomError('invalid_parameter', 'Expected --mask (inpainting) or --style (style transfer), not both: inpainting cannot apply a style');
      }
      const [image] = await readImages([imagePath], io.cwd);
      const mask = options.mask ? await decodeMask(await readImageFile(options.mask, io.cwd)) : undefined;
      const base = { ...baseSpec(prompt, options), image: imagePath, ...(options.strength !== undefined ? { strength: options.strength } : {}) };
      const input: JobRequestInput = mask
        ? { operation: 'inpaint', ...base, mask: options.mask! }
        : options.style
          ? { operation: 'style', ...base, style: options.style }
          : { operation: 'img2img', ...base };
      const files = { output: options.output, defaultOutput: `darkroom-${base.seed}.png`, images: [image!], ...(mask ? { mask } : {}) };
      await runJob(app(), io, input, files, signal);
    });
}

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.avif', '.tif', '.tiff', '.bmp', '.heic', '.heif'];

/**
 * True when `blend`'s last argument is more likely an image than a prompt: with one image
 * too many, or the prompt forgotten, the last image would otherwise become the prompt.
 */
async function looksLikeImage(arg: string, cwd: string): Promise<boolean> {
  if (IMAGE_EXTENSIONS.includes(extname(arg).toLowerCase())) return true;
  return stat(resolve(cwd, arg)).then(
    (found) => found.isFile(),
    () => false,
  );
}

export function blendCommand(app: () => App, io: CliIo, signal: AbortSignal): Command {
  return withGenerationOptions(
    new Command('blend')
      .description('multi-image fusion: blend 2 to 4 images and redraw them with a prompt')
      .argument('<images...>', '2 to 4 images, then the prompt as the last argument'),
  )
    .option('--weights <list>', 'one weight per image, comma-separated (default: equal)')
    .option('--strength <s>', 'how much to redraw the blend, 0..1', number('--strength'), 0.7)
    .action(async (args: string[], options: GenerationOptions & { weights?: string; strength: number }) => {
      const prompt = args.length > 2 ? args.at(-1)! : '';
      const paths = args.length > 2 ? args.slice(0, -1) : args;
      if (prompt && (await looksLikeImage(prompt, io.cwd))) {
        throw new DarkroomError(
          'invalid_parameter',
          `The prompt comes last, after 2 to 4 images, and "${prompt}" looks like an image file: darkroom blend <image> <image> [<image> <image>] "<prompt>"`,
        );
      }
      const weights = options.weights?.split(',').map((w) => number('--weights')(w));
      const base = baseSpec(prompt, options);
      await runJob(
        app(),
        io,
        { operation: 'blend', ...base, images: paths, strength: options.strength, ...(weights ? { weights } : {}) },
        { output: options.output, defaultOutput: `darkroom-${base.seed}.png`, images: await readImages(paths, io.cwd) },
        signal,
      );
    });
}

export function outpaintCommand(app: () => App, io: CliIo, signal: AbortSignal): Command {
  return withGenerationOptions(
    new Command('outpaint').description('extend an image on any side and paint the new area').argument('<image>').argument('[prompt]', 'what the new area should show', ''),
  )
    .option('--left <px>', 'pixels to add on the left', number('--left'), 0)
    .option('--right <px>', 'pixels to add on the right', number('--right'), 0)
    .option('--top <px>', 'pixels to add at the top', number('--top'), 0)
    .option('--bottom <px>', 'pixels to add at the bottom', number('--bottom'), 0)
    .action(async (imagePath: string, prompt: string, options: GenerationOptions & { left: number; right: number; top: number; bottom: number }) => {
      const base = baseSpec(prompt, options);
      const { left, right, top, bottom } = options;
      await runJob(
        app(),
        io,
        { operation: 'outpaint', ...base, image: imagePath, left, right, top, bottom },
        { output: options.output, defaultOutput: `darkroom-${base.seed}.png`, images: await readImages([imagePath], io.cwd) },
        signal,
      );
    });
}
