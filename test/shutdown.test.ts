// A clean stop: SIGTERM to `darkroom serve` while a job runs ends the process with 0, puts
// the job back in the queue without counting an attempt, and the next start finishes it.

import { describe, expect, it } from 'vitest';
import { serverFleet, type ServerProcess } from './helpers/process.js';
import { waitForJob } from './helpers/wait.js';

const fleet = serverFleet('darkroom-stop-');
const start = (dataDir: string) => fleet.start(dataDir);

function exitOf(server: ServerProcess, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    server.child.once('exit', (code, signalCode) => resolve({ code, signal: signalCode }));
    server.child.kill(signal);
  });
}

describe('SIGTERM', () => {
  it('exits 0 mid-job, and the job runs to the end after the restart, as its first attempt', async () => {
    const dataDir = await fleet.dataDir();
    // About two seconds a step, so the stop lands inside one.
    const job = { operation: 'txt2img', prompt: 'a blue square', steps: 10, width: 256, height: 256, seed: 3 };
    let server = await start(dataDir);
    const response = await fetch(`${server.url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) });
    const { id } = (await response.json()) as { id: string };
    await waitForJob(server.url, id, { until: (j) => j.status === 'running' });
    // Twice over: each stop must leave the job as it was, so repeated restarts never fail it.
    for (let stop = 0; stop < 2; stop++) {
      const exit = await exitOf(server, 'SIGTERM');
      expect({ exit, output: server.output().match(/Napi|abort|Error/g) ?? [] }).toEqual({ exit: { code: 0, signal: null }, output: [] });
      server = await start(dataDir);
      if (stop === 0) await waitForJob(server.url, id, { until: (j) => j.status === 'running' });
    }
    const final = await waitForJob(server.url, id);
    expect(final.attempts).toBe(1);
    expect(final.images).toHaveLength(1);
    await server.kill('SIGTERM');
  });
});
