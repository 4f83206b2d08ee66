import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBlobStore, newBlobKey } from './blob-store.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-blobs-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('FileBlobStore', () => {
  it('stores, reads and deletes blobs by key', async () => {
    const blobs = new FileBlobStore(root);
    const key = newBlobKey();
    await blobs.put(key, Buffer.from('hello'));
    expect((await blobs.get(key))?.toString()).toBe('hello');
    await blobs.delete(key);
    expect(await blobs.get(key)).toBeUndefined();
    await blobs.delete(key);
  });

  it('leaves no temporary file behind a finished write', async () => {
    const blobs = new FileBlobStore(root);
    await blobs.put(newBlobKey(), Buffer.alloc(100_000, 7));
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('sweeps what a crash left half-written, which was never visible under a key', async () => {
    const blobs = new FileBlobStore(root);
    await mkdir(join(root, 'tmp'), { recursive: true });
    await writeFile(join(root, 'tmp', 'abcdefgh.123'), 'partial');
    expect(await blobs.get('abcdefgh')).toBeUndefined();
    expect(await blobs.sweepTemporary()).toBe(1);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it.each(['../escape', 'a/b', 'short', ''])('refuses the key %j', async (key) => {
    await expect(new FileBlobStore(root).put(key, Buffer.from('x'))).rejects.toThrow(/Invalid blob key/);
  });
});
