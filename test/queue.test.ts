// The queue's limits hold under concurrent submissions, and accounts share it: each may
// queue only its share (so a full account does not lock the others out), and workers take
// the accounts' jobs in turns (a job queued behind many of another account's runs soon).

import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine/engine.js';
import { InlineRunner } from '../src/jobs/runner.js';
import { makeCaller, startAccountsServer } from './helpers/accounts.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { waitForJob } from './helpers/wait.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const job = (seed: number) => ({ operation: 'txt2img', prompt: 'a red circle', steps: 2, seed });

async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe('queue', () => {
  it('leaves at most the limit queued when 500 submissions arrive at once', async () => {
    // No workers: every accepted job stays queued.
    server = await startTestServer({ DARKROOM_QUEUE_LIMIT: '100' }, { runners: () => [] });
    const { server: app } = server;
    // Injected, so that all 500 are in flight together, not as fast as sockets deliver them.
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => app.inject({ method: 'POST', url: '/api/v1/jobs', payload: job(i) })));
    const refused = answers.filter((r) => r.statusCode === 429);
    expect(answers.filter((r) => r.statusCode === 202)).toHaveLength(100);
    expect(refused).toHaveLength(400);
    expect(refused[0]!.json()).toMatchObject({ error: { code: 'queue_full' } });
    expect(refused[0]!.headers['retry-after']).toBe('5');
    expect(await server.services.jobStore.count('queued')).toBe(100);
  });

  it("keeps room for a second account while the first has its share of the queue", async () => {
    // DARKROOM_QUEUE_LIMIT 100: with accounts on, one account may queue 25.
    server = await startAccountsServer({}, { runners: () => [] });
    const first = await makeCaller(server, 'busy@example.org', 'user', 1000);
    const second = await makeCaller(server, 'patient@example.org', 'user', 1000);
    const answers = await Promise.all(Array.from({ length: 110 }, (_, i) => first.fetch('/api/v1/jobs', { method: 'POST', json: job(i) })));
    const refused = answers.filter((r) => r.status === 429);
    expect(answers.filter((r) => r.status === 202)).toHaveLength(25);
    expect(refused).toHaveLength(85);
    expect(await errorCode(refused[0]!)).toBe('account_queue_full');
    const theirs = await second.fetch('/api/v1/jobs', { method: 'POST', json: job(1000) });
    expect(theirs.status).toBe(202);
    expect(await server.services.jobStore.count('queued')).toBe(26);
    // A cancelled job gives its place back.
    const { id } = (await answers.find((r) => r.status === 202)!.json()) as { id: string };
    await first.fetch(`/api/v1/jobs/${id}`, { method: 'DELETE' });
    expect((await first.fetch('/api/v1/jobs', { method: 'POST', json: job(2000) })).status).toBe(202);
    expect((await first.fetch('/api/v1/jobs', { method: 'POST', json: job(2001) })).status).toBe(429);
  });

  it("runs a job queued behind many of another account's soon after", async () => {
    const order: number[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // One worker; the job with seed 0 holds it until the test has queued everything.
    const engine: Pick<Engine, 'run'> = {
      async run(engineJob) {
        const seed = 'seed' in engineJob.spec ? (engineJob.spec.seed ?? -1) : -1;
        if (seed === 0) await gate;
        else order.push(seed);
        return { images: [{ seed, image: { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) } }], warnings: [] };
      },
    };
    server = await startAccountsServer({ DARKROOM_WORKERS: '1' }, { runners: () => [new InlineRunner(engine)] });
    const first = await makeCaller(server, 'many@example.org', 'user', 1000);
    const second = await makeCaller(server, 'one@example.org', 'user', 1000);
    const post = async (caller: typeof first, seed: number) => ((await (await caller.fetch('/api/v1/jobs', { method: 'POST', json: job(seed) })).json()) as { id: string }).id;
    const blocker = await post(first, 0);
    await waitForJob(server.url, blocker, { init: { headers: { authorization: `Bearer ${first.key}` } }, until: (j) => j.status === 'running' });
    const many: string[] = [];
    for (let seed = 1; seed <= 20; seed++) many.push(await post(first, seed));
    const one = await post(second, 1000);
    release();
    await waitForJob(server.url, one, { init: { headers: { authorization: `Bearer ${second.key}` } } });
    for (const id of many) await waitForJob(server.url, id, { init: { headers: { authorization: `Bearer ${first.key}` } } });
    expect(order).toHaveLength(21);
    // Queued last, behind 20 of the other account's: it runs after at most one of them.
    expect(order.indexOf(1000)).toBeLessThanOrEqual(1);
    // The first account's own jobs keep their order.
    expect(order.filter((seed) => seed !== 1000)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
