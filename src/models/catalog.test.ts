// The catalog on real folders: a pulled model whose manifest is corrupt is left out of the
// list and refused by name, while every other model keeps working.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST, ModelCatalog, type ModelManifest } from './catalog.js';

let root: string;
let catalog: ModelCatalog;

async function modelFolder(dir: string, manifest?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model_index.json'), '{}');
  if (manifest !== undefined) await writeFile(join(dir, MANIFEST), manifest);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'darkroom-catalog-'));
  const good: ModelManifest = { repo: 'a/good', revision: 'main', pulledAt: '2025-01-01T00:00:00.000Z', files: [] };
  await modelFolder(join(root, 'built-in', 'tiny'));
  await modelFolder(join(root, 'models', 'a--good'), JSON.stringify(good));
  await modelFolder(join(root, 'models', 'b--broken'), '{"repo": "b/bro');
  catalog = new ModelCatalog({ builtInModelsDir: join(root, 'built-in'), modelsDir: join(root, 'models') });
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('ModelCatalog with a corrupt manifest', () => {
  it('lists and resolves the other models', async () => {
    expect((await catalog.list()).map((m) => m.name)).toEqual(['tiny', 'a/good']);
    expect((await catalog.resolve('tiny')).source).toBe('built-in');
    expect((await catalog.resolve('good')).name).toBe('a/good');
  });

  it.each(['b/broken', 'broken'])('refuses %s as model_invalid, naming the manifest', async (name) => {
    await expect(catalog.resolve(name)).rejects.toMatchObject({
      code: 'model_invalid',
      message: expect.stringContaining(join(root, 'models', 'b--broken', MANIFEST)),
    });
  });

  it('refuses a manifest that is JSON but not a manifest', async () => {
    await writeFile(join(root, 'models', 'b--broken', MANIFEST), '[]');
    expect((await catalog.list()).map((m) => m.name)).toEqual(['tiny', 'a/good']);
    await expect(catalog.resolve('b/broken')).rejects.toMatchObject({ code: 'model_invalid' });
  });

  it('removes the broken model, so it can be pulled again', async () => {
    expect((await catalog.remove('b/broken')).path).toBe(join(root, 'models', 'b--broken'));
    expect(existsSync(join(root, 'models', 'b--broken'))).toBe(false);
  });
});

describe('ModelCatalog looking at the folders', () => {
  it('answers resolves from one look for a second, and looks again for a name it does not know', async () => {
    let now = 0;
    const timed = new ModelCatalog({ builtInModelsDir: join(root, 'built-in'), modelsDir: join(root, 'models') }, () => now);
    expect((await timed.resolve('tiny')).name).toBe('tiny');
    await rm(join(root, 'built-in', 'tiny'), { recursive: true });
    now = 900;
    // Within the second: the look before the removal on disk still answers.
    expect((await timed.resolve('tiny')).name).toBe('tiny');
    await modelFolder(join(root, 'models', 'fresh'));
    // A name the last look does not know is looked for again at once.
    expect((await timed.resolve('fresh')).source).toBe('local');
    now = 2000;
    await expect(timed.resolve('tiny')).rejects.toMatchObject({ code: 'model_not_found' });
    // The list always looks.
    expect((await timed.list()).map((m) => m.name)).toEqual(['a/good', 'fresh']);
  });

  it('forgets a removed model at once', async () => {
    const timed = new ModelCatalog({ builtInModelsDir: join(root, 'built-in'), modelsDir: join(root, 'models') }, () => 0);
    expect((await timed.resolve('good')).name).toBe('a/good');
    await timed.remove('a/good');
    await expect(timed.resolve('good')).rejects.toMatchObject({ code: 'model_not_found' });
  });
});
