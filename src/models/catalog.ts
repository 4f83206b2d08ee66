// The models Darkroom can run: the built-in ones shipped in the package and the ones
// pulled into the models folder (each a folder with model_index.json and, when pulled
// from the hub, a darkroom-model.json manifest). Names: built-in models by their folder
// name, pulled ones by their hub repo ("owner/name"), or just "name" when unambiguous.
// A folder with an unreadable manifest is left out of the list and refused only by name.

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

/** A model folder as found on disk; `problem` when its manifest cannot be read. */
interface FoundModel {
  entry: ModelEntry;
  problem?: DarkroomError;
}

/** The manifest, or why it cannot be used (so one broken folder does not hide the others). */
async function readManifest(path: string): Promise<ModelManifest | Error> {
  try {
    const json: unknown = JSON.parse(await readFile(path, 'utf8'));
    const m = json as Partial<ModelManifest> | null;
    if (typeof m !== 'object' || m === null || typeof m.repo !== 'string' || typeof m.revision !== 'string' || typeof m.pulledAt !== 'string' || !Array.isArray(m.files)) {
      return new Error('expected an object with repo, revision, pulledAt and files');
    }
    return m as ModelManifest;
  } catch (error) {
    return error as Error;
  }
}

/** How long one look at the model folders answers for: every submission resolves its model. */
const FRESH_MS = 1000;

export class ModelCatalog {
  /** The look at the folders under way, if any. */
  private scanning: Promise<FoundModel[]> | undefined;
  /** The last look and when it began. */
  private last: { found: FoundModel[]; at: number } | undefined;
  /** Counts removals, so that a look begun before one does not bring the model back. */
  private removals = 0;

  constructor(
    private readonly dirs: { builtInModelsDir: string; modelsDir: string },
    /** Milliseconds on a steady clock. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The usable models; a folder whose manifest is unreadable is left out (resolving it says why). */
  async list(): Promise<ModelEntry[]> {
    return (await this.scan(true)).filter((found) => !found.problem).map((found) => found.entry);
  }

  /**
   * The model by name; model_invalid when that model's manifest cannot be read. A name the
   * last look (within a second) does not know gets a fresh look, so a model pulled a
   * moment ago is found at once.
   */
  async resolve(name: string): Promise<ModelEntry> {
    const recent = this.last && this.now() - this.last.at < FRESH_MS ? this.last.found : undefined;
    const found = recent && this.known(name, recent) ? this.find(name, recent) : this.find(name, await this.scan(true));
    if (found.problem) throw found.problem;
    return found.entry;
  }

  private known(name: string, all: FoundModel[]): boolean {
    return all.some((m) => m.entry.name === name || m.entry.name.split('/').pop() === name);
  }

  /** Deletes a pulled model, also one whose manifest is unreadable (the way to repair it). */
  async remove(name: string): Promise<ModelEntry> {
    const { entry: model } = this.find(name, await this.scan());
    if (model.source === 'built-in') {
      throw new DarkroomError('invalid_parameter', `${model.name} is built in and cannot be removed`);
    }
    await rm(model.path, { recursive: true, force: true });
    this.removals++;
    this.last = undefined;
    return model;
  }

  private find(name: string, all: FoundModel[]): FoundModel {
    const exact = all.find((m) => m.entry.name === name);
    if (exact) return exact;
    const byShortName = all.filter((m) => m.entry.name.split('/').pop() === name);
    if (byShortName.length === 1) return byShortName[0]!;
    if (byShortName.length > 1) {
      throw new DarkroomError('invalid_parameter', `"${name}" matches ${byShortName.map((m) => m.entry.name).join(' and ')}; use the full name`);
    }
    const known = all.map((m) => m.entry.name).join(', ') || 'none';
    throw new DarkroomError('model_not_found', `Unknown model "${name}" (installed: ${known}; see "darkroom models list")`);
  }

  /** Callers at the same moment share one look at the folders; `fresh` skips the last one's answer. */
  private scan(fresh = false): Promise<FoundModel[]> {
    if (!fresh && this.last && this.now() - this.last.at < FRESH_MS) return Promise.resolve(this.last.found);
    this.scanning ??= this.look().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async look(): Promise<FoundModel[]> {
    const [at, removals] = [this.now(), this.removals];
    const found = await this.read();
    if (removals === this.removals) this.last = { found, at };
    return found;
  }

  private async read(): Promise<FoundModel[]> {
    const found: FoundModel[] = [];
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
        const manifestPath = join(path, MANIFEST);
        const manifest = existsSync(manifestPath) ? await readManifest(manifestPath) : undefined;
        if (manifest instanceof Error) {
          // Only pulls write a manifest, into folderFor(repo): the folder still names the repo.
          const name = item.name.replace('--', '/');
          const problem = new DarkroomError(
            'model_invalid',
            `${manifestPath} is unreadable (${manifest.message}); remove the model with "darkroom models rm ${name}" and pull it again`,
            { cause: manifest },
          );
          found.push({ entry: { name, path, source: builtIn ? 'built-in' : 'hub', engine: 'diffusion' }, problem });
          continue;
        }
        found.push({
          entry: {
            name: manifest?.repo ?? item.name,
            path,
            source: builtIn ? 'built-in' : manifest ? 'hub' : 'local',
            engine: 'diffusion',
            ...(manifest ? { manifest } : {}),
          },
        });
      }
    }
    return found;
  }
}
