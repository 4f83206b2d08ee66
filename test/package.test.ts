// Darkroom as users get it. A fresh copy of the project (no dist/, no web/dist) is packed:
// `npm pack` runs `prepare`, the script `npm install` and `npm ci` run in a clone, which must
// build both the server and the studio. The tarball holds them built, and nothing of the
// tests, the sources or the training tools; installed into an empty folder (one install per
// run: it compiles better-sqlite3, which takes minutes) it runs `darkroom generate` and
// `darkroom serve` serves the studio, with no build step.

import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/config.js';

const run = promisify(execFile);
const MINUTES = 60_000;
const root = packageRoot();

// What .gitignore keeps out of a clone.
const NOT_IN_A_CLONE = new Set(['.git', 'node_modules', 'dist', join('web', 'dist'), 'data', 'coverage', 'test-output', join('tools', 'train-tiny', 'work')]);

/**
 * The environment for the npm and darkroom this test starts: without what `npm test` and
 * vitest set for themselves (npm_config_* would point a child npm at this project, and
 * NODE_ENV=test would make Vite bundle React's development build).
 */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|NODE_ENV$|NODE_OPTIONS$|VITEST|INIT_CWD$)/i.test(name)));
  return { ...env, ...extra };
}

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

let work: string;
let clone: string;
let installed: string;
let pack: PackResult;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'darkroom-package-'));
  clone = join(work, 'clone');
  cpSync(root, clone, {
    recursive: true,
    filter: (source) => {
      const path = relative(root, source);
      return !NOT_IN_A_CLONE.has(path) && !path.split(sep).includes('__pycache__');
    },
  });
  // The build tools come from this project's own install (a clone would run `npm ci` first).
  await symlink(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: clone, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 10 * MINUTES });
  // Script output comes first on stdout; the JSON report is the last thing printed.
  pack = (JSON.parse(packed.stdout.slice(packed.stdout.lastIndexOf('\n[') + 1)) as PackResult[])[0]!;

  installed = join(work, 'installed');
  await mkdir(installed);
  // The install-script policy README asks of a project that installs Darkroom.
  await writeFile(
    join(installed, 'package.json'),
    JSON.stringify({ private: true, allowScripts: { 'better-sqlite3': true, 'onnxruntime-node': false, protobufjs: false, 'core-js': false, darkroom: false } }),
  );
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, pack.filename)], {
    cwd: installed,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 20 * MINUTES,
  });
}, 30 * MINUTES);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the package', () => {
  it('is built by prepare, which npm install and npm ci run in a clone: the server and the studio', () => {
    const manifest = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts.prepare).toBeDefined();
    expect(existsSync(join(clone, 'dist', 'src', 'cli', 'bin.js'))).toBe(true);
    expect(existsSync(join(clone, 'web', 'dist', 'index.html'))).toBe(true);
  });

  it('ships the built server, the built studio and the built-in model, and no tests, sources or training tools', () => {
    const paths = pack.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['bin/darkroom.js', 'dist/src/cli/bin.js', 'dist/src/app.js', 'web/dist/index.html', 'models/darkroom-tiny/model_index.json']));
    expect(paths.some((p) => p.startsWith('web/dist/assets/') && p.endsWith('.js'))).toBe(true);
    const stray = paths.filter((p) => !/^(bin|dist\/src|web\/dist|models)\//.test(p) && !['package.json', 'README.md', 'LICENSE'].includes(p));
    expect(stray).toEqual([]);
    expect(paths.filter((p) => /\.test\.|\.ts$|\.map$|^test\/|^tools\//.test(p))).toEqual([]);
  });

  it('installed into an empty folder, runs `darkroom generate`', async () => {
    const bin = join(installed, 'node_modules', '.bin', 'darkroom');
    const env = cleanEnv({ DARKROOM_DATA_DIR: join(installed, 'data') });
    const { stdout } = await run(bin, ['generate', 'a red circle on a blue background', '--steps', '4', '--seed', '1', '-o', 'out.png'], { cwd: installed, env, timeout: 5 * MINUTES });
    expect(stdout.trim()).toBe(join(installed, 'out.png'));
    const meta = await sharp(join(installed, 'out.png')).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBeGreaterThan(0);
  }, 5 * MINUTES);

  it('installed into an empty folder, serves the studio', async () => {
    const bin = join(installed, 'node_modules', '.bin', 'darkroom');
    const child = spawn(bin, ['serve', '--port', '0'], { cwd: installed, env: cleanEnv({ DARKROOM_DATA_DIR: join(installed, 'data') }), stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const match = /running on (http:\/\/\S+)/.exec(stderr);
          if (match) resolve(match[1]!);
        });
        child.on('exit', (code) => reject(new Error(`darkroom serve exited with ${code}: ${stderr}`)));
      });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).not.toContain('has not been built');
      const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect((await fetch(`${url}${script}`)).status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    }
  });
});
