// The darkroom command, run in-process with its own streams, environment and folder.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { startHub } from './helpers/hub-server.js';
import { TINY_DIR } from './helpers/tiny.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'darkroom-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function darkroom(...args: string[]) {
  return darkroomWith({}, ...args);
}

async function darkroomWith(options: { env?: NodeJS.ProcessEnv; tty?: boolean }, ...args: string[]) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false, columns: 100 });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await run(args, { stdout, stderr, env: { DARKROOM_DATA_DIR: join(dir, 'data'), ...options.env }, cwd: dir });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('darkroom generate', () => {
  it('writes a PNG of the asked size and prints its path', async () => {
    const result = await darkroom('generate', 'a red circle on a blue background', '-o', 'circle.png', '--seed', '3', '--steps', '8');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toBe(join(dir, 'circle.png'));
    const meta = await sharp(join(dir, 'circle.png')).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 64, height: 64 });
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

describe('darkroom models', () => {
  it('lists the built-in model', async () => {
    const result = await darkroom('models', 'list');
    expect(result.stdout).toMatch(/darkroom-tiny\s+built-in/);
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

  it('refuses to serve beyond loopback with accounts turned off', async () => {
    // Accounts are on by default there (src/config.test.ts); turned off, the server refuses.
    const result = await darkroomWith({ env: { DARKROOM_AUTH: 'off' } }, 'serve', '--host', '0.0.0.0', '--port', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Refusing to listen on 0\.0\.0\.0 without accounts/);
  });
});
