// The process behind ProcessRunner: builds the local engines once and runs the jobs it is
// sent, reporting progress and previews, and stopping between steps on cancel. The server
// decides when it ends: a Ctrl+C reaches the whole process group, but only the server acts
// on it, and this process exits when the server lets go of it (or is gone).

import { DarkroomError } from '../domain/errors.js';
import { localEngines, type EngineConfig } from '../engine/registry.js';
import { previewDue, runScreened, type ProcessReply, type ProcessRequest } from './runner.js';

const { registry } = localEngines(JSON.parse(process.argv[2]!) as EngineConfig);
const running = new Map<number, { controller: AbortController; wanted: boolean }>();

function reply(message: ProcessReply) {
  if (process.connected) process.send!(message);
}

process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
process.on('disconnect', () => process.exit(0));

process.on('message', (request: ProcessRequest) => {
  if (request.type === 'cancel') {
    running.get(request.id)?.controller.abort();
    return;
  }
  if (request.type === 'previews') {
    const job = running.get(request.id);
    if (job) job.wanted = request.wanted;
    return;
  }
  const controller = new AbortController();
  const job = { controller, wanted: request.wanted };
  running.set(request.id, job);
  const { id } = request;
  const run = () =>
    registry.run(request.job, {
      signal: controller.signal,
      progress: async (p) => {
        const preview = previewDue(p, request.previews, job.wanted) ? await p.preview!() : undefined;
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
