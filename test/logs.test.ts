// Server logs never hold a prompt, a request body, a query string or the client's address,
// including for failing requests and failing jobs.

import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { buildServer, logSerializers } from '../src/http/server.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEvents } from './helpers/sse.js';

const CANARY = `canary-${Math.random().toString(36).slice(2)}`;
const lines: string[] = [];
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'darkroom-logs-'));
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'trace', serializers: logSerializers }, sink);
  const app = createApp(loadConfig({ DARKROOM_DATA_DIR: dataDir }), { log: logger });
  const services = await app.services();
  await services.start();
  const server = await buildServer(services.http, { logger });
  url = await server.listen({ host: '127.0.0.1', port: 0 });
  close = async () => {
    await server.close();
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  };
});
afterAll(() => close());

describe('logs', () => {
  it('record requests without prompts, bodies, queries or client addresses', async () => {
    const post = (body: string) => fetch(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const created = (await (await post(JSON.stringify({ operation: 'txt2img', prompt: `a red circle ${CANARY}`, negative_prompt: CANARY, steps: 4 }))).json()) as { id: string };
    await readEvents(`${url}/api/v1/jobs/${created.id}/events`);
    await post(`{"prompt": "${CANARY}", `);
    await post(JSON.stringify({ operation: 'txt2img', prompt: CANARY, model: `model-${CANARY}` }));
    await post(JSON.stringify({ operation: 'txt2img', prompt: CANARY, width: 66 }));
    await fetch(`${url}/api/v1/images?search=${CANARY}`, { headers: { 'x-forwarded-for': '203.0.113.9', 'user-agent': CANARY } });
    const form = new FormData();
    form.append('image', new Blob([Buffer.from(CANARY)], { type: 'image/png' }), `${CANARY}.png`);
    await fetch(`${url}/api/v1/uploads`, { method: 'POST', body: form });
    const log = lines.join('');
    expect(lines.length).toBeGreaterThan(10);
    expect(log).toContain('/api/v1/jobs');
    expect(log).not.toContain(CANARY);
    expect(log).not.toContain('203.0.113.9');
    expect(log).not.toMatch(/"remoteAddress"|"remotePort"|"ip"|"headers"|user-agent/i);
  });
});
