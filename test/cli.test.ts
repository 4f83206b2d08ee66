// The darkroom command, run in-process with its own streams, environment and folder.

import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliOptions } from './helpers/cli.js';
import { startHub } from './helpers/hub-server.js';
import { TINY_DIR, TINY_XL_DIR } from './helpers/tiny.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function exists(file: string): Promise<boolean> {
  return access(join(dir, file)).then(
    () => true,
    () => false,
  );
}

/** A 64x64 PNG of one colour in the test folder, for the commands that read images. */
async function square(file: string, colour: string): Promise<void> {
  await sharp({ create: { width: 64, height: 64, channels: 3, background: colour } })
    .png()
    .toFile(join(dir, file));
}

function darkroom(...args: string[]) {
  return runCli({ cwd: dir }, ...args);
}

function darkroomWith(options: Omit<CliOptions, 'cwd'>, ...args: string[]) {
  return runCli({ cwd: dir, ...options }, ...args);
}

describe('darkroom generate', () => {
  it('writes a PNG of the asked size and prints its path', async () => {
    const result = await darkroom('generate', 'a red circle on a blue background', '-o', 'circle.png', '--seed', '3', '--steps', '8');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toBe(join(dir, 'circle.png'));
    const meta = await sharp(join(dir, 'circle.png')).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 64, height: 64 });
  });

  it('warns in one line when the model does not know the prompt, and still draws', async () => {
    const result = await darkroom('generate', 'a cat on a sofa', '-o', 'cat.png', '--seed', '3', '--steps', '4');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      'darkroom: warning: darkroom-tiny does not know most words of this prompt ("cat", "sofa"), so the image will not show them; try "a red circle on a blue background" or "a small yellow triangle at the top, black background"\n',
    );
    expect(await exists('cat.png')).toBe(true);
  });

  it('gives identical bytes for the same seed, and different ones for another', async () => {
    await darkroom('generate', 'a green square', '-o', 'a.png', '--seed', '5', '--steps', '8');
    await darkroom('generate', 'a green square', '-o', 'b.png', '--seed', '5', '--steps', '8');
    await darkroom('generate', 'a green square', '-o', 'c.png', '--seed', '6', '--steps', '8');
    const [a, b, c] = await Promise.all(['a.png', 'b.png', 'c.png'].map((f) => readFile(join(dir, f))));
    expect(a!.equals(b!)).toBe(true);
    expect(a!.equals(c!)).toBe(false);
  });

  it('writes out-1.png ... for -n > 1, and names files by seed by default', async () => {
    const many = await darkroom('generate', 'a blue circle', '-n', '2', '-o', 'out.png', '--steps', '4');
    expect(many.stdout.trim().split('\n')).toEqual([join(dir, 'out-1.png'), join(dir, 'out-2.png')]);
    const named = await darkroom('generate', 'a blue circle', '--seed', '77', '--steps', '4');
    expect(named.stdout.trim()).toBe(join(dir, 'darkroom-77.png'));
  });

  it('runs the SDXL-shaped built-in model, and hires fix to twice the size with tiled decoding', async () => {
    const xl = await darkroom('generate', 'a red circle on a blue background', '--model', 'darkroom-tiny-xl', '-o', 'xl.png', '--steps', '6', '--guidance', '0');
    expect(xl).toMatchObject({ code: 0, stderr: '' });
    const hires = await darkroom('generate', 'a red circle', '-o', 'hires.png', '--steps', '4', '--hires-scale', '2', '--hires-steps', '4', '--hires-upscaler', 'lanczos', '--tiled-vae');
    expect(hires).toMatchObject({ code: 0, stderr: '' });
    expect(await sharp(join(dir, 'hires.png')).metadata()).toMatchObject({ width: 128, height: 128 });
  });
});

describe('darkroom edit', () => {
  it('runs img2img and, with a mask, inpainting', async () => {
    await darkroom('generate', 'a yellow square on a purple background', '-o', 'src.png', '--seed', '1', '--steps', '8');
    const img2img = await darkroom('edit', 'src.png', 'a yellow circle', '--strength', '0.5', '-o', 'edited.png', '--steps', '8');
    expect(img2img.code).toBe(0);
    const mask = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
      .composite([{ input: await sharp({ create: { width: 24, height: 24, channels: 3, background: '#fff' } }).png().toBuffer(), left: 20, top: 20 }])
      .png()
      .toBuffer();
    await writeFile(join(dir, 'mask.png'), mask);
    const inpaint = await darkroom('edit', 'src.png', 'a red circle', '--mask', 'mask.png', '-o', 'inpainted.png', '--steps', '8');
    expect(inpaint).toMatchObject({ code: 0, stderr: '' });
    expect((await sharp(join(dir, 'inpainted.png')).metadata()).width).toBe(64);
  });
});

