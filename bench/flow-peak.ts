// darkroom-tiny-flow with its fp32 or int4 transformer, in a process of its own: ms per
// image at 8 steps (after a warm-up) and the process's peak RSS, as JSON. bench/pipeline.ts
// runs it per variant, since a process's peak only grows.
//   node dist/bench/flow-peak.js fp32|int4

import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/config.js';
import { CPU_DEVICE } from '../src/engine/device.js';
import { loadPipeline } from '../src/engine/diffusion/load.js';
import { SessionPool } from '../src/engine/diffusion/onnx-session.js';

const variant = process.argv[2] === 'int4' ? 'int4' : 'fp32';
const dir = await mkdtemp(join(tmpdir(), 'darkroom-flow-bench-'));
await cp(join(packageRoot(), 'models', 'darkroom-tiny-flow'), dir, { recursive: true });
if (variant === 'int4') await cp(join(packageRoot(), 'test', 'fixtures', 'tiny-flow-variants', 'int4'), dir, { recursive: true });
const sessions = new SessionPool({ device: { ...CPU_DEVICE, threads: 1 } });
const pipeline = await loadPipeline(dir, sessions);
const request = { prompt: 'a red circle on a blue background', negativePrompt: '', width: 64, height: 64, steps: 8, guidance: 0, scheduler: 'euler' as const, seed: 1, count: 1 };
await pipeline.generate(request);
const runs = 10;
const began = performance.now();
for (let i = 0; i < runs; i++) await pipeline.generate({ ...request, seed: i });
const ms = (performance.now() - began) / runs;
const weights = (await stat(join(dir, 'transformer', 'model.onnx'))).size;
process.stdout.write(`${JSON.stringify({ variant, ms_per_image: ms, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024), weights_mb: weights / 1024 ** 2 })}\n`);
await sessions.close();
await rm(dir, { recursive: true, force: true });
