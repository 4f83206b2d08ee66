// `darkroom models list | pull <hub-repo> | rm <name>`; a pull stops when `signal` (a
// stop) aborts, and the same pull run again resumes it.

import { Command } from 'commander';
import type { App } from '../../app.js';
import { folderSize } from '../../models/catalog.js';
import { pullModel } from '../../models/pull.js';
import type { CliIo } from '../io.js';
import { progressBar } from '../progress.js';

function size(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** What the engine tells of a model (see DiffusionEngine.describe); nothing for a model it cannot open. */
interface ModelFacts {
  family?: string;
  defaults?: { steps: number; guidance: number; scheduler: string; width: number; height: number };
}

/** The settings a model runs with when a request names none: "20 steps, guidance 7.5, euler, 64x64". */
function recommended(defaults: ModelFacts['defaults']): string {
  if (!defaults) return '-';
  return `${defaults.steps} steps, guidance ${defaults.guidance}, ${defaults.scheduler}, ${defaults.width}x${defaults.height}`;
}

export function modelsCommand(app: () => App, io: CliIo, signal: AbortSignal): Command {
  const models = new Command('models').description('list, pull and remove models');
  models
    .command('list')
    .description('installed models')
    .option('--json', 'print JSON instead of a table')
    .action(async (options: { json?: boolean }) => {
      const { catalog, registry } = app();
      const entries = await Promise.all(
        (await catalog.list()).map(async (m) => ({ ...m, sizeBytes: await folderSize(m.path), ...((await registry.describe(m)) as ModelFacts) })),
      );
      if (options.json) {
        const fields = entries.map(({ name, source, family, sizeBytes, defaults, path }) => ({ name, source, family, sizeBytes, defaults, path }));
        io.stdout.write(`${JSON.stringify(fields, null, 2)}\n`);
        return;
      }
      const rows = entries.map((m) => [m.name, m.source, m.family ?? '-', size(m.sizeBytes), recommended(m.defaults), m.path]);
      const heads = ['NAME', 'SOURCE', 'FAMILY', 'SIZE', 'DEFAULTS', 'PATH'];
      const widths = heads.map((head, i) => Math.max(head.length, ...rows.map((r) => r[i]!.length)));
      const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
      io.stdout.write(`${[line(heads), ...rows.map(line)].join('\n')}\n`);
    });
  models
    .command('pull')
    .description('download an ONNX Stable Diffusion export from the Hugging Face hub (HF_ENDPOINT)')
    .argument('<hub-repo>', 'owner/name, e.g. onnx-community/stable-diffusion-v1-5-ONNX')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .action(async (repo: string, options: { revision: string }) => {
      const { config } = app();
      const bar = progressBar(io, 'bytes');
      try {
        const { path } = await pullModel({
          repo,
          revision: options.revision,
          modelsDir: config.modelsDir,
          hubUrl: config.hfEndpoint,
          ...(io.env.HF_TOKEN ? { accessToken: io.env.HF_TOKEN } : {}),
          onProgress: (p) => bar.update(p.doneBytes, p.totalBytes, p.file),
          signal,
        });
        bar.stop();
        io.stdout.write(`${path}\n`);
      } finally {
        bar.stop();
      }
    });
  models
    .command('rm')
    .description('delete a pulled model')
    .argument('<name>', 'as "darkroom models list" shows it')
    .action(async (name: string) => {
      // A running server lets go of the model's sessions when they sit idle (10 minutes).
      const removed = await app().catalog.remove(name);
      io.stdout.write(`removed ${removed.name}\n`);
    });
  return models;
}
