// The service's own overhead: job submission latency and throughput at fixed concurrency
// next to, in the same run, a bare Fastify route and a minimal Fastify route doing one
// durable insert into a WAL SQLite database (the essential work of a submission; they take
// turns in slices, so the ratios hold on a busy machine); event-stream latency from publish
// to client; idle RSS. Submissions are measured twice: while the workers are busy with
// long jobs, as when a queue builds up in use (`submit_rps`: the submission path alone),
// and while a trivial engine (an 8x8 image, 10 steps of 2 ms) finishes a job every few
// milliseconds in the same process (`submit_rps_while_completing`: each finished job costs
// the server a claim, progress, an encrypted PNG written with fsync, and its rows).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import SQLite from 'better-sqlite3';
import Fastify from 'fastify';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Engine } from '../src/engine/engine.js';
import { buildServer } from '../src/http/server.js';
import { InlineRunner } from '../src/jobs/runner.js';

const CONNECTIONS = 16;
const DURATION_S = 5;
/** The submission and the minimal route take turns in slices, so a busy moment on the machine weighs on both. */
const SLICES = 5;
const STEPS = 10;

const body = JSON.stringify({ operation: 'txt2img', prompt: 'a red circle', steps: STEPS, width: 64, height: 64 });

/** Step emission times, read by the event-latency measurement (same process). */
const emitted = new Map<string, number>();

/** Holds every job until the benchmark ends: workers busy with long inference. */
let releaseBusy: () => void = () => {};
const busyUntilEnd = new Promise<void>((resolve) => (releaseBusy = resolve));
const busyEngine: Pick<Engine, 'run'> = {
  async run(job, context) {
    await Promise.race([busyUntilEnd, new Promise((resolve) => context.signal.addEventListener('abort', resolve))]);
    throw new Error('the benchmark ended');
  },
};

const trivialEngine: Pick<Engine, 'run'> = {
  async run(job, context) {
    if (job.spec.operation !== 'txt2img') throw new Error('the trivial engine only does txt2img');
    const { steps, seed = 0 } = job.spec;
    for (let step = 1; step <= steps; step++) {
      emitted.set(`${seed}:${step}`, performance.now());
      await context.progress({ step, total: steps });
      await new Promise((r) => setTimeout(r, 2));
    }
    return { images: [{ seed, image: { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(128) } }], warnings: [] };
  },
};

interface Load {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, duration = DURATION_S): Promise<Load> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration,
  });
  return { rps: result.requests.total / result.duration, p50_ms: result.latency.p50, p99_ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
}

/** Loads each URL for DURATION_S in all, in SLICES turns: the mean rate and p50 over the slices, and the worst p99. */
async function alternate(urls: string[]): Promise<Load[]> {
  const slices: Load[][] = urls.map(() => []);
  for (let i = 0; i < SLICES; i++) {
    for (const [n, url] of urls.entries()) slices[n]!.push(await load(url, DURATION_S / SLICES));
  }
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return slices.map((runs) => ({
    rps: mean(runs.map((r) => r.rps)),
    p50_ms: mean(runs.map((r) => r.p50_ms)),
    p99_ms: Math.max(...runs.map((r) => r.p99_ms)),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  }));
}

async function eventLatency(url: string): Promise<{ p50_ms: number; p99_ms: number; events: number }> {
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const seed = 1_000_000 + i;
    const created = (await (await fetch(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...JSON.parse(body), seed }) })).json()) as { id: string };
    const response = await fetch(`${url}/api/v1/jobs/${created.id}/events`);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body!) {
      const arrived = performance.now();
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      for (const match of buffer.matchAll(/event: progress\ndata: (.*)\n\n/g)) {
        const { step } = JSON.parse(match[1]!) as { step: number };
        const sent = emitted.get(`${seed}:${step}`);
        if (sent !== undefined) latencies.push(arrived - sent);
        emitted.delete(`${seed}:${step}`);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n\n') + 2);
      if (/event: (done|failed|cancelled)/.test(buffer) || arrived < 0) break;
    }
  }
  latencies.sort((a, b) => a - b);
  return { p50_ms: latencies[Math.floor(latencies.length / 2)]!, p99_ms: latencies[Math.floor(latencies.length * 0.99)]!, events: latencies.length };
}

/**
 * The floor a submission is measured against: parse the JSON body, insert one row in a
 * WAL database with the pragmas Darkroom uses (synchronous = NORMAL), answer 202.
 */
