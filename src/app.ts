// The object graph every entry point builds from one configuration: the CLI, the server
// and the tests all start here, so they run the same parts wired the same way. The engines
// are ready at once; the database and the job machinery open on first use, so commands
// that only generate an image leave no database behind.

import { join } from 'node:path';
import { packageRoot, type Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { localEngines } from './engine/registry.js';
import { ImageService } from './gallery/image-service.js';
import type { HttpContext } from './http/context.js';
import { JobService } from './jobs/job-service.js';
import { JobStore } from './jobs/job-store.js';
import { ProgressBus } from './jobs/progress-bus.js';
import { ProcessRunner, type InferenceRunner } from './jobs/runner.js';
import { WorkerPool } from './jobs/worker-pool.js';
import { FileBlobStore } from './store/blob-store.js';
import { describePolicy, formatDuration } from './privacy/policy.js';
import { exportArchive } from './privacy/export.js';
import { eraseOwner } from './privacy/erase.js';
import { lastPurge, purgeExpired, schedulePurge, type PurgeReport } from './privacy/purge.js';
import { openSqlite, type SqliteOptions, type Store } from './store/database.js';
import { Keyring } from './store/keyring.js';
import { Accounts } from './accounts/accounts.js';
import { ApiKeyService } from './accounts/api-keys.js';
import { AuditLog } from './accounts/audit.js';
import { IpHasher } from './accounts/ip-hash.js';
import { Ledger } from './accounts/ledger.js';
import { LoginThrottle } from './accounts/login-throttle.js';
import { ImageLinks } from './accounts/image-links.js';
import { OAuthProvider, type ProviderName } from './accounts/oauth.js';
import { SessionService } from './accounts/sessions.js';
import { UserService } from './accounts/users.js';
import { loadMasterKey } from './store/master-key.js';
import { hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Moderation } from './moderation/moderation.js';
import { PromptPolicy } from './moderation/prompt-policy.js';

export interface Services {
  keyring: Keyring;
  accounts: Accounts;
  ledger: Ledger;
  /** Starts the workers (re-queuing jobs a crash interrupted) and the scheduled purge. */
  start(): Promise<{ requeued: string[]; failed: string[] }>;
  purge(): Promise<PurgeReport>;
  store: Store;
  blobs: FileBlobStore;
  images: ImageService;
  jobStore: JobStore;
  bus: ProgressBus;
  jobs: JobService;
  pool: WorkerPool;
  http: HttpContext;
}

export interface AppOptions {
  clock?: Clock;
  /** How jobs run; by default one inference process per configured worker. */
  runners?: () => InferenceRunner[];
  log?: { warn(details: object, message: string): void };
  store?: SqliteOptions;
}

export type App = ReturnType<typeof createApp>;

export const VERSION = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

export function createApp(config: Config, options: AppOptions = {}) {
  const engines = localEngines(config);
  const clock = options.clock ?? systemClock;
  let services: Promise<Services> | undefined;
  let purgeSchedule: { stop(): Promise<void> } | undefined;
  const log = options.log ?? { warn: () => {} };
  if (engines.device.fallback) log.warn({ device: engines.device }, `DARKROOM_DEVICE=auto: ${engines.device.fallback}; running on the CPU`);

  async function open(): Promise<Services> {
    const store = await openSqlite(join(config.dataDir, 'darkroom.db'), options.store);
    const blobs = new FileBlobStore(join(config.dataDir, 'blobs'));
    await blobs.sweepTemporary();
    const masterKey = loadMasterKey(config.masterKey, join(config.dataDir, 'master.key'));
    const keyring = new Keyring(store.db, masterKey, clock);
    const moderation = new Moderation({
      db: store.db,
      clock,
      prompts: new PromptPolicy(config.moderation.prompts),
      images: config.moderation.images,
      hashKey: Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'darkroom moderation hashes', 32)),
    });
    const images = new ImageService({
      db: store.db,
      blobs,
      clock,
      retention: config.retention,
      limits: { maxBytes: config.maxUploadBytes, maxPixels: config.maxPixels },
      creatorTool: `Darkroom ${VERSION}`,
      keyring,
    });
    const jobStore = new JobStore(store.db, keyring);
    const ledger = new Ledger({ db: store.db, clock });
    const users = new UserService({ db: store.db, clock });
    const sessions = new SessionService({ db: store.db, clock });
    const apiKeys = new ApiKeyService({ db: store.db, clock });
    const audit = new AuditLog({ db: store.db, clock });
    const ipHasher = new IpHasher({ db: store.db, clock });
    const imageLinks = new ImageLinks({ key: Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'darkroom image links', 32)), clock, lifetimeMs: 60 * 60_000 });
    const bus = new ProgressBus();
    const pool = new WorkerPool({
      store: jobStore,
      images,
      bus,
      clock,
      runners:
        options.runners?.() ??
        Array.from({ length: config.workers }, () => new ProcessRunner({ builtInModelsDir: config.builtInModelsDir, modelsDir: config.modelsDir, maxPixels: config.maxPixels, device: config.device, threads: config.threads, memoryBudget: config.memoryBudget })),
      previews: config.previews,
      maxAttempts: 2,
      log,
      settle: (jobId, outcome) => ledger.settle(jobId, outcome),
      ...(config.screenImages ? { moderation } : {}),
    });
    const jobs = new JobService({
      store: jobStore,
      images,
      bus,
      clock,
      retention: config.retention,
      check: (spec) => engines.registry.check(spec),
      workers: pool,
      queueLimit: config.queueLimit,
      queueLimitPerAccount: config.queueLimitPerAccount,
      db: store.db,
      moderation,
      credits: { ledger, enforced: config.auth, costOf: (spec) => ('n' in spec ? spec.n : 1) * (config.costs[spec.operation] ?? 1) },
    });
    const eraseData = (owner: string) =>
      eraseOwner(
        {
          db: store.db,
          blobs,
          checkpoint: () => store.checkpoint(),
          halt: (id) => pool.halt(id),
          destroyKey: (o) => keyring.destroy(o),
          ended: (id) => bus.publish(id, { type: 'cancelled' }),
        },
        owner,
      );
    const accounts = new Accounts({ db: store.db, clock, users, ledger, eraseData, checkpoint: () => store.checkpoint(), startingCredits: config.startingCredits });
    const oauth = new Map(
      Object.entries(config.oauth).map(([name, c]) => [
        name,
        new OAuthProvider(name as ProviderName, { ...c, redirectUri: `${config.publicUrl}/api/v1/auth/oauth/${name}/callback`, ...(c.base ? { base: c.base } : {}) }),
      ]),
    );
    const policy = describePolicy(config.retention, config.purgeIntervalMs);
    const http: HttpContext = {
      jobs,
      images,
      catalog: engines.catalog,
      tools: engines.registry.tools(),
      describeModel: (model) => engines.registry.describe(model),
      limits: { maxBodyBytes: Math.max(config.maxUploadBytes * 2, 1024 * 1024), maxUploadBytes: config.maxUploadBytes, maxPixels: config.maxPixels },
      privacy: {
        policy: () => policy,
        export: (owner) => exportArchive({ db: store.db, jobs: jobStore, images, clock }, owner, { policy }),
        // With accounts on, erasing yourself removes the account too.
        erase: async (owner) => (config.auth && owner !== 'local' ? accounts.remove(owner) : eraseData(owner)),
      },
      accounts: {
        enabled: config.auth,
        signupOpen: config.signupOpen,
        secureCookies: config.publicUrl.startsWith('https:'),
        rateLimit: config.rateLimit,
        accounts,
        users,
        sessions,
        apiKeys,
        ledger,
        audit,
        ipHasher,
        loginThrottle: new LoginThrottle({ clock }),
        imageLinks,
        oauth,
      },
      version: VERSION,
      // With accounts on, a rebound name reaches only what an anonymous caller may (README, "Browsers").
      origins: { anyHost: config.auth, origins: [config.publicUrl, ...config.allowedOrigins] },
      webRoot: join(packageRoot(), 'web', 'dist'),
      health: async () => ({
        queue: { queued: await jobStore.count('queued'), running: await jobStore.count('running') },
        workers: { total: pool.size, busy: pool.busy },
        device: engines.device,
        purge: { interval: formatDuration(config.purgeIntervalMs), last: await lastPurge(store.db) },
      }),
    };
    const purge = () =>
      purgeExpired({
        db: store.db,
        blobs,
        clock,
        retention: config.retention,
        checkpoint: () => store.checkpoint(),
        sweeps: [() => sessions.purgeExpired(), () => ipHasher.destroyOld()],
      });
    return {
      async start() {
        await ledger.settleFinished();
        const recovered = await pool.start();
        purgeSchedule ??= schedulePurge(purge, config.purgeIntervalMs, (error) => log.warn({ err: { message: (error as Error).message } }, 'purge failed'));
        return recovered;
      },
      purge,
      keyring,
      accounts,
      ledger,
      store,
      blobs,
      images,
      jobStore,
      bus,
      jobs,
      pool,
      http,
    };
  }

  return {
    config,
    clock,
    ...engines,
    services: () => (services ??= open()),
    async close() {
      if (services) {
        // A failed open() already rejected to whoever asked for the services; throwing it
        // again here would turn one reported error into a second, unhandled one.
        const opened = await services.catch(() => undefined);
        await purgeSchedule?.stop();
        await opened?.pool.stop();
        await opened?.store.close();
      }
      await engines.sessions.close();
    },
  };
}
