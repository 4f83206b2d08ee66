// txt2img on darkroom-tiny at 20 steps: time per image, the share of wall time spent inside
// onnxruntime (the rest is our TypeScript glue), peak RSS, and, where Debian's python3-torch
// is installed, the PyTorch reference sampling the same model and steps in the same run.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../src/config.js';
import { loadPipeline } from '../src/engine/diffusion/load.js';
import { SessionPool } from '../src/engine/diffusion/onnx-session.js';
import { CPU_DEVICE } from '../src/engine/device.js';

const RUNS = 10;

async function torchReference(): Promise<Record<string, unknown>> {
  const script = join(packageRoot(), 'tools', 'train-tiny', 'reference.py');
  try {
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [script, '--time'], { timeout: 600_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  } catch (error) {
    return { torch_ms_per_image: null, torch_skipped: `PyTorch reference unavailable: ${(error as Error).message.split('\n')[0]}` };
  }
}

export async function pipelineBenchmark(): Promise<Record<string, unknown>> {
  const sessions = new SessionPool({ device: { ...CPU_DEVICE, threads: 1 } });
  const pipeline = await loadPipeline(join(packageRoot(), 'models', 'darkroom-tiny'), sessions);
  const request = {
    prompt: 'a red circle on a blue background',
    negativePrompt: '',
    width: 64,
    height: 64,
    steps: 20,
    guidance: 7.5,
    scheduler: 'euler' as const,
    seed: 1,
    count: 1,
  };
  await pipeline.generate(request);
  sessions.time.ms = 0;
  sessions.time.runs = 0;
  const began = performance.now();
  for (let i = 0; i < RUNS; i++) await pipeline.generate({ ...request, seed: i });
  const wall = performance.now() - began;
  const figures = {
    model: 'darkroom-tiny',
    steps: 20,
    runs: RUNS,
    ms_per_image: wall / RUNS,
    ort_share: sessions.time.ms / wall,
    ort_runs_per_image: sessions.time.runs / RUNS,
    ort_threads: 1,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  };
  await sessions.close();
  const torch = await torchReference();
  const torchMs = typeof torch.torch_ms_per_image === 'number' ? torch.torch_ms_per_image : undefined;
  return { ...figures, ...torch, ...(torchMs ? { speedup_vs_torch: torchMs / figures.ms_per_image } : {}) };
}
