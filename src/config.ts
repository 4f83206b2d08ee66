// Configuration from the environment (names in INTERFACE.md), parsed once at start-up and
// passed down; nothing else reads process.env.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Config {
  dataDir: string;
  modelsDir: string;
  /** Where built-in models ship (inside the package). */
  builtInModelsDir: string;
  hfEndpoint: string;
  host: string;
  port: number;
}

/** The folder holding Darkroom's package.json, from source or from dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'darkroom') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the darkroom package root');
    dir = parent;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const dataDir = resolve(cwd, env.DARKROOM_DATA_DIR || './data');
  const port = Number(env.DARKROOM_PORT || 7860);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Expected DARKROOM_PORT to be a port number from 0 to 65535, got ${env.DARKROOM_PORT}`);
  }
  return {
    dataDir,
    modelsDir: resolve(cwd, env.DARKROOM_MODELS_DIR || join(dataDir, 'models')),
    builtInModelsDir: join(packageRoot(), 'models'),
    hfEndpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    host: env.DARKROOM_HOST || '127.0.0.1',
    port,
  };
}
