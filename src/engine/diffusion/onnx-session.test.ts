// The session pool on real onnxruntime sessions: closing one model's folder releases only
// the sessions inside that folder.

import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config.js';
import { SessionPool } from './onnx-session.js';

const pool = new SessionPool();
let dir: string | undefined;
afterAll(async () => {
  await pool.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function modelIn(folder: string): Promise<string> {
  const path = join(folder, 'vae_decoder', 'model.onnx');
  await mkdir(join(folder, 'vae_decoder'), { recursive: true });
  await copyFile(join(packageRoot(), 'models', 'darkroom-tiny', 'vae_decoder', 'model.onnx'), path);
  return path;
}

describe('SessionPool.close', () => {
  it('releases the sessions of one model folder and not of a folder whose name starts the same', async () => {
    dir = await mkdtemp(join(tmpdir(), 'darkroom-sessions-'));
    const sd = await modelIn(join(dir, 'a--sd'));
    const turbo = await modelIn(join(dir, 'a--sd-turbo'));
    const [sdBefore, turboBefore] = [await pool.get(sd), await pool.get(turbo)];

    await pool.close(join(dir, 'a--sd'));

    // A released session is opened afresh on the next get; a kept one is the same object.
    expect(await pool.get(turbo)).toBe(turboBefore);
    expect(await pool.get(sd)).not.toBe(sdBefore);
  });
});