describe('bad input: one line on stderr and a non-zero exit', () => {
  beforeAll(() => square('red.png', '#f00'));

  it.each([
    [['generate', 'x', '--model', 'no-such-model'], /Unknown model "no-such-model"/],
    [['generate', 'x', '--width', '66'], /multiple of 4/],
    [['generate', 'x', '--steps', '0'], /steps/],
    [['generate', 'x', '--steps', 'many'], /Expected --steps to be a number, got "many"/],
    [['generate', 'x', '--scheduler', 'heun'], /heun/],
    [['generate', 'x', '--width', '-64'], /width/],
    [['edit', 'missing.png', 'x'], /Cannot read missing.png: no such file/],
    [['edit', 'not-an-image.png', 'x'], /could not be read/],
    [['edit', 'src.png', 'x', '--strength', '1.5'], /strength/],
    [['models', 'rm', 'darkroom-tiny'], /built in/],
    [['generate', 'x', '-o', 'out.jpg'], /Expected -o to end in \.png or \.webp, got "out\.jpg"/],
    [['generate', 'x', '-o', 'no-extension'], /Expected -o to end in \.png or \.webp/],
    [['generate', 'x', '-o', 'no-such-folder/out.png'], /Cannot write no-such-folder\/out\.png: the folder .*no-such-folder does not exist/],
    [['generate', 'x', '-o', 'not-an-image.png/out.png'], /not-an-image\.png is not a folder/],
    [['upscale', 'red.png', '-o', 'big.jpg'], /Expected -o to end in \.png or \.webp/],
    [['edit', 'src.png', 'x', '--mask', 'mask.png', '--style', 'anime'], /--mask \(inpainting\) or --style \(style transfer\), not both/],
    [['frobnicate'], /unknown command/],
  ])('darkroom %j', async (args, message) => {
    await writeFile(join(dir, 'not-an-image.png'), 'this is text, not a PNG');
    const result = await darkroom(...args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('says which file of a broken model is missing', async () => {
    const models = join(dir, 'data', 'models', 'broken');
    await import('node:fs/promises').then((fs) => fs.mkdir(models, { recursive: true }));
    await writeFile(join(models, 'model_index.json'), '{}');
    const result = await darkroom('generate', 'x', '--model', 'broken');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/incomplete: .*text_encoder\/model\.onnx is missing/);
  });

  it('says when a model file is corrupt', async () => {
    const { cp } = await import('node:fs/promises');
    const corrupt = join(dir, 'data', 'models', 'corrupt');
    await cp(TINY_DIR, corrupt, { recursive: true });
    await writeFile(join(corrupt, 'unet', 'model.onnx'), 'garbage');
    const result = await darkroom('generate', 'x', '--model', 'corrupt');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unet\/model\.onnx is not a loadable ONNX model/);
  });
});

describe('output files', () => {
  it('refuses a wrong extension before generating anything', async () => {
    // On a terminal a run draws its progress bar; a refused one writes its error line only.
    const result = await darkroomWith({ tty: true }, 'generate', 'a red circle', '--steps', '4', '-o', 'photo.jpg');
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: 'darkroom: Expected -o to end in .png or .webp, got "photo.jpg"\n' });
    expect(await exists('photo.jpg')).toBe(false);
  });

  it('refuses a missing folder before generating anything', async () => {
    const result = await darkroomWith({ tty: true }, 'generate', 'a red circle', '--steps', '4', '-o', 'missing/out.png');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`darkroom: Cannot write missing/out.png: the folder ${join(dir, 'missing')} does not exist\n`);
  });

  it('writes WebP for .webp, whatever its case', async () => {
    const result = await darkroom('generate', 'a red circle', '--steps', '2', '-o', 'upper.WEBP');
    expect(result.code).toBe(0);
    expect((await sharp(join(dir, 'upper.WEBP')).metadata()).format).toBe('webp');
  });
});

