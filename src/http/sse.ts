// Server-sent events on a Fastify reply: each event as "event: <type>" plus a JSON data
// line, a comment every 15 s so proxies keep the stream open, and the end of the stream
// when the job ends or the client goes away.

import type { FastifyReply, FastifyRequest } from 'fastify';

export interface EventStream {
  send(type: string, data: unknown): void;
  end(): void;
  onClose(callback: () => void): void;
}

export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
    // The stream is hijacked past Fastify's onSend hook, which sets these on other answers.
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  raw.write(': stream open\n\n');
  let open = true;
  const closers: (() => void)[] = [];
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
  const close = () => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    for (const closer of closers) closer();
  };
  request.raw.on('close', close);
  return {
    send(type, data) {
      if (open) raw.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      close();
      raw.end();
    },
    /** Runs `callback` when the stream ends; at once if it has ended already. */
    onClose(callback) {
      if (open) closers.push(callback);
      else callback();
    },
  };
}
