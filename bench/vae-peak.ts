// One VAE decode of a size x size darkroom-tiny image, whole or in tiles, in a process of
// its own, printing the process's peak RSS as JSON. bench/pipeline.ts runs it per case,
// since a process's peak only grows.
//   node dist/bench/vae-peak.js <size> <tiled: true|false>

import { join } from 'node:path';
import { packageRoot } from '../src/config.js';
import { loadPipeline } from '../src/engine/diffusion/load.js';
import { SessionPool } from '../src/engine/diffusion/onnx-session.js';

const [size, tiled] = [Number(process.argv[2]), process.argv[3] === 'true'];
const sessions = new SessionPool();
const pipeline = await loadPipeline(join(packageRoot(), 'models', 'darkroom-tiny'), sessions);
const cells = size / pipeline.config.vaeScaleFactor;
const latents = Float32Array.from({ length: pipeline.config.latentChannels * cells * cells }, (_, i) => Math.sin(i * 0.37));
await pipeline.decode(latents, cells, cells, tiled, 'full');
process.stdout.write(`${JSON.stringify({ size, tiled, peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
await sessions.close();
