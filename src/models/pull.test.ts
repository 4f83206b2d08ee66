// Pulling against a local hub that serves a copy of darkroom-tiny in the hub's layout.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../config.js';
import { startHub, type HubServer } from '../../test/helpers/hub-server.js';
import { ModelCatalog } from './catalog.js';
import { pullModel, type PullProgress } from './pull.js';

const TINY = join(packageRoot(), 'models', 'darkroom-tiny');
const REPO = 'darkroom/tiny-onnx';

let modelsDir: string;
let hub: HubServer | undefined;

beforeEach(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'darkroom-pull-'));
});
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await rm(modelsDir, { recursive: true, force: true });
});

function rangeStart(range: string | undefined): number {
  return Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1]);
}

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('pullModel', () => {
  it('downloads every file of the export, verified, with progress, and the catalog lists it', async () => {
    hub = await startHub(REPO, TINY);
    const progress: PullProgress[] = [];
    const { path } = await pullModel({ repo: REPO, modelsDir, hubUrl: hub.url, onProgress: (p) => progress.push(p) });
    const served = filesOf(TINY).filter((f) => f !== 'README.md');
    expect(filesOf(path)).toEqual([...served, 'darkroom-model.json'].sort());
    for (const file of served) expect(readFileSync(join(path, file)).equals(readFileSync(join(TINY, file)))).toBe(true);
    const total = served.reduce((n, f) => n + statSync(join(TINY, f)).size, 0);
    expect(progress.at(-1)).toMatchObject({ doneBytes: total, totalBytes: total });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.doneBytes).toBeGreaterThanOrEqual(progress[i - 1]!.doneBytes);
    expect(progress.some((p) => p.fileBytes > 0 && p.fileBytes < p.fileSize)).toBe(true);
    const catalog = new ModelCatalog({ builtInModelsDir: join(packageRoot(), 'models'), modelsDir });
    expect((await catalog.resolve('tiny-onnx')).name).toBe(REPO);
    expect((await catalog.resolve(REPO)).source).toBe('hub');
  });

  it('resumes a file after the connection is cut, with a range request from where it stopped', async () => {
    hub = await startHub(REPO, TINY, { cutAfter: new Map([['unet/model.onnx', 200_000]]) });
    const { path } = await pullModel({ repo: REPO, modelsDir, hubUrl: hub.url });
    expect(readFileSync(join(path, 'unet/model.onnx')).equals(readFileSync(join(TINY, 'unet/model.onnx')))).toBe(true);
    // The bytes that arrived before the cut are kept; the retry asks only for the rest.
    const resumed = hub.requests.filter((r) => r.path.startsWith('/cdn/') && r.range && !r.range.startsWith('bytes=0-'));
    expect(resumed).toHaveLength(1);
    const from = rangeStart(resumed[0]!.range);
    expect(from).toBeGreaterThan(100_000);
    expect(from).toBeLessThanOrEqual(200_000);
  });

  it('keeps a partial file when a pull gives up, and the next pull continues it', async () => {
    hub = await startHub(REPO, TINY, { cutAfter: new Map([['unet/model.onnx', 300_000]]) });
    await expect(pullModel({ repo: REPO, modelsDir, hubUrl: hub.url, attempts: 1 })).rejects.toMatchObject({ code: 'download_failed' });
    const part = join(modelsDir, 'darkroom--tiny-onnx.partial', 'unet', 'model.onnx.part');
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(100_000);
    expect(existsSync(join(modelsDir, 'darkroom--tiny-onnx'))).toBe(false);
    const before = hub.requests.length;
    const { path } = await pullModel({ repo: REPO, modelsDir, hubUrl: hub.url, attempts: 1 });
    expect(readFileSync(join(path, 'unet/model.onnx')).equals(readFileSync(join(TINY, 'unet/model.onnx')))).toBe(true);
    const later = hub.requests.slice(before).filter((r) => r.path.startsWith('/cdn/') && r.range && !r.range.startsWith('bytes=0-'));
    expect(later.map((r) => rangeStart(r.range))).toEqual([kept]);
    // Files finished in the first run are not fetched again.
    expect(hub.requests.slice(before).some((r) => r.path.endsWith('text_encoder/model.onnx'))).toBe(false);
  });

  it('refuses a file whose sha256 does not match and leaves no model behind', async () => {
    hub = await startHub(REPO, TINY, { wrongSha256: new Set(['vae_decoder/model.onnx']) });
    await expect(pullModel({ repo: REPO, modelsDir, hubUrl: hub.url })).rejects.toMatchObject({
      code: 'checksum_mismatch',
      message: expect.stringContaining('vae_decoder/model.onnx'),
    });
    expect(existsSync(join(modelsDir, 'darkroom--tiny-onnx'))).toBe(false);
    expect(existsSync(join(modelsDir, 'darkroom--tiny-onnx.partial', 'vae_decoder', 'model.onnx.part'))).toBe(false);
  });

  it('says when the repo does not exist', async () => {
    hub = await startHub(REPO, TINY);
    await expect(pullModel({ repo: 'nobody/nothing', modelsDir, hubUrl: hub.url })).rejects.toMatchObject({ code: 'model_not_found' });
  });

  it('says why when the hub cannot be reached, and what to do', async () => {
    hub = await startHub(REPO, TINY);
    const closed = hub.url;
    await hub.close();
    hub = undefined;
    await expect(pullModel({ repo: REPO, modelsDir, hubUrl: closed })).rejects.toMatchObject({
      code: 'download_failed',
      message: expect.stringMatching(/fetch failed \(ECONNREFUSED: the hub cannot be reached; check the network, or set HF_ENDPOINT to a mirror\)$/),
    });
  });

  it('says when the repo is not an ONNX diffusion export', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'darkroom-notonnx-'));
    await mkdir(join(folder, 'unet'));
    await writeFile(join(folder, 'model_index.json'), '{}');
    await writeFile(join(folder, 'unet', 'diffusion_pytorch_model.safetensors'), 'x');
    hub = await startHub('someone/torch-only', folder);
    await expect(pullModel({ repo: 'someone/torch-only', modelsDir, hubUrl: hub.url })).rejects.toMatchObject({
      code: 'model_invalid',
      message: expect.stringContaining('unet/model.onnx'),
    });
    await rm(folder, { recursive: true });
  });

  it('will not pull over an installed model', async () => {
    hub = await startHub(REPO, TINY);
    await pullModel({ repo: REPO, modelsDir, hubUrl: hub.url });
    await expect(pullModel({ repo: REPO, modelsDir, hubUrl: hub.url })).rejects.toMatchObject({ code: 'model_exists' });
  });
});
