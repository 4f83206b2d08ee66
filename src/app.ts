// The object graph every entry point builds from one configuration: the CLI, the server
// and the tests all start here, so they run the same parts wired the same way.

import type { Config } from './config.js';
import { DiffusionEngine } from './engine/diffusion/diffusion-engine.js';
import { SessionPool } from './engine/diffusion/onnx-session.js';
import { ModelCatalog } from './models/catalog.js';

export interface App {
  config: Config;
  catalog: ModelCatalog;
  sessions: SessionPool;
  diffusion: DiffusionEngine;
  close(): Promise<void>;
}

export function createApp(config: Config): App {
  const catalog = new ModelCatalog(config);
  const sessions = new SessionPool();
  const diffusion = new DiffusionEngine(catalog, sessions);
  return {
    config,
    catalog,
    sessions,
    diffusion,
    close: () => sessions.close(),
  };
}
