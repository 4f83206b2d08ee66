// Pulls an ONNX diffusion model from a Hugging Face hub (HF_ENDPOINT) into the models
// folder. Only the files the pipeline reads are fetched. Each file is downloaded to a
// ".part" file that survives a cut connection or a stopped process and is resumed with an
// HTTP range request; it becomes the real file only after its hash matches the hub's
// (sha256 for LFS files, the git blob id for small ones). The model folder appears, by
// one rename, only when every file is in place.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { downloadFile, listFiles, type ListFileEntry } from '@huggingface/hub';
import { DarkroomError } from '../domain/errors.js';
import { folderFor, MANIFEST, type ModelManifest } from './catalog.js';

// text_encoder_2 and tokenizer_2 are SDXL's second encoder and its tokenizer; vae_decoder_tiny a
// TAESD; transformer the denoiser of the flow-matching models (Z-Image, SD3, Flux).
const SUBMODELS = ['text_encoder', 'text_encoder_2', 'unet', 'transformer', 'vae_decoder', 'vae_encoder', 'vae_decoder_tiny'];
const TOKENIZERS = ['tokenizer', 'tokenizer_2'];
const REQUIRED = ['model_index.json', 'text_encoder/model.onnx', 'vae_decoder/model.onnx'];
/** A UNet with CLIP's vocabulary, or a transformer with a tokenizer.json: one of them must be there. */
const DENOISERS = [
  ['unet/model.onnx', 'tokenizer/vocab.json', 'tokenizer/merges.txt'],
  ['transformer/model.onnx', 'tokenizer/tokenizer.json'],
];

/** The files of an Optimum/diffusers ONNX export the pipeline needs (no PyTorch weights). */
export function wanted(path: string): boolean {
  // darkroom.json: Darkroom's notes on a model (example prompts), when a repo carries them.
  if (path === 'model_index.json' || path === 'darkroom.json') return true;
  const [folder, file, ...rest] = path.split('/');
  if (!file || rest.length > 0) return false;
  if (folder === 'scheduler' || TOKENIZERS.includes(folder!)) return file.endsWith('.json') || file.endsWith('.txt');
  if (!SUBMODELS.includes(folder!)) return false;
  return file === 'config.json' || file.endsWith('.onnx') || file.endsWith('.onnx_data') || file === 'weights.pb';
}

interface HubAccess {
  repo: string;
  revision: string;
  hubUrl: string;
  accessToken?: string;
  fetch?: typeof fetch;
}

export interface PullProgress {
  file: string;
  fileBytes: number;
  fileSize: number;
  doneBytes: number;
  totalBytes: number;
}

