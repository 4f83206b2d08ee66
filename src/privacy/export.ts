// A user's archive: everything Darkroom holds for them, as one zip: account.json (the
// account, its sign-in identities, API keys without their secrets, credit history,
// moderation decisions and audit records about them), jobs.json (with the prompts still
// within their window), images.json, and every image file, decrypted.

import { Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import type { Kysely } from 'kysely';
import { iso, type Clock } from '../domain/clock.js';
import { isDiffusion } from '../domain/job.js';
import { imageView, type ImageService } from '../gallery/image-service.js';
import { specOf, type JobStore } from '../jobs/job-store.js';
import type { Database } from '../store/schema.js';

export interface ExportDeps {
  db: Kysely<Database>;
  jobs: JobStore;
  images: ImageService;
  clock: Clock;
}


/** The rows about the owner outside jobs and images; secrets (password and key hashes) left out. */
async function accountRecords(db: Kysely<Database>, owner: string) {
  const times = <T extends { created_at: number }>(rows: T[]) => rows.map((row) => ({ ...row, created_at: iso(row.created_at) }));
  const [user, identities, keys, credits, moderation, audit] = await Promise.all([
    db.selectFrom('users').select(['id', 'email', 'role', 'created_at']).where('id', '=', owner).executeTakeFirst(),
    db.selectFrom('oauth_identities').select(['provider', 'subject']).where('user_id', '=', owner).execute(),
    db.selectFrom('api_keys').select(['id', 'hint', 'created_at', 'revoked_at']).where('user_id', '=', owner).execute(),
    db.selectFrom('ledger').select(['transaction_id', 'amount', 'kind', 'job_id', 'created_at']).where('account', '=', `user:${owner}`).orderBy('id').execute(),
    db.selectFrom('moderation_decisions').select(['subject', 'categories', 'action', 'content_hash', 'created_at']).where('owner', '=', owner).orderBy('id').execute(),
    db.selectFrom('audit_log').select(['actor', 'action', 'target', 'created_at']).where((eb) => eb.or([eb('actor', '=', owner), eb('target', '=', owner)])).orderBy('id').execute(),
  ]);
  return {
    account: user ? { ...user, created_at: iso(user.created_at) } : null,
    sign_in_identities: identities,
    api_keys: keys.map((key) => ({ ...key, created_at: iso(key.created_at), revoked_at: iso(key.revoked_at) })),
    credits: times(credits),
    moderation_decisions: times(moderation),
    audit_records: times(audit),
  };
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
  addJson('account.json', await accountRecords(deps.db, owner));
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
