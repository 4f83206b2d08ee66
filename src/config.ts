// Configuration from the environment (names in INTERFACE.md), parsed once at start-up and
// passed down; nothing else reads process.env.

import { existsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DarkroomError } from './domain/errors.js';
import { loadModerationPolicy, type ModerationPolicy } from './moderation/policy-file.js';
import { parseDuration, retentionFromEnv, type RetentionPolicy } from './privacy/retention.js';

export interface Config {
  dataDir: string;
  modelsDir: string;
  /** Where built-in models ship (inside the package). */
  builtInModelsDir: string;
  hfEndpoint: string;
  host: string;
  port: number;
  /** Jobs run at once (each in its own inference thread). */
  workers: number;
  /** What onnxruntime runs on: cpu, cuda, or auto (CUDA when it is installed, else the CPU). */
  device: DeviceSetting;
  /** onnxruntime threads per operator in each session; 0 leaves the choice to onnxruntime. */
  threads: number;
  /** Queued jobs beyond this are refused with 429. */
  queueLimit: number;
  /** One account's queued jobs beyond this are refused with 429 (by default a quarter of the queue with accounts on, all of it with one local owner). */
  queueLimitPerAccount: number;
  /** Bytes one job's inference may use at its peak, models included; larger jobs are refused, batches split to fit. */
  memoryBudget: number;
  maxUploadBytes: number;
  maxPixels: number;
  /** Preview images per job on event streams (0: none). */
  previews: number;
  retention: RetentionPolicy;
  /** How often the retention purge runs. */
  purgeIntervalMs: number;
  auth: boolean;
  /** Unset: generated once into <data dir>/master.key. */
  masterKey: string | undefined;
  /** Whether anyone may create an account from the sign-in page (accounts on only). */
  signupOpen: boolean;
  startingCredits: number;
  /** Credits per image, by operation; those not named cost 1. */
  costs: Record<string, number>;
  /** Requests per minute per account (or per anonymous address hash). */
  rateLimit: number;
  /** The address users reach the server at (OAuth redirects). */
  publicUrl: string;
  /** Other origins whose pages may send state-changing requests, and whose names are served (normalised, e.g. "https://a.example"). */
  allowedOrigins: string[];
  oauth: Partial<Record<'github' | 'google', { clientId: string; clientSecret: string; base: string | undefined }>>;
  moderation: ModerationPolicy;
  /** Score every job's input and output images with the content classifier. */
  screenImages: boolean;
  logLevel: string;
}

export const DEVICE_SETTINGS = ['cpu', 'cuda', 'auto'] as const;
export type DeviceSetting = (typeof DEVICE_SETTINGS)[number];

function device(env: NodeJS.ProcessEnv): DeviceSetting {
  const value = (env.DARKROOM_DEVICE || 'cpu').toLowerCase() as DeviceSetting;
  if (!DEVICE_SETTINGS.includes(value)) throw new RangeError(`Expected DARKROOM_DEVICE to be cpu, cuda or auto, got "${env.DARKROOM_DEVICE}"`);
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Expected ${name} to be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
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

function onOff(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = (env[name] || (fallback ? 'on' : 'off')).toLowerCase();
  if (raw !== 'on' && raw !== 'off') throw new RangeError(`Expected ${name} to be on or off, got "${env[name]}"`);
  return raw === 'on';
}

/** "txt2img=1,upscale=2": credits per image by operation (operations not named cost 1). */
function parseCosts(text: string): Record<string, number> {
  const costs: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [operation, value] = part.split('=');
    const cost = Number(value);
    if (!operation || !Number.isInteger(cost) || cost < 0) throw new RangeError(`Expected DARKROOM_COSTS like "txt2img=1,img2img=2", got "${text}"`);
    costs[operation.trim()] = cost;
  }
  return costs;
}

function oauthFrom(env: NodeJS.ProcessEnv): Config['oauth'] {
  const out: Config['oauth'] = {};
  for (const provider of ['github', 'google'] as const) {
    const prefix = `DARKROOM_OAUTH_${provider.toUpperCase()}`;
    const clientId = env[`${prefix}_CLIENT_ID`];
    const clientSecret = env[`${prefix}_CLIENT_SECRET`];
    if (clientId && clientSecret) out[provider] = { clientId, clientSecret, base: env[`${prefix}_BASE`] || undefined };
  }
  return out;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** INTERFACE.md names the scale-out settings; until they are built, setting one is an error, not silently ignored. */
const NOT_YET = {
  DARKROOM_DATABASE_URL: 'Darkroom stores everything in SQLite in the data folder',
  DARKROOM_REDIS_URL: 'Darkroom queues jobs in its own database',
  DARKROOM_S3_BUCKET: 'Darkroom keeps image files in the data folder',
  DARKROOM_S3_ENDPOINT: 'Darkroom keeps image files in the data folder',
};

/** How often the purge runs: at least a second, and within what a timer can wait (24 days). */
function purgeInterval(env: NodeJS.ProcessEnv): number {
  const ms = parseDuration(env.DARKROOM_PURGE_INTERVAL || '15m', 'DARKROOM_PURGE_INTERVAL');
  if (ms === null || ms < 1000 || ms > 2 ** 31 - 1) {
    throw new RangeError(`Expected DARKROOM_PURGE_INTERVAL to be from 1s to 24d, got "${env.DARKROOM_PURGE_INTERVAL}"`);
  }
  return ms;
}

/** "https://a.example,http://b.example:8080": origins, each scheme://host[:port] and nothing more. */
function parseOrigins(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      let url: URL | undefined;
      try {
        url = new URL(part);
      } catch {
        url = undefined;
      }
      // No wildcards: each origin is written out.
      const bare = url && /^[a-z0-9.\-[\]:]+$/.test(url.hostname) && url.pathname === '/' && !url.search && !url.hash && !url.username && !url.password;
      if (!url || !bare || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        throw new RangeError(`Expected DARKROOM_ALLOWED_ORIGINS to be origins like "https://studio.example.com,http://192.168.1.5:8080", got "${part}"`);
      }
      return url.origin;
    });
}

