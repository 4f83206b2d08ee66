// Where image bytes live. Keys are random ids, never user data. The filesystem store
// writes each blob to a temporary file, flushes it, and renames it into place, so a crash
// leaves either the whole blob or nothing under its key.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface BlobStore {
  put(key: string, data: Uint8Array): Promise<void>;
  /** undefined when there is no such blob. */
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9_-]{8,80}$/;

export class FileBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    if (!KEY.test(key)) throw new RangeError(`Invalid blob key "${key}"`);
    return join(this.root, key.slice(0, 2), key);
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.path(key);
    const tmp = join(this.root, 'tmp');
    await mkdir(tmp, { recursive: true });
    await mkdir(join(this.root, key.slice(0, 2)), { recursive: true });
    const temporary = join(tmp, `${key}.${randomBytes(6).toString('hex')}`);
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, target);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** Removes temporary files a crash left behind (they were never visible under a key). */
  async sweepTemporary(): Promise<number> {
    const tmp = join(this.root, 'tmp');
    const names = await readdir(tmp).catch(() => [] as string[]);
    await Promise.all(names.map((name) => rm(join(tmp, name), { force: true })));
    return names.length;
  }
}

export function newBlobKey(): string {
  return randomBytes(18).toString('base64url');
}
