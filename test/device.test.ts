// Where onnxruntime runs (DARKROOM_DEVICE, --device) and how wide (DARKROOM_THREADS,
// --threads): `cuda` without onnxruntime's CUDA provider stops at start with one line that
// says how to install it; `auto` falls back to the CPU and says so in /healthz and the log;
// the thread count reaches the sessions of the inference thread and of the background
// remover (counted as the operating system's threads of this process, Linux only).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CPU_DEVICE, chooseDevice, cudaProblem } from '../src/engine/device.js';
import { BackgroundRemover } from '../src/engine/tools/background-removal.js';
import { runCli } from './helpers/cli.js';
import { spawnServer } from './helpers/process.js';
import { startTestServer } from './helpers/server.js';
import { waitForJob } from './helpers/wait.js';

const cudaInstalled = cudaProblem() === undefined;
if (cudaInstalled) console.warn("Skipping the missing-CUDA tests: onnxruntime's CUDA provider is installed here");

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'darkroom-device-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe.skipIf(cudaInstalled)('cuda without the CUDA provider', () => {
  const oneLine = /^darkroom: Cannot use DARKROOM_DEVICE=cuda \(--device cuda\): onnxruntime's CUDA provider is not installed \(to install it: node \S+install\.js --onnxruntime-node-install=cuda12; [^\n]*\n$/;

  it('stops `serve` at start with one line naming how to install it', async () => {
    const result = await runCli({ cwd: folder, env: { DARKROOM_DEVICE: 'cuda' } }, 'serve', '--port', '0');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(oneLine);
    expect(result.stdout).toBe('');
  });

  it('stops `generate --device cuda` before any work, and writes nothing', async () => {
    const result = await runCli({ cwd: folder }, 'generate', 'a red circle', '--device', 'cuda', '-o', 'never.png');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(oneLine);
    expect(existsSync(join(folder, 'never.png'))).toBe(false);
  });

  it('auto runs on the CPU and says why in /healthz and the log', async () => {
    const server = await spawnServer(join(folder, 'auto'), { DARKROOM_DEVICE: 'auto' });
    try {
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as { device: Record<string, unknown> };
      expect(health.device).toEqual({ requested: 'auto', active: 'cpu', threads: 0, fallback: expect.stringMatching(/^onnxruntime's CUDA provider is not installed/) });
      const warning = server
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .find((entry) => entry.msg.startsWith('DARKROOM_DEVICE=auto'));
      expect(warning).toMatchObject({ level: 40, msg: expect.stringMatching(/CUDA provider is not installed.*; running on the CPU$/) });
    } finally {
      await server.kill();
    }
  });
});

describe('the device choice', () => {
  it('takes CUDA when the provider loads, for cuda and auto alike', () => {
    expect(chooseDevice('cuda', 2, () => undefined)).toEqual({ requested: 'cuda', active: 'cuda', threads: 2 });
    expect(chooseDevice('auto', 0, () => undefined)).toEqual({ requested: 'auto', active: 'cuda', threads: 0 });
  });

  it('never looks for CUDA when asked for the CPU', () => {
    expect(chooseDevice('cpu', 3, () => 'unreachable')).toEqual({ requested: 'cpu', active: 'cpu', threads: 3 });
  });

  it('refuses a device or thread count it does not know, from the command line too', async () => {
    const device = await runCli({ cwd: folder }, 'models', 'list', '--device', 'gpu');
    expect(device.code).toBe(1);
    expect(device.stderr).toBe('darkroom: Expected DARKROOM_DEVICE to be cpu, cuda or auto, got "gpu"\n');
    const threads = await runCli({ cwd: folder, env: { DARKROOM_THREADS: '-1' } }, 'models', 'list');
    expect(threads.code).toBe(1);
    expect(threads.stderr).toBe('darkroom: Expected DARKROOM_THREADS to be an integer from 0 to 1024, got "-1"\n');
  });
});

// onnxruntime starts threads - 1 pool threads per session; its own default is one per core.
// Asking for more threads than cores makes the count tell the setting from the default.
const THREADS = availableParallelism() + 8;
const threadsOf = (pid: number | 'self') => readdirSync(`/proc/${pid}/task`).length;

/** The processes this one started whose command line names `entry`. */
function children(entry: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(entry);
      } catch {
        return false; // gone meanwhile
      }
    });
}

describe.skipIf(!existsSync('/proc/self/task'))('DARKROOM_THREADS', () => {
  it('reaches the sessions of the inference process', async () => {
    const server = await startTestServer({ DARKROOM_THREADS: String(THREADS) });
    try {
      expect(((await (await fetch(`${server.url}/healthz`)).json()) as { device: unknown }).device).toEqual({ ...CPU_DEVICE, threads: THREADS });
      const response = await fetch(`${server.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ operation: 'txt2img', prompt: 'a red circle on a blue background', steps: 4, seed: 1 }),
      });
      const { id } = (await response.json()) as { id: string };
      await waitForJob(server.url, id);
      // The idle process keeps its sessions (text encoder, UNet, VAE decoder) for a while.
      const [inference] = children('inference-process');
      expect(inference).toBeDefined();
      expect(threadsOf(inference!)).toBeGreaterThanOrEqual(3 * (THREADS - 1));
    } finally {
      await server.close();
    }
  });

  it("reaches the background remover's session", async () => {
    const remover = new BackgroundRemover({ device: { ...CPU_DEVICE, threads: THREADS } });
    const before = threadsOf('self');
    await remover.load('small');
    expect(threadsOf('self') - before).toBeGreaterThanOrEqual(THREADS - 1);
    await remover.close();
  });
});