/** DARKROOM_MEMORY_BUDGET like "8GB" or "1024MB"; by default half the machine's memory, shared by the workers. */
function memoryBudget(env: NodeJS.ProcessEnv, workers: number): number {
  const raw = env.DARKROOM_MEMORY_BUDGET;
  if (!raw) return Math.floor(totalmem() / 2 / workers);
  const match = /^(\d+(?:\.\d+)?)\s*(MB|GB|TB)$/i.exec(raw.trim());
  const bytes = match ? Number(match[1]) * 1024 ** { MB: 2, GB: 3, TB: 4 }[match[2]!.toUpperCase() as 'MB' | 'GB' | 'TB'] : NaN;
  if (!(bytes >= 1024 ** 2)) throw new RangeError(`Expected DARKROOM_MEMORY_BUDGET to be a size like "8GB" or "1024MB", got "${raw}"`);
  return Math.floor(bytes);
}

function signup(env: NodeJS.ProcessEnv): boolean {
  const value = (env.DARKROOM_SIGNUP || 'closed').toLowerCase();
  if (value !== 'open' && value !== 'closed') throw new RangeError(`Expected DARKROOM_SIGNUP to be open or closed, got "${env.DARKROOM_SIGNUP}"`);
  return value === 'open';
}

/** The settings in force; a setting that cannot be used is a one-line invalid_parameter error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  try {
    return readConfig(env, cwd);
  } catch (error) {
    if (error instanceof RangeError) throw new DarkroomError('invalid_parameter', error.message);
    throw error;
  }
}

function readConfig(env: NodeJS.ProcessEnv, cwd: string): Config {
  for (const [name, instead] of Object.entries(NOT_YET)) {
    if (env[name]) throw new RangeError(`${name} is not supported yet (${instead}); unset it`);
  }
  const dataDir = resolve(cwd, env.DARKROOM_DATA_DIR || './data');
  const port = integer(env, 'DARKROOM_PORT', 7860, 0, 65535);
  const host = env.DARKROOM_HOST || '127.0.0.1';
  // Accounts are on by default wherever others could reach the server.
  const auth = onOff(env, 'DARKROOM_AUTH', !isLoopback(host));
  const queueLimit = integer(env, 'DARKROOM_QUEUE_LIMIT', 100, 1, 1_000_000);
  return {
    dataDir,
    modelsDir: resolve(cwd, env.DARKROOM_MODELS_DIR || join(dataDir, 'models')),
    builtInModelsDir: join(packageRoot(), 'models'),
    hfEndpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    host,
    port,
    workers: integer(env, 'DARKROOM_WORKERS', 1, 1, 64),
    memoryBudget: memoryBudget(env, integer(env, 'DARKROOM_WORKERS', 1, 1, 64)),
    device: device(env),
    threads: integer(env, 'DARKROOM_THREADS', 0, 0, 1024),
    queueLimit,
    // With one local owner there is nobody to share with: the whole queue is theirs.
    queueLimitPerAccount: integer(env, 'DARKROOM_QUEUE_LIMIT_PER_ACCOUNT', auth ? Math.max(1, Math.floor(queueLimit / 4)) : queueLimit, 1, 1_000_000),
    maxUploadBytes: integer(env, 'DARKROOM_MAX_UPLOAD_MB', 20, 1, 1024) * 1024 * 1024,
    maxPixels: integer(env, 'DARKROOM_MAX_PIXELS', 4096 * 4096, 1, 1 << 30),
    previews: integer(env, 'DARKROOM_PREVIEWS', 4, 0, 1000),
    retention: retentionFromEnv(env),
    purgeIntervalMs: purgeInterval(env),
    auth,
    masterKey: env.DARKROOM_MASTER_KEY || undefined,
    signupOpen: signup(env),
    startingCredits: integer(env, 'DARKROOM_STARTING_CREDITS', 100, 0, 1_000_000_000),
    costs: parseCosts(env.DARKROOM_COSTS || ''),
    rateLimit: integer(env, 'DARKROOM_RATE_LIMIT', 120, 1, 1_000_000),
    publicUrl: (env.DARKROOM_PUBLIC_URL || `http://${host}:${port}`).replace(/\/+$/, ''),
    allowedOrigins: parseOrigins(env.DARKROOM_ALLOWED_ORIGINS || ''),
    oauth: oauthFrom(env),
    moderation: loadModerationPolicy(env.DARKROOM_MODERATION_POLICY || undefined),
    screenImages: onOff(env, 'DARKROOM_MODERATION_IMAGES', true),
    logLevel: env.DARKROOM_LOG_LEVEL || 'info',
  };
}
