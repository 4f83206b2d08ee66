// Memory around a job on a real `darkroom serve`: a job too large is refused at submission
// and never queued, and a job cancelled inside a long step ends with the server's memory
// back near its idle level (RSS of the server and its inference process together).

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from './helpers/process.js';
import { waitFor, waitForJob } from './helpers/wait.js';

const MB = 1024 ** 2;
const dataDirs: string[] = [];
const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.kill()));
  await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function start(env: NodeJS.ProcessEnv = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'darkroom-memory-'));
  dataDirs.push(dataDir);
  const server = await spawnServer(dataDir, env);
  servers.push(server);
  return server;
}

/** Resident bytes of a process and all its descendants. */
function treeRss(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0; // gone meanwhile
  }
  const own = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return own + children.reduce((sum, child) => sum + treeRss(child), 0);
}

async function submit(server: ServerProcess, job: object): Promise<Response> {
  return fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ operation: 'txt2img', prompt: 'a blue square', ...job }) });
}

describe.skipIf(process.platform !== 'linux')('memory', () => {
  it('refuses a job past the size limit or the budget at submission, with too_large, and queues nothing', async () => {
    const server = await start({ DARKROOM_MEMORY_BUDGET: '64MB' });
    for (const [job, says] of [
      [{ width: 2048, height: 2048, n: 8, steps: 1 }, 'at most 256'],
      [{ width: 256, height: 256 }, 'DARKROOM_MEMORY_BUDGET'],
    ] as const) {
      const response = await submit(server, job);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect({ status: response.status, code: body.error.code }).toEqual({ status: 422, code: 'too_large' });
      expect(body.error.message).toContain(says);
    }
    const jobs = (await (await fetch(`${server.url}/api/v1/jobs`)).json()) as { jobs: unknown[] };
    expect(jobs.jobs).toEqual([]);
    await server.kill('SIGTERM');
  });

  it('gives the memory of a job cancelled inside a long step back', async () => {
    const server = await start();
    const pid = server.child.pid!;
    // Idle: the model loaded by a small job.
    const warmResponse = await submit(server, { width: 64, height: 64, steps: 2 });
    expect(warmResponse.status, await warmResponse.clone().text()).toBe(202);
    const warm = ((await warmResponse.json()) as { id: string }).id;
    await waitForJob(server.url, warm);
    const idle = treeRss(pid);
    // Eight images at 4x the native side: one step takes seconds and most of a gigabyte.
    const big = ((await (await submit(server, { width: 256, height: 256, n: 8, steps: 20 })).json()) as { id: string }).id;
    const busy = await waitFor(async () => treeRss(pid), (rss) => rss > idle + 300 * MB, 'the job to take memory', { interval: 20 });
    const cancel = await fetch(`${server.url}/api/v1/jobs/${big}`, { method: 'DELETE' });
    expect(cancel.status).toBe(200);
    await waitForJob(server.url, big, { status: 'cancelled' });
    const after = treeRss(pid);
    expect({ idleMB: Math.round(idle / MB), busyMB: Math.round(busy / MB), afterBelowIdlePlus100MB: after < idle + 100 * MB }).toMatchObject({ afterBelowIdlePlus100MB: true });
    await server.kill('SIGTERM');
  });
});