describe('darkroom blend', () => {
  beforeAll(async () => {
    await square('left.png', '#f00');
    await square('right.png', '#00f');
    await writeFile(join(dir, 'sunset'), 'a file without an extension');
  });

  it('blends images with the prompt given last', async () => {
    const result = await darkroom('blend', 'left.png', 'right.png', 'a purple square', '--steps', '2', '-o', 'blended.png');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(await exists('blended.png')).toBe(true);
  });

  it.each([
    [['left.png', 'right.png', 'left.png'], 'left.png'],
    [['left.png', 'right.png', 'missing.JPG'], 'missing.JPG'],
    [['left.png', 'right.png', 'sunset'], 'sunset'],
  ])('refuses %j: the last argument would be taken as the prompt', async (args, last) => {
    const result = await darkroom('blend', ...args, '--steps', '2', '-o', 'not-blended.png');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `darkroom: The prompt comes last, after 2 to 4 images, and "${last}" looks like an image file: darkroom blend <image> <image> [<image> <image>] "<prompt>"\n`,
    );
    expect(await exists('not-blended.png')).toBe(false);
  });
});

describe('stopping (Ctrl+C, SIGTERM)', () => {
  beforeAll(() => square('small.png', '#0f0'));

  it('cancels a generation: one line, exit 130, no file', async () => {
    const result = await darkroomWith({ stopped: Promise.resolve() }, 'generate', 'a red circle', '--steps', '8', '-o', 'stopped.png');
    expect(result).toMatchObject({ code: 130, stdout: '', stderr: 'darkroom: cancelled\n' });
    expect(await exists('stopped.png')).toBe(false);
  });

  it('exits 128 + the number of the signal that stopped it', async () => {
    const result = await darkroomWith({ stopped: Promise.resolve('SIGTERM') }, 'generate', 'a red circle', '--steps', '8', '-o', 'terminated.png');
    expect(result).toMatchObject({ code: 143, stderr: 'darkroom: cancelled\n' });
  });

  it('cancels an upscale', async () => {
    const result = await darkroomWith({ stopped: Promise.resolve() }, 'upscale', 'small.png', '-o', 'small-big.png');
    expect(result).toMatchObject({ code: 130, stderr: 'darkroom: cancelled\n' });
    expect(await exists('small-big.png')).toBe(false);
  });

  it('cancels a pull, which leaves no model behind', async () => {
    const hub = await startHub('someone/tiny-stopped', TINY_DIR);
    try {
      const result = await darkroomWith({ env: { HF_ENDPOINT: hub.url }, stopped: Promise.resolve() }, 'models', 'pull', 'someone/tiny-stopped');
      expect(result).toMatchObject({ code: 130, stdout: '', stderr: 'darkroom: cancelled\n' });
      expect((await darkroom('models', 'list')).stdout).not.toMatch(/tiny-stopped/);
    } finally {
      await hub.close();
    }
  });

  it('ends the server normally', async () => {
    const result = await darkroomWith({ stopped: Promise.resolve() }, 'serve', '--port', '0');
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^Darkroom is running on /);
  });
});

