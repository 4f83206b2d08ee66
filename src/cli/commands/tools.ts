// The image tools on the command line: `darkroom upscale` and `darkroom remove-bg`; each
// runs until done or until `signal` (a stop) aborts it.

import { basename, extname } from 'node:path';
import { Command, Option } from 'commander';
import type { App } from '../../app.js';
import { decodeImageWithAlpha } from '../../images/codec.js';
import type { CliIo } from '../io.js';
import { readImageFile, runJob } from '../run-job.js';

function stem(path: string): string {
  return basename(path, extname(path));
}

export function upscaleCommand(app: () => App, io: CliIo, signal: AbortSignal): Command {
  return new Command('upscale')
    .description('super-resolution with ESRGAN (transparency kept)')
    .argument('<image>', 'the image to enlarge')
    .addOption(new Option('--scale <n>', 'how many times larger').choices(['2', '3', '4', '8']).default('4'))
    .addOption(new Option('--upscaler <name>', 'ESRGAN weights: slim is fastest, thick sharpest').choices(['slim', 'medium', 'thick']).default('slim'))
    .option('-o, --output <file>', 'where to write (.png or .webp; default <image>-x<scale>.png)')
    .action(async (imagePath: string, options: { scale: string; upscaler: 'slim' | 'medium' | 'thick'; output?: string }) => {
      const image = await decodeImageWithAlpha(await readImageFile(imagePath, io.cwd), { maxPixels: app().config.maxPixels });
      await runJob(
        app(),
        io,
        { operation: 'upscale', image: imagePath, scale: Number(options.scale) as 2 | 3 | 4 | 8, upscaler: options.upscaler },
        { output: options.output, defaultOutput: `${stem(imagePath)}-x${options.scale}.png`, images: [image] },
        signal,
      );
    });
}

export function removeBackgroundCommand(app: () => App, io: CliIo, signal: AbortSignal): Command {
  return new Command('remove-bg')
    .description('make the background transparent (ISNet)')
    .argument('<image>', 'the picture')
    .option('--mask', 'write the matte (white = subject) instead of the cut-out')
    .option('-o, --output <file>', 'where to write (.png or .webp; default <image>-nobg.png)')
    .action(async (imagePath: string, options: { mask?: boolean; output?: string }) => {
      const image = await decodeImageWithAlpha(await readImageFile(imagePath, io.cwd), { maxPixels: app().config.maxPixels });
      await runJob(
        app(),
        io,
        { operation: 'remove-background', image: imagePath, output: options.mask ? 'mask' : 'image' },
        { output: options.output, defaultOutput: `${stem(imagePath)}-${options.mask ? 'mask' : 'nobg'}.png`, images: [image] },
        signal,
      );
    });
}
