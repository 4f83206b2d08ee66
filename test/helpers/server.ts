// An in-process Darkroom server on a free port, with its own data folder, for tests that
// talk HTTP (SDKs, event streams). Jobs run on the real engine in an inference process unless
// the test passes its own runners.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { createApp, type AppOptions, type Services } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { buildServer } from '../../src/http/server.js';

export interface TestServer {
  url: string;
  server: FastifyInstance;
  services: Services;
  dataDir: string;
  /** Stops the server; the data folder is deleted unless `keepData`. */
  close(keepData?: boolean): Promise<void>;
}

export async function startTestServer(env: NodeJS.ProcessEnv = {}, options: AppOptions & { logger?: FastifyBaseLogger } = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'darkroom-server-'));
  // Image screening costs ~150 ms an image; tests about it turn it on.
  const config = loadConfig({ DARKROOM_DATA_DIR: dataDir, DARKROOM_PORT: '0', DARKROOM_MODERATION_IMAGES: 'off', ...env });
  const app = createApp(config, options);
  const services = await app.services();
  await services.start();
  const server = await buildServer(services.http, options.logger ? { logger: options.logger } : {});
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    server,
    services,
    dataDir,
    async close(keepData = false) {
      await server.close();
      await app.close();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