describe('darkroom models', () => {
  it('lists the built-in model', async () => {
    const result = await darkroom('models', 'list');
    expect(result.stdout).toMatch(/darkroom-tiny\s+built-in/);
  });

  it('pulls an SDXL export with its second encoder, tokenizer and tiny decoder, and runs it', async () => {
    const hub = await startHub('someone/xl-copy', TINY_XL_DIR);
    try {
      const pulled = await darkroomWith({ env: { HF_ENDPOINT: hub.url } }, 'models', 'pull', 'someone/xl-copy');
      expect(pulled.code, pulled.stderr).toBe(0);
      for (const file of ['text_encoder_2/model.onnx', 'tokenizer_2/vocab.json', 'tokenizer_2/tokenizer_config.json', 'vae_decoder_tiny/model.onnx']) {
        expect(await exists(join('data', 'models', 'someone--xl-copy', file)), file).toBe(true);
      }
      const made = await darkroom('generate', 'a red circle', '--model', 'xl-copy', '--steps', '4', '--fast-decode', '-o', 'xl-pulled.png');
      expect(made).toMatchObject({ code: 0, stderr: '' });
    } finally {
      await hub.close();
    }
  });

  it('pulls from HF_ENDPOINT, generates with the pulled model, and removes it', async () => {
    const hub = await startHub('someone/tiny-copy', TINY_DIR);
    try {
      const env = { HF_ENDPOINT: hub.url };
      const pulled = await darkroomWith({ env, tty: true }, 'models', 'pull', 'someone/tiny-copy');
      expect(pulled.code).toBe(0);
      expect(pulled.stdout.trim()).toBe(join(dir, 'data', 'models', 'someone--tiny-copy'));
      expect(pulled.stderr).toMatch(/100%/);
      expect((await darkroom('models', 'list')).stdout).toMatch(/someone\/tiny-copy\s+hub/);
      const made = await darkroom('generate', 'a red circle', '--model', 'tiny-copy', '--steps', '4', '-o', 'pulled.png');
      expect(made.code).toBe(0);
      expect((await darkroom('models', 'rm', 'someone/tiny-copy')).stdout).toMatch(/removed someone\/tiny-copy/);
      expect((await darkroom('models', 'list')).stdout).not.toMatch(/tiny-copy/);
    } finally {
      await hub.close();
    }
  });
});

describe('progress', () => {
  it('draws a bar on a terminal and nothing in a pipe', async () => {
    const tty = await darkroomWith({ tty: true }, 'generate', 'a red circle', '--steps', '6', '-o', 'tty.png');
    expect(tty.stderr).toMatch(/6\/6 steps/);
    const pipe = await darkroomWith({ tty: false }, 'generate', 'a red circle', '--steps', '6', '-o', 'pipe.png');
    expect(pipe.stderr).toBe('');
  });
});

describe('account administration', () => {
  it('adds a user, makes a key, grants credits, exports and removes them', async () => {
    const env = { DARKROOM_AUTH: 'on' };
    const added = await darkroomWith({ env }, 'user', 'add', 'cli@example.org', '--admin');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^cli@example\.org\tadmin\tusr_/);
    expect(added.stdout).toMatch(/password: \S{16}/);
    const key = await darkroomWith({ env }, 'user', 'key', 'cli@example.org');
    expect(key.stdout.trim()).toMatch(/^dk_[A-Za-z0-9_-]{43}$/);
    const granted = await darkroomWith({ env }, 'credits', 'grant', 'cli@example.org', '25');
    expect(granted.stdout.trim()).toBe('cli@example.org\t125');
    const exported = await darkroomWith({ env }, 'user', 'export', 'cli@example.org', '-o', 'cli.zip');
    expect(exported.stdout.trim()).toBe(join(dir, 'cli.zip'));
    expect((await readFile(join(dir, 'cli.zip'))).subarray(0, 2).toString()).toBe('PK');
    const removed = await darkroomWith({ env }, 'user', 'rm', 'cli@example.org');
    expect(removed.stdout.trim()).toBe('erased cli@example.org');
    const again = await darkroomWith({ env }, 'user', 'key', 'cli@example.org');
    expect(again).toMatchObject({ code: 1, stderr: 'darkroom: No account for cli@example.org\n' });
  });

  it('runs the purge and prints what it erased', async () => {
    const result = await darkroom('purge');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ images_deleted: expect.any(Number), prompts_cleared: expect.any(Number) });
  });

  it('reports a store that fails to open in one line, without a stack', async () => {
    const result = await darkroomWith({ env: { DARKROOM_MASTER_KEY: 'abc' } }, 'purge');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('darkroom: Expected DARKROOM_MASTER_KEY to be 32 bytes as 64 hex digits or base64\n');
  });

  it('reports a setting it cannot use in one line, as a usage problem rather than a crash', async () => {
    const result = await darkroomWith({ env: { DARKROOM_PURGE_INTERVAL: '0s' } }, 'purge');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('darkroom: Expected DARKROOM_PURGE_INTERVAL to be from 1s to 24d, got "0s"\n');
  });

  it('refuses to serve beyond loopback with accounts turned off', async () => {
    // Accounts are on by default there (src/config.test.ts); turned off, the server refuses.
    const result = await darkroomWith({ env: { DARKROOM_AUTH: 'off' } }, 'serve', '--host', '0.0.0.0', '--port', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Refusing to listen on 0\.0\.0\.0 without accounts/);
  });
});
