// Finding files that ship inside installed npm packages (model weights, resource lists),
// resolved from this module so the answer is the same from src/, dist/ and tests.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DarkroomError } from '../../domain/errors.js';

const require = createRequire(import.meta.url);

/**
 * The root folder of an installed package. `entry` is any specifier the package exports
 * (its package.json is often not exported), from which we walk up to the manifest.
 */
export function packageDir(name: string, entry: string = name): string {
  let dir: string;
  try {
    dir = dirname(require.resolve(entry));
  } catch (error) {
    throw new DarkroomError('model_not_found', `The package ${name} is not installed (npm install ${name})`, { cause: error });
  }
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === name) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new DarkroomError('model_not_found', `Cannot find the folder of the package ${name}`);
    dir = parent;
  }
}

/** `require` for CommonJS entries of weight packages (their ESM builds use extensionless imports). */
export function requirePackage<T>(specifier: string): T {
  return require(specifier) as T;
}
