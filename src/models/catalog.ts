// The models Darkroom can run: the built-in ones shipped in the package and the ones
// pulled into the models folder (each a folder with model_index.json and, when pulled
// from the hub, a darkroom-model.json manifest). Names: built-in models by their folder
// name, pulled ones by their hub repo ("owner/name"), or just "name" when unambiguous.

import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DarkroomError } from '../domain/errors.js';

export const MANIFEST = 'darkroom-model.json';

export interface ModelManifest {
  repo: string;
  revision: string;
  commit?: string;
  pulledAt: string;
  files: { path: string; size: number; sha256?: string; gitOid?: string }[];
}

export interface ModelEntry {
  name: string;
  path: string;
  source: 'built-in' | 'hub' | 'local';
  engine: 'diffusion';
  manifest?: ModelManifest;
}

/** Folder name for a hub repo: "owner/name" -> "owner--name", as the hub's own cache does. */
export function folderFor(repo: string): string {
  return repo.replace('/', '--');
}

/** Bytes on disk of a model's folder. */
export async function folderSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export class ModelCatalog {
  constructor(private readonly dirs: { builtInModelsDir: string; modelsDir: string }) {}

  async list(): Promise<ModelEntry[]> {
    const entries: ModelEntry[] = [];
    for (const [dir, builtIn] of [
      [this.dirs.builtInModelsDir, true],
      [this.dirs.modelsDir, false],
    ] as const) {
      if (!existsSync(dir)) continue;
      for (const item of await readdir(dir, { withFileTypes: true })) {
        // Unfinished pulls live in "<folder>.partial" and are not models yet.
        if (!item.isDirectory() || item.name.endsWith('.partial')) continue;
        const path = join(dir, item.name);
        if (!existsSync(join(path, 'model_index.json'))) continue;
        const manifest = existsSync(join(path, MANIFEST))
          ? (JSON.parse(await readFile(join(path, MANIFEST), 'utf8')) as ModelManifest)
          : undefined;
        entries.push({
          name: manifest?.repo ?? item.name,
          path,
          source: builtIn ? 'built-in' : manifest ? 'hub' : 'local',
          engine: 'diffusion',
          ...(manifest ? { manifest } : {}),
        });
      }
    }
    return entries;
  }

  async resolve(name: string): Promise<ModelEntry> {
    const all = await this.list();
    const exact = all.find((m) => m.name === name);
    if (exact) return exact;
    const byShortName = all.filter((m) => m.name.split('/').pop() === name);
    if (byShortName.length === 1) return byShortName[0]!;
    if (byShortName.length > 1) {
      throw new DarkroomError('invalid_parameter', `"${name}" matches ${byShortName.map((m) => m.name).join(' and ')}; use the full name`);
    }
    const known = all.map((m) => m.name).join(', ') || 'none';
    throw new DarkroomError('model_not_found', `Unknown model "${name}" (installed: ${known}; see "darkroom models list")`);
  }

  async remove(name: string): Promise<ModelEntry> {
    const model = await this.resolve(name);
    if (model.source === 'built-in') {
      throw new DarkroomError('invalid_parameter', `${model.name} is built in and cannot be removed`);
    }
    await rm(model.path, { recursive: true, force: true });
    return model;
  }
}
