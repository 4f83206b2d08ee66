// The worker thread behind ThreadRunner: builds the local engines once and runs the jobs
// it is sent, reporting progress and previews, and stopping between steps on cancel.

import { parentPort, workerData } from 'node:worker_threads';
import { DarkroomError } from '../domain/errors.js';
import { localEngines, type EngineConfig } from '../engine/registry.js';
import { previewDue, runScreened, type ThreadReply, type ThreadRequest } from './runner.js';

const port = parentPort!;
const { registry } = localEngines((workerData as { config: EngineConfig }).config);
const running = new Map<number, AbortController>();

function reply(message: ThreadReply) {
  port.postMessage(message);
}

port.on('message', (request: ThreadRequest) => {
  if (request.type === 'cancel') {
    running.get(request.id)?.abort();
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  const { id } = request;
  const run = () =>
    registry.run(request.job, {
      signal: controller.signal,
      progress: async (p) => {
        const preview = p.preview && previewDue(p.step, p.total, request.previews) ? await p.preview() : undefined;
        reply({ type: 'progress', id, step: p.step, total: p.total, ...(preview ? { preview } : {}) });
      },
    });
  runScreened(run, request.job, request.screen)
    .then((outcome) => reply({ type: 'done', id, outcome }))
    .catch((error: unknown) => {
      const known = DarkroomError.isInstance(error);
      reply({ type: 'error', id, code: known ? error.code : 'internal', message: known ? error.message : `Inference failed: ${(error as Error).message}` });
    })
    .finally(() => running.delete(id));
});
