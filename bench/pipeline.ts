// txt2img on the built-in models, one onnxruntime thread: time per image, the share of wall
// time inside onnxruntime (the rest is our TypeScript glue), and, where Debian's
// python3-torch is installed, the PyTorch reference of the same weights in the same run.
// The UNet models at 20 steps with guidance 7.5: for darkroom-tiny-xl also the saving of
// guidance 0 (one UNet row per step); for darkroom-tiny the cost of a preview on every step
// by the tiny decoder and by the full VAE (both WebP-encoded as the server sends them), and
// the peak RSS of a VAE decode at growing sizes, whole and in tiles, each in a fresh process
// (bench/vae-peak.ts). darkroom-tiny-flow at its recommended 8 steps without guidance: the
// time split between text encoder, transformer and VAE, and its int4 transformer against
// the fp32 one, time and peak RSS each in a fresh process (bench/flow-peak.ts).

import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/config.js';
import { CPU_DEVICE } from '../src/engine/device.js';
import { loadPipeline } from '../src/engine/diffusion/load.js';
import { SessionPool } from '../src/engine/diffusion/onnx-session.js';
import type { GenerateOptions, GenerateRequest, ImagePipeline } from '../src/engine/diffusion/pipeline.js';
import { previewDataUrl } from '../src/jobs/worker-pool.js';

const RUNS = 10;
const run = promisify(execFile);
const MODELS = join(packageRoot(), 'models');

async function torchReference(script: string, args: string[] = []): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run('/usr/bin/python3', [join(packageRoot(), 'tools', 'train-tiny', script), '--time', ...args], { timeout: 600_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  } catch (error) {
    return { torch_ms_per_image: null, torch_skipped: `PyTorch reference unavailable: ${(error as Error).message.split('\n')[0]}` };
  }
}

const REQUEST: GenerateRequest = {
  prompt: 'a red circle on a blue background',
  negativePrompt: '',
  width: 64,
  height: 64,
  steps: 20,
  guidance: 7.5,
  scheduler: 'euler',
  seed: 1,
  count: 1,
};

/** Milliseconds per image over RUNS runs after one warm-up, and what onnxruntime did of it. */
async function timed(pipeline: ImagePipeline, sessions: SessionPool, request: Partial<GenerateRequest> = {}, options: GenerateOptions = {}) {
  await pipeline.generate({ ...REQUEST, ...request }, options);
  sessions.time.ms = 0;
  sessions.time.runs = 0;
  const began = performance.now();
  for (let i = 0; i < RUNS; i++) await pipeline.generate({ ...REQUEST, ...request, seed: i }, options);
  const wall = performance.now() - began;
  return { ms: wall / RUNS, ortShare: sessions.time.ms / wall, ortRuns: sessions.time.runs / RUNS };
}

async function open(dir: string) {
  const sessions = new SessionPool({ device: { ...CPU_DEVICE, threads: 1 } });
  return { sessions, pipeline: await loadPipeline(dir, sessions) };
}

type Extra = (m: Awaited<ReturnType<typeof open>>) => Promise<Record<string, unknown>>;

async function modelFigures(name: string, script: string, extra: Extra, request: Partial<GenerateRequest> = {}, torchArgs: string[] = []) {
  const model = await open(join(MODELS, name));
  const plain = await timed(model.pipeline, model.sessions, request);
  const more = await extra(model);
  await model.sessions.close();
  const torch = await torchReference(script, torchArgs);
  const torchMs = typeof torch.torch_ms_per_image === 'number' ? torch.torch_ms_per_image : undefined;
  return {
    ms_per_image: plain.ms,
    ort_share: plain.ortShare,
    ort_runs_per_image: plain.ortRuns,
    ...more,
    ...torch,
    ...(torchMs ? { speedup_vs_torch: torchMs / plain.ms } : {}),
  };
}

/** A preview on every step, rendered and WebP-encoded as the worker sends it. */
const everyStep: GenerateOptions = { onStep: async (p) => void (await previewDataUrl(await p.preview())) };

async function previewCost(model: Awaited<ReturnType<typeof open>>) {
  const tiny = await timed(model.pipeline, model.sessions, {}, everyStep);
  // The same model without its tiny decoder previews with the full VAE.
  const dir = await mkdtemp(join(tmpdir(), 'darkroom-bench-'));
  await cp(join(MODELS, 'darkroom-tiny'), dir, { recursive: true });
  await rm(join(dir, 'vae_decoder_tiny'), { recursive: true });
  const full = await open(dir);
  const vae = await timed(full.pipeline, full.sessions, {}, everyStep);
  await full.sessions.close();
  await rm(dir, { recursive: true, force: true });
  return { ms_per_image_previews_tiny_decoder: tiny.ms, ms_per_image_previews_full_vae: vae.ms };
}

/** darkroom-tiny-flow's recommendation: 8 steps, no guidance (Z-Image-Turbo's way). */
const FLOW_REQUEST = { steps: 8, guidance: 0 };

/** Where a flow generation's onnxruntime time goes, and the int4 transformer against fp32 in fresh processes. */
const flowFigures: Extra = async ({ pipeline, sessions }) => {
  const parts = { text_encoder: 'text_encoder', transformer: 'transformer', vae_decoder: 'vae_decoder' };
  const models = Object.fromEntries(await Promise.all(Object.entries(parts).map(async ([key, folder]) => [key, await sessions.get(join(pipeline.config.root, folder, 'model.onnx'))] as const)));
  for (const model of Object.values(models)) Object.assign(model.time, { ms: 0, runs: 0 });
  await timed(pipeline, sessions, FLOW_REQUEST);
  // timed() ran RUNS + 1 generations (one to warm up).
  const split = Object.fromEntries(Object.entries(models).map(([key, model]) => [`${key}_ms_per_image`, model.time.ms / (RUNS + 1)]));
  const script = fileURLToPath(new URL('./flow-peak.js', import.meta.url));
  const peak = async (variant: string) => JSON.parse((await run(process.execPath, [script, variant], { timeout: 600_000 })).stdout) as { ms_per_image: number; peak_rss_mb: number; weights_mb: number };
  return { ...split, fp32: await peak('fp32'), int4: await peak('int4') };
};

async function vaePeaks() {
  const script = fileURLToPath(new URL('./vae-peak.js', import.meta.url));
  const sizes = [128, 256, 512, 1024];
  const out = [];
  for (const size of sizes) {
    const peak = async (tiled: boolean) => JSON.parse((await run(process.execPath, [script, String(size), String(tiled)], { timeout: 600_000 })).stdout) as { peak_rss_mb: number };
    out.push({ size, whole_mb: (await peak(false)).peak_rss_mb, tiled_mb: (await peak(true)).peak_rss_mb });
  }
  return out;
}

export async function pipelineBenchmark(): Promise<Record<string, unknown>> {
  const tiny = await modelFigures('darkroom-tiny', 'reference.py', previewCost);
  const xl = await modelFigures('darkroom-tiny-xl', 'reference_xl.py', async (model) => {
    const unguided = await timed(model.pipeline, model.sessions, { guidance: 0 });
    return { ms_per_image_guidance_0: unguided.ms };
  });
  const flow = await modelFigures('darkroom-tiny-flow', 'reference_flow.py', flowFigures, FLOW_REQUEST, ['--steps', String(FLOW_REQUEST.steps)]);
  return { steps: 20, runs: RUNS, ort_threads: 1, 'darkroom-tiny': tiny, 'darkroom-tiny-xl': xl, 'darkroom-tiny-flow': flow, vae_decode_peak_rss: await vaePeaks() };
}