async function minimalInsertServer(dir: string) {
  const sqlite = new SQLite(join(dir, 'minimal.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('CREATE TABLE jobs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL, spec TEXT NOT NULL, created_at INTEGER NOT NULL)');
  const insert = sqlite.prepare("INSERT INTO jobs (id, owner, status, spec, created_at) VALUES (?, 'local', 'queued', ?, ?)");
  const server = Fastify({ logger: false });
  let id = 0;
  server.post('/insert', async (request, reply) => {
    const job = `job_${++id}`;
    insert.run(job, JSON.stringify(request.body), Date.now());
    return reply.status(202).send({ id: job, status: 'queued' });
  });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: async () => (await server.close(), sqlite.close()) };
}

/** A Darkroom server with 4 workers on `engine`, in a data folder of its own. */
async function startDarkroom(engine: Pick<Engine, 'run'>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'darkroom-bench-'));
  // The engine stands in for inference, so image screening is off.
  const config = loadConfig({ DARKROOM_DATA_DIR: dataDir, DARKROOM_QUEUE_LIMIT: '1000000', DARKROOM_WORKERS: '4', DARKROOM_PREVIEWS: '0', DARKROOM_MODERATION_IMAGES: 'off' });
  const app = createApp(config, { runners: () => Array.from({ length: 4 }, () => new InlineRunner(engine)) });
  const services = await app.services();
  await services.start();
  const server = await buildServer(services.http);
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    services,
    async close() {
      await server.close();
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function serverBenchmark(): Promise<Record<string, unknown>> {
  const bare = Fastify({ logger: false });
  let bareId = 0;
  bare.post('/bare', async (_request, reply) => reply.status(202).send({ id: `job_${++bareId}`, status: 'queued' }));
  const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
  const minimalDir = await mkdtemp(join(tmpdir(), 'darkroom-bench-minimal-'));
  const minimal = await minimalInsertServer(minimalDir);

  const busy = await startDarkroom(busyEngine);
  await new Promise((r) => setTimeout(r, 500));
  global.gc?.();
  const idleRssMb = process.memoryUsage().rss / 1024 / 1024;

  const baseline = await load(`${bareUrl}/bare`);
  // One Darkroom at a time: a server still finishing its queue would weigh on the other.
  const [sqliteInsert, submit] = (await alternate([`${minimal.url}/insert`, `${busy.url}/api/v1/jobs`])) as [Load, Load];
  releaseBusy();
  await busy.close();
  const completing = await startDarkroom(trivialEngine);
  const [sqliteInsertAgain, whileCompleting] = (await alternate([`${minimal.url}/insert`, `${completing.url}/api/v1/jobs`])) as [Load, Load];
  // Let the queue drain so event latency is measured on an idle service.
  while ((await completing.services.jobStore.count('queued')) > 0) await new Promise((r) => setTimeout(r, 200));
  const events = await eventLatency(completing.url);

  await completing.close();
  await bare.close();
  await minimal.close();
  await rm(minimalDir, { recursive: true, force: true });
  return {
    connections: CONNECTIONS,
    duration_s: DURATION_S,
    submit_rps: submit.rps,
    submit_p50_ms: submit.p50_ms,
    submit_p99_ms: submit.p99_ms,
    submit_non2xx: submit.non2xx,
    bare_rps: baseline.rps,
    bare_p50_ms: baseline.p50_ms,
    bare_p99_ms: baseline.p99_ms,
    rps_ratio_vs_bare: submit.rps / baseline.rps,
    sqlite_insert_rps: sqliteInsert.rps,
    sqlite_insert_p50_ms: sqliteInsert.p50_ms,
    sqlite_insert_p99_ms: sqliteInsert.p99_ms,
    rps_ratio_vs_sqlite_insert: submit.rps / sqliteInsert.rps,
    submit_rps_while_completing: whileCompleting.rps,
    submit_while_completing_p50_ms: whileCompleting.p50_ms,
    submit_while_completing_p99_ms: whileCompleting.p99_ms,
    rps_ratio_while_completing_vs_sqlite_insert: whileCompleting.rps / sqliteInsertAgain.rps,
    sse_event_p50_ms: events.p50_ms,
    sse_event_p99_ms: events.p99_ms,
    sse_events_measured: events.events,
    idle_rss_mb: idleRssMb,
  };
}
