// Memory of txt2img on darkroom-tiny through the server's inference process: the idle RSS
// (model loaded), and per size and batch the estimate memory.ts makes, the measured peak
// and what stays after the job (the process is replaced after a run estimated above
// RECYCLE_ABOVE_BYTES). The estimate's factors were fitted to these figures.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/config.js';
import { JobRequest, withDefaults } from '../src/domain/job.js';
import { loadPipeline } from '../src/engine/diffusion/load.js';
import { weightBytes, workingBytes } from '../src/engine/diffusion/memory.js';
import { SessionPool } from '../src/engine/diffusion/onnx-session.js';
import { ProcessRunner } from '../src/jobs/runner.js';

const MB = 1024 ** 2;

/** Resident bytes of this process's children (the inference process). */
function childrenRss(): number {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.reduce((sum, pid) => {
    try {
      return sum + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
    } catch {
      return sum;
    }
  }, 0);
}

export async function memoryBenchmark(): Promise<Record<string, unknown>> {
  const models = join(packageRoot(), 'models');
  const sessions = new SessionPool();
  const { config } = await loadPipeline(join(models, 'darkroom-tiny'), sessions);
  const weights = await weightBytes(config);
  const runner = new ProcessRunner({ builtInModelsDir: models, modelsDir: join(packageRoot(), 'no-such-dir'), maxPixels: 4096 * 4096 });
  const job = (width: number, n: number) => ({ spec: withDefaults(JobRequest.parse({ operation: 'txt2img', prompt: 'a red circle', width, height: width, n, steps: 2, seed: 1 })), images: [] });
  const context = { signal: new AbortController().signal, progress: () => {}, previews: 0, wantsPreviews: () => false, screen: false };
  await runner.run(job(64, 1), context);
  const idle = childrenRss();
  const cases = [];
  for (const [width, n] of [[64, 1], [128, 1], [192, 1], [256, 1], [256, 4], [256, 8]] as const) {
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, childrenRss())), 10);
    await runner.run(job(width, n), context);
    clearInterval(sampler);
    await new Promise((resolve) => setTimeout(resolve, 500));
    cases.push({
      width,
      n,
      estimate_mb: Math.round((weights + workingBytes(config, { width, height: width, batch: n, guided: true })) / MB),
      peak_over_idle_mb: Math.round((peak - idle) / MB),
      after_mb: Math.round(childrenRss() / MB),
    });
    // A replaced process starts again with the model loaded, as at idle.
    await runner.run(job(64, 1), context);
  }
  await runner.close();
  await sessions.close();
  return { model: 'darkroom-tiny', steps: 2, idle_mb: Math.round(idle / MB), cases };
}
