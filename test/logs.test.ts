// Server logs never hold a prompt, a request body, a query string or the client's address,
// including for failing requests and failing jobs.

import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logSerializers } from '../src/http/server.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { readEvents } from './helpers/sse.js';

const CANARY = `canary-${Math.random().toString(36).slice(2)}`;
const lines: string[] = [];
let server: TestServer;
let url: string;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: 'trace', serializers: logSerializers }, sink);
  // Image screening is on, as by default, so that its path is logged too.
  server = await startTestServer({ DARKROOM_MODERATION_IMAGES: 'on' }, { logger, log: logger });
  url = server.url;
});
afterAll(() => server.close());

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
