// A user's archive: everything Darkroom holds for them, as one zip: jobs.json (with the
// prompts still within their window), images.json, and every image file.

import { Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import type { Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import { imageView } from '../gallery/image-service.js';
import { specOf } from '../jobs/job-store.js';
import type { BlobStore } from '../store/blob-store.js';
import type { Database } from '../store/schema.js';

export interface ExportDeps {
  db: Kysely<Database>;
  blobs: BlobStore;
  clock: Clock;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

export async function exportArchive(deps: ExportDeps, owner: string, about: Record<string, unknown>): Promise<Readable> {
  const now = deps.clock.now();
  const jobs = await deps.db.selectFrom('jobs').selectAll().where('owner', '=', owner).orderBy('created_at').execute();
  const images = await deps.db
    .selectFrom('images')
    .selectAll()
    .where('owner', '=', owner)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at')
    .execute();
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
        prompt: visible ? spec.prompt : null,
        negative_prompt: visible ? spec.negative_prompt : null,
        status: job.status,
        error: job.error_code ? { code: job.error_code, message: job.error_message } : null,
        created_at: iso(job.created_at),
        finished_at: iso(job.finished_at),
      };
    }),
  );
  addJson('images.json', images.map((row) => ({ ...imageView(row), file: `images/${row.id}.png` })));
  for (const row of images) {
    const data = await deps.blobs.get(row.blob_key);
    if (!data) continue;
    // PNGs are compressed already; store them as they are.
    const file = new ZipPassThrough(`images/${row.id}.png`);
    zip.add(file);
    file.push(data, true);
  }
  zip.end();
  return out;
}
