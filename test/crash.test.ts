// Crash safety: kill -9 the server with jobs queued and one running, start it again, and
// every job ends done or failed with a reason; none is lost, none is done twice.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobFiles } from './helpers/blobs.js';
import { serverFleet } from './helpers/process.js';
import { waitForJob } from './helpers/wait.js';

const fleet = serverFleet('darkroom-crash-');
const start = (dataDir: string) => fleet.start(dataDir);

// Slow enough (about a second each) that a kill lands mid-job.
const slowJob = { operation: 'txt2img', prompt: 'a blue square', steps: 60, width: 192, height: 192 };

describe('kill -9', () => {
  it('re-queues the running job, keeps the queued ones, and finishes each exactly once', async () => {
    const dataDir = await fleet.dataDir();
    const first = await start(dataDir);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${first.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...slowJob, seed: i }) });
      ids.push(((await response.json()) as { id: string }).id);
    }
    await waitForJob(first.url, ids[0]!, { until: (j) => j.progress.step >= 2 });
    await first.kill('SIGKILL');

    const second = await start(dataDir);
    const finals = await Promise.all(ids.map((id) => waitForJob(second.url, id)));
    expect(finals.map((j) => j.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(finals[0]!.attempts).toBe(2);
    expect(finals.slice(1).map((j) => j.attempts)).toEqual([1, 1, 1]);
    for (const j of finals) expect(j.images).toHaveLength(1);
    const gallery = (await (await fetch(`${second.url}/api/v1/images?kind=output`)).json()) as { images: { job_id: string }[] };
    expect(gallery.images.map((i) => i.job_id).sort()).toEqual([...ids].sort());
    // Blobs: one per image, and no temporary file survives the restart.
    expect(await blobFiles(join(dataDir, 'blobs'))).toHaveLength(4);
    expect(await readdir(join(dataDir, 'blobs', 'tmp')).catch(() => [])).toEqual([]);
    await second.kill('SIGTERM');
  });

  it('fails a job with a reason when it is interrupted twice', async () => {
    const dataDir = await fleet.dataDir();
    let server = await start(dataDir);
    const response = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...slowJob, steps: 150 }) });
    const { id } = (await response.json()) as { id: string };
    for (let crash = 0; crash < 2; crash++) {
      await waitForJob(server.url, id, { until: (j) => j.progress.step >= 2 });
      await server.kill('SIGKILL');
      server = await start(dataDir);
    }
    // Failed by the restart itself, before the server answers: one read must see it.
    const final = await waitForJob(server.url, id, { status: 'failed', attempts: 1 });
    expect(final.error?.code).toBe('interrupted');
    expect(final.attempts).toBe(2);
    await server.kill('SIGTERM');
  });
});
