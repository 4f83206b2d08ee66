// The caller's images: uploads (sniffed by content, size- and pixel-limited, re-encoded
// without metadata) and job outputs, each with its retention; listing, saving, deleting.
// Expired images are invisible at once, before any purge has run.

import type { Kysely } from 'kysely';
import sharp, { type Metadata } from 'sharp';
import { iso, type Clock } from '../domain/clock.js';
import { DarkroomError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { AnyImage, Mask, RgbImage } from '../domain/image.js';
import { decodeImage, decodeImageWithAlpha, decodeMask, encodePng } from '../images/codec.js';
import { UPLOAD_FORMAT_NAMES, uploadFormatOf } from '../images/formats.js';
import { encodeLabelledPng, type Provenance } from '../images/provenance.js';
import { expiresAt, type RetentionPolicy } from '../privacy/retention.js';
import { newBlobKey, type BlobStore } from '../store/blob-store.js';
import type { Keyring } from '../store/keyring.js';
import type { Database, ImagesTable } from '../store/schema.js';
import type { Selectable } from 'kysely';

export type ImageRow = Selectable<ImagesTable>;

export interface ImageView {
  id: string;
  url: string;
  kind: 'output' | 'upload';
  width: number;
  height: number;
  seed: number | null;
  job_id: string | null;
  saved: boolean;
  created_at: string;
  expires_at: string | null;
}

export interface UploadLimits {
  maxBytes: number;
  maxPixels: number;
}

export function imageView(row: ImageRow): ImageView {
  return {
    id: row.id,
    url: `/api/v1/images/${row.id}`,
    kind: row.kind,
    width: row.width,
    height: row.height,
    seed: row.seed === null ? null : Number(row.seed),
    job_id: row.job_id,
    saved: Boolean(row.saved),
    created_at: iso(row.created_at),
    expires_at: iso(row.expires_at),
  };
}

export class ImageService {
  constructor(
    private readonly deps: {
      db: Kysely<Database>;
      blobs: BlobStore;
      clock: Clock;
      retention: RetentionPolicy;
      limits: UploadLimits;
      /** Named in the provenance label of outputs, e.g. "Darkroom 0.1.0". */
      creatorTool: string;
      /** Seals image files with their owner's key. */
      keyring: Keyring;
    },
  ) {}

  /** Checks what the bytes are before decoding anything: format by content, and pixel count. */
  async sniff(bytes: Buffer): Promise<{ format: string; width: number; height: number }> {
    const { limits } = this.deps;
    if (bytes.length === 0) throw new DarkroomError('invalid_image', 'The upload is empty');
    if (bytes.length > limits.maxBytes) {
      throw new DarkroomError('image_too_large', `The upload is ${bytes.length} bytes; the limit is ${limits.maxBytes}`);
    }
    let meta: Metadata;
    try {
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch {
      throw new DarkroomError('invalid_image', `The upload is not an image Darkroom can read (${UPLOAD_FORMAT_NAMES})`);
    }
    const format = uploadFormatOf(meta);
    if (!format || !meta.width || !meta.height) {
      throw new DarkroomError('invalid_image', `Unsupported image format ${meta.format ?? 'unknown'} (use ${UPLOAD_FORMAT_NAMES})`);
    }
    if (meta.width * meta.height > limits.maxPixels) {
      throw new DarkroomError('image_too_large', `The image is ${meta.width}x${meta.height}; the limit is ${limits.maxPixels} pixels`);
    }
    return { format, width: meta.width, height: meta.height };
  }

  /** Stores an upload as a metadata-free PNG (EXIF, GPS, XMP and text chunks do not survive). */
  async upload(owner: string, bytes: Buffer): Promise<ImageView> {
    await this.sniff(bytes);
    // Transparency is kept (the image tools use it); diffusion reads the image on white.
    const image = await decodeImageWithAlpha(bytes, { maxPixels: this.deps.limits.maxPixels });
    const now = this.deps.clock.now();
    const row = await this.storeBlob(owner, 'upload', null, image, null, now, expiresAt(this.deps.retention, 'uploads', now));
    // Without its row the purge would never find the file: it goes if the row cannot be written.
    await this.deps.db
      .insertInto('images')
      .values(row)
      .execute()
      .catch(async (error: unknown) => {
        await this.discardBlobs([row]);
        throw error;
      });
    return imageView(row);
  }

  /**
   * Stores a job's outputs, labelled as AI-generated (and with the prompt only when asked),
   * and returns their rows; the caller inserts them with the job's completion.
   */
  async storeOutputs(owner: string, jobId: string, outputs: { seed: number | null; image: AnyImage }[], label: Omit<Provenance, 'creatorTool'>): Promise<ImageRow[]> {
    const now = this.deps.clock.now();
    const expires = expiresAt(this.deps.retention, 'outputs', now);
    const provenance = { ...label, creatorTool: this.deps.creatorTool };
    const rows: ImageRow[] = [];
    try {
      for (const { seed, image } of outputs) rows.push(await this.storeBlob(owner, 'output', jobId, image, seed, now, expires, provenance));
    } catch (error) {
      await this.discardBlobs(rows);
      throw error;
    }
    return rows;
  }

  async discardBlobs(rows: ImageRow[]): Promise<void> {
    await Promise.all(rows.map((r) => this.deps.blobs.delete(r.blob_key)));
  }

  private async storeBlob(
    owner: string,
    kind: ImageRow['kind'],
    jobId: string | null,
    image: AnyImage,
    seed: number | null,
    now: number,
    expires: number | null,
    provenance?: Provenance,
  ): Promise<ImageRow> {
    const png = provenance ? await encodeLabelledPng(image, provenance) : await encodePng(image);
    const key = newBlobKey();
    await this.deps.blobs.put(key, await this.deps.keyring.seal(owner, png, 'image'));
    return {
      id: newId(kind === 'upload' ? 'up' : 'img'),
      owner,
      kind,
      job_id: jobId,
      blob_key: key,
      mime: 'image/png',
      width: image.width,
      height: image.height,
      bytes: png.length,
      seed,
      saved: 0,
      created_at: now,
      expires_at: expires,
    };
  }

  /** The row if it exists, belongs to the owner and has not expired; otherwise not_found. */
  async row(owner: string, id: string): Promise<ImageRow> {
    const now = this.deps.clock.now();
    const row = await this.deps.db
      .selectFrom('images')
      .selectAll()
      .where('id', '=', id)
      .where('owner', '=', owner)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirst();
    if (!row) throw new DarkroomError('not_found', `No image ${id}`);
    return row;
  }

  async bytes(owner: string, id: string): Promise<{ row: ImageRow; data: Buffer }> {
    const row = await this.row(owner, id);
    return { row, data: await this.contents(row) };
  }

  /** The decrypted file of a row. */
  async contents(row: ImageRow): Promise<Buffer> {
    const sealed = await this.deps.blobs.get(row.blob_key);
    if (!sealed) throw new DarkroomError('not_found', `The bytes of image ${row.id} are gone`);
    return this.deps.keyring.open(row.owner, sealed, 'image');
  }

  async thumbnail(owner: string, id: string, side = 256): Promise<Buffer> {
    const { data } = await this.bytes(owner, id);
    return sharp(data).resize(side, side, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
  }

  /** The image on white, as diffusion takes it. */
  async pixels(owner: string, id: string): Promise<RgbImage> {
    return decodeImage((await this.bytes(owner, id)).data);
  }

  /** The image with its transparency, as the image tools take it. */
  async pixelsWithAlpha(owner: string, id: string): Promise<AnyImage> {
    return decodeImageWithAlpha((await this.bytes(owner, id)).data);
  }

  async mask(owner: string, id: string): Promise<Mask> {
    return decodeMask((await this.bytes(owner, id)).data);
  }

  /** Every unexpired image row of the owner, oldest first (for the export archive). */
  async rows(owner: string): Promise<ImageRow[]> {
    const now = this.deps.clock.now();
    return this.deps.db
      .selectFrom('images')
      .selectAll()
      .where('owner', '=', owner)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('created_at')
      .execute();
  }

  async list(owner: string, options: { limit: number; kind?: ImageRow['kind'] }): Promise<ImageView[]> {
    const now = this.deps.clock.now();
    let query = this.deps.db
      .selectFrom('images')
      .selectAll()
      .where('owner', '=', owner)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    if (options.kind) query = query.where('kind', '=', options.kind);
    const rows = await query.orderBy('created_at', 'desc').limit(options.limit).execute();
    return rows.map(imageView);
  }

  async save(owner: string, id: string): Promise<ImageView> {
    const row = await this.row(owner, id);
    const expires = expiresAt(this.deps.retention, 'saved', this.deps.clock.now());
    await this.deps.db.updateTable('images').set({ saved: 1, expires_at: expires }).where('id', '=', row.id).execute();
    return imageView({ ...row, saved: 1, expires_at: expires });
  }

  async delete(owner: string, id: string): Promise<void> {
    const row = await this.row(owner, id);
    await this.deps.db.deleteFrom('images').where('id', '=', row.id).execute();
    await this.deps.blobs.delete(row.blob_key);
  }
}
