// Many clients at once: 50 jobs from 10 concurrent clients all complete, and while
// inference runs (in inference processes) the event loop stays free: /healthz answers far
// faster than a job takes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEvents } from './helpers/sse.js';
import { startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ DARKROOM_WORKERS: '2' });
});
afterAll(() => server.close());

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('concurrency', () => {
  it('completes 50 jobs from 10 clients while /healthz keeps answering', async () => {
    const health: number[] = [];
    let running = true;
    const poller = (async () => {
      while (running) {
        const began = performance.now();
        const response = await fetch(`${server.url}/healthz`);
        await response.json();
        health.push(performance.now() - began);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const jobTimes: number[] = [];
    const client = async (c: number) => {
      const results: { status: string; images: number }[] = [];
      for (let i = 0; i < 5; i++) {
        const began = performance.now();
        const response = await fetch(`${server.url}/api/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ operation: 'txt2img', prompt: `a shape ${c}-${i}`, steps: 20, seed: c * 10 + i }),
        });
        expect(response.status).toBe(202);
        const { id } = (await response.json()) as { id: string };
        const events = await readEvents(`${server.url}/api/v1/jobs/${id}/events`);
        const last = events.at(-1)!;
        jobTimes.push(performance.now() - began);
        results.push({ status: last.type, images: (last.data.images as unknown[] | undefined)?.length ?? 0 });
      }
      return results;
    };
    // The poller stops however the clients end, so a failure cannot leave it polling a closed server.
    const all = await Promise.all(Array.from({ length: 10 }, (_, c) => client(c)))
      .then((results) => results.flat())
      .finally(() => (running = false));
    await poller;
    expect(all).toHaveLength(50);
    expect(all.every((r) => r.status === 'done' && r.images === 1)).toBe(true);
    const stored = (await (await fetch(`${server.url}/api/v1/images?kind=output&limit=500`)).json()) as { images: unknown[] };
    expect(stored.images).toHaveLength(50);
    // If inference ran on the event loop, a health check would wait for whole jobs.
    expect(health.length).toBeGreaterThan(20);
    expect(Math.max(...health)).toBeLessThan(median(jobTimes));
  });
});
