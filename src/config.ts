// Configuration from the environment (names in INTERFACE.md), parsed once at start-up and
// passed down; nothing else reads process.env.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /** Unset: SQLite in the data folder. */
  databaseUrl: string | undefined;
  /** Jobs run at once (each in its own inference thread). */
  workers: number;
  /** Queued jobs beyond this are refused with 429. */
  queueLimit: number;
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
  oauth: Partial<Record<'github' | 'google', { clientId: string; clientSecret: string; base: string | undefined }>>;
  moderation: ModerationPolicy;
  /** Score every job's input and output images with the content classifier. */
  screenImages: boolean;
  logLevel: string;
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const dataDir = resolve(cwd, env.DARKROOM_DATA_DIR || './data');
  const port = integer(env, 'DARKROOM_PORT', 7860, 0, 65535);
  return {
    dataDir,
    modelsDir: resolve(cwd, env.DARKROOM_MODELS_DIR || join(dataDir, 'models')),
    builtInModelsDir: join(packageRoot(), 'models'),
    hfEndpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    host: env.DARKROOM_HOST || '127.0.0.1',
    port,
    databaseUrl: env.DARKROOM_DATABASE_URL || undefined,
    workers: integer(env, 'DARKROOM_WORKERS', 1, 1, 64),
    queueLimit: integer(env, 'DARKROOM_QUEUE_LIMIT', 100, 1, 1_000_000),
    maxUploadBytes: integer(env, 'DARKROOM_MAX_UPLOAD_MB', 20, 1, 1024) * 1024 * 1024,
    maxPixels: integer(env, 'DARKROOM_MAX_PIXELS', 4096 * 4096, 1, 1 << 30),
    previews: integer(env, 'DARKROOM_PREVIEWS', 4, 0, 1000),
    retention: retentionFromEnv(env),
    purgeIntervalMs: parseDuration(env.DARKROOM_PURGE_INTERVAL || '15m', 'DARKROOM_PURGE_INTERVAL') ?? 15 * 60_000,
    auth: onOff(env, 'DARKROOM_AUTH', false),
    masterKey: env.DARKROOM_MASTER_KEY || undefined,
    signupOpen: (env.DARKROOM_SIGNUP || 'closed') === 'open',
    startingCredits: integer(env, 'DARKROOM_STARTING_CREDITS', 100, 0, 1_000_000_000),
    costs: parseCosts(env.DARKROOM_COSTS || ''),
    rateLimit: integer(env, 'DARKROOM_RATE_LIMIT', 120, 1, 1_000_000),
    publicUrl: (env.DARKROOM_PUBLIC_URL || `http://${env.DARKROOM_HOST || '127.0.0.1'}:${port}`).replace(/\/+$/, ''),
    oauth: oauthFrom(env),
    moderation: loadModerationPolicy(env.DARKROOM_MODERATION_POLICY || undefined),
    screenImages: onOff(env, 'DARKROOM_MODERATION_IMAGES', true),
    logLevel: env.DARKROOM_LOG_LEVEL || 'info',
  };
}