export interface PullOptions {
  repo: string;
  revision?: string;
  modelsDir: string;
  hubUrl: string;
  accessToken?: string;
  onProgress?: (progress: PullProgress) => void;
  /** Attempts per file before giving up; each resumes where the last one stopped. */
  attempts?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

async function fileHash(path: string, algorithm: 'sha256' | 'sha1', prefix?: string): Promise<string> {
  const hash = createHash(algorithm);
  if (prefix) hash.update(prefix);
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Checks a finished download against the hub's hash for it. */
async function verify(path: string, entry: ListFileEntry): Promise<void> {
  const { size } = await stat(path);
  let expected: string | undefined;
  let actual: string | undefined;
  if (entry.lfs) {
    expected = entry.lfs.oid;
    actual = await fileHash(path, 'sha256');
  } else if (entry.oid) {
    // A git blob id: sha1 over "blob <size>\0" and the content.
    expected = entry.oid;
    actual = await fileHash(path, 'sha1', `blob ${size}\0`);
  }
  if (expected !== undefined && actual !== expected) {
    throw new DarkroomError('checksum_mismatch', `${entry.path} does not match the hub's checksum (expected ${expected}, got ${actual}); it was deleted`);
  }
}

function sizeOf(entry: ListFileEntry): number {
  return entry.lfs?.size ?? entry.size;
}

export async function pullModel(options: PullOptions): Promise<{ path: string; manifest: ModelManifest }> {
  const { repo, modelsDir, hubUrl } = options;
  const revision = options.revision ?? 'main';
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) {
    throw new DarkroomError('invalid_parameter', `Expected a hub repo as owner/name, got "${repo}"`);
  }
  const common: HubAccess = {
    repo,
    revision,
    hubUrl,
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const final = join(modelsDir, folderFor(repo));
  if (existsSync(final)) {
    throw new DarkroomError('model_exists', `${repo} is already installed (remove it first with "darkroom models rm ${repo}")`);
  }

  let entries: ListFileEntry[] = [];
  try {
    for await (const entry of listFiles({ ...common, recursive: true })) {
      if (entry.type === 'file' && wanted(entry.path)) entries.push(entry);
    }
  } catch (error) {
    const message = (error as Error).message;
    const code = /not found|404/i.test(message) ? 'model_not_found' : 'download_failed';
    // fetch says only "fetch failed"; the reason (no DNS, refused, timed out) is its cause.
    const reason = (error as { cause?: { code?: string } }).cause?.code;
    const unreachable = reason ? ` (${reason}: the hub cannot be reached; check the network, or set HF_ENDPOINT to a mirror)` : '';
    throw new DarkroomError(code, `Cannot list ${repo}@${revision} on ${hubUrl}: ${message}${unreachable}`, { cause: error });
  }
  const lacks = (paths: string[]) => paths.filter((path) => !entries.some((e) => e.path === path));
  // The denoiser whose graph is there says what else is missing; with neither graph, both are named.
  const present = DENOISERS.find((set) => lacks(set.slice(0, 1)).length === 0);
  const denoiser = present ? lacks(present) : [DENOISERS.map((set) => set[0]).join(' or ')];
  const missing = [...lacks(REQUIRED), ...denoiser];
  if (missing.length > 0) {
    throw new DarkroomError('model_invalid', `${repo} is not an ONNX diffusion export Darkroom reads: it has no ${missing.join(', ')}`);
  }
  entries = entries.sort((a, b) => a.path.localeCompare(b.path));

  const partial = `${final}.partial`;
  const totalBytes = entries.reduce((n, e) => n + sizeOf(e), 0);
  let doneBytes = 0;
  for (const entry of entries) {
    const target = join(partial, entry.path);
    const size = sizeOf(entry);
    if (!existsSync(target)) {
      await mkdir(dirname(target), { recursive: true });
      await downloadResumable(entry, target, size, common, options, (fileBytes) =>
        options.onProgress?.({ file: entry.path, fileBytes, fileSize: size, doneBytes: doneBytes + fileBytes, totalBytes }),
      );
    }
    doneBytes += size;
    options.onProgress?.({ file: entry.path, fileBytes: size, fileSize: size, doneBytes, totalBytes });
  }

  const manifest: ModelManifest = {
    repo,
    revision,
    pulledAt: new Date().toISOString(),
    files: entries.map((e) => ({ path: e.path, size: sizeOf(e), ...(e.lfs ? { sha256: e.lfs.oid } : e.oid ? { gitOid: e.oid } : {}) })),
  };
  await writeFile(join(partial, MANIFEST), JSON.stringify(manifest, null, 2));
  await rename(partial, final);
  return { path: final, manifest };
}

async function downloadResumable(
  entry: ListFileEntry,
  target: string,
  size: number,
  common: HubAccess,
  options: PullOptions,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const part = `${target}.part`;
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw new DarkroomError('cancelled', 'The download was cancelled; run the same pull again to resume');
    let have = existsSync(part) ? (await stat(part)).size : 0;
    if (have > size) {
      await rm(part);
      have = 0;
    }
    try {
      if (have < size) {
        const blob = await downloadFile({ ...common, path: entry.path });
        if (!blob) throw new DarkroomError('download_failed', `${entry.path} is listed but cannot be downloaded`);
        let written = have;
        const body = Readable.fromWeb(blob.slice(have).stream() as import('node:stream/web').ReadableStream);
        body.on('data', (chunk: Buffer) => {
          written += chunk.length;
          onBytes(written);
        });
        await pipeline(body, createWriteStream(part, { flags: have > 0 ? 'a' : 'w' }), options.signal ? { signal: options.signal } : {});
      }
      try {
        await verify(part, entry);
      } catch (error) {
        await rm(part, { force: true });
        throw error;
      }
      await rename(part, target);
      return;
    } catch (error) {
      if (DarkroomError.isInstance(error) && error.code !== 'download_failed') throw error;
      if (options.signal?.aborted) throw new DarkroomError('cancelled', 'The download was cancelled; run the same pull again to resume');
      if (attempt >= attempts) {
        throw new DarkroomError('download_failed', `Downloading ${entry.path} failed after ${attempts} attempts: ${(error as Error).message}; run the same pull again to resume`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(8000, 250 * 2 ** attempt)));
    }
  }
}
