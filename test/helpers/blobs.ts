// The blob store as it lies on disk, for tests that check what was written or erased.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Every blob file under `root` (a data folder's blobs/, or a copy of it), leaving out tmp/. */
export async function blobFiles(root: string): Promise<string[]> {
  const folders = (await readdir(root)).filter((name) => name !== 'tmp');
  return (await Promise.all(folders.map(async (folder) => (await readdir(join(root, folder))).map((name) => join(root, folder, name))))).flat();
}
