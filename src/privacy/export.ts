// A user's archive: everything Darkroom holds for them, as one zip: jobs.json (with the
// prompts still within their window), images.json, and every image file, decrypted.

import { Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import type { Clock } from '../domain/clock.js';
import { isDiffusion } from '../domain/job.js';
import { imageView, type ImageService } from '../gallery/image-service.js';
import { specOf, type JobStore } from '../jobs/job-store.js';

export interface ExportDeps {
  jobs: JobStore;
  images: ImageService;
  clock: Clock;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

export async function exportArchive(deps: ExportDeps, owner: string, about: Record<string, unknown>): Promise<Readable> {
  const now = deps.clock.now();
  const jobs = (await deps.jobs.list(owner)).reverse();
  const images = await deps.images.rows(owner);
  const out = new Readable({ read() {} });
  const zip = new Zip((error, chunk, final) => {
    if (error) out.destroy(error);
    else {
      out.push(Buffer.from(chunk));
      if (final) out.push(null);
    }
  });
  const addJson = (name: string, value: unknown) => {
    const file = new ZipDeflate(name, { level: 6 });
    zip.add(file);
    file.push(new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`), true);
  };
  addJson('darkroom-export.json', { exported_at: new Date(now).toISOString(), owner, ...about });
  addJson(
    'jobs.json',
    jobs.map((job) => {
      const visible = job.prompt_expires_at === null || Number(job.prompt_expires_at) > now;
      const spec = specOf(job);
      return {
        id: job.id,
        ...spec,
        ...(isDiffusion(spec) ? { prompt: visible ? spec.prompt : null, negative_prompt: visible ? spec.negative_prompt : null } : {}),
        status: job.status,
        error: job.error_code ? { code: job.error_code, message: job.error_message } : null,
        created_at: iso(job.created_at),
        finished_at: iso(job.finished_at),
      };
    }),
  );
  addJson('images.json', images.map((row) => ({ ...imageView(row), file: `images/${row.id}.png` })));
  for (const row of images) {
    // PNGs are compressed already; store them as they are.
    const file = new ZipPassThrough(`images/${row.id}.png`);
    zip.add(file);
    file.push(await deps.images.contents(row), true);
  }
  zip.end();
  return out;
}
