// `darkroom serve`: the server, the web studio and the workers, until SIGINT or SIGTERM.

import { Command } from 'commander';
import { createApp } from '../../app.js';
import { isLoopback, loadConfig } from '../../config.js';
import { DarkroomError } from '../../domain/errors.js';
import { buildServer, logSerializers } from '../../http/server.js';
import type { CliIo } from '../io.js';
import { number } from '../parse.js';
import pino from 'pino';

export interface ServeOptions {
  host?: string;
  port?: number;
  dataDir?: string;
}

export function serveCommand(io: CliIo, stopped: Promise<unknown>): Command {
  return new Command('serve')
    .description('run the server, the web studio and the workers')
    .option('--host <host>', 'address to listen on (DARKROOM_HOST, default 127.0.0.1)')
    .option('--port <port>', 'port (DARKROOM_PORT, default 7860; 0 picks a free one)', number('--port'))
    .option('--data-dir <dir>', 'where Darkroom stores everything (DARKROOM_DATA_DIR, default ./data)')
    .action(async (options: ServeOptions) => {
      const env = {
        ...io.env,
        ...(options.host ? { DARKROOM_HOST: options.host } : {}),
        ...(options.port !== undefined ? { DARKROOM_PORT: String(options.port) } : {}),
        ...(options.dataDir ? { DARKROOM_DATA_DIR: options.dataDir } : {}),
      };
      const config = loadConfig(env, io.cwd);
      if (!isLoopback(config.host) && !config.auth) {
        throw new DarkroomError(
          'invalid_parameter',
          `Refusing to listen on ${config.host} without accounts: anyone on the network could use this studio. Set DARKROOM_AUTH=on, or listen on 127.0.0.1.`,
        );
      }
      const logger = pino({ level: config.logLevel, serializers: logSerializers }, io.stdout);
      const app = createApp(config, { log: logger });
      const services = await app.services();
      const recovered = await services.start();
      if (recovered.requeued.length + recovered.failed.length > 0) {
        logger.warn({ requeued: recovered.requeued, failed: recovered.failed }, 'jobs interrupted by the last shutdown');
      }
      const server = await buildServer(services.http, { logger });
      const address = await server.listen({ host: config.host, port: config.port });
      io.stderr.write(`Darkroom is running on ${address.replace('[::1]', 'localhost')}\n`);
      await stopped;
      await server.close();
      await app.close();
    });
}
