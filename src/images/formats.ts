// The image formats an upload may be in: the one list the upload check, every message about
// it and the studio's file picker use. Nothing here needs sharp, so the studio imports it too.

export interface UploadFormat {
  /** As people write it. */
  name: string;
  mime: string;
}

/** By the format name Darkroom gives a file (see `uploadFormatOf`). */
export const UPLOAD_FORMATS = {
  png: { name: 'PNG', mime: 'image/png' },
  jpeg: { name: 'JPEG', mime: 'image/jpeg' },
  webp: { name: 'WebP', mime: 'image/webp' },
  gif: { name: 'GIF', mime: 'image/gif' },
  avif: { name: 'AVIF', mime: 'image/avif' },
  tiff: { name: 'TIFF', mime: 'image/tiff' },
} as const satisfies Record<string, UploadFormat>;

export type UploadFormatId = keyof typeof UPLOAD_FORMATS;

/** "PNG, JPEG, WebP, GIF, AVIF or TIFF". */
export const UPLOAD_FORMAT_NAMES = ((names: string[]) => `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`)(Object.values(UPLOAD_FORMATS).map((f) => f.name));

/**
 * The upload format of a file, from what sharp's metadata says it is, or undefined when it
 * is not one Darkroom takes. sharp calls AVIF "heif" (AV1 inside a HEIF container); HEIF
 * with HEVC inside (HEIC) cannot be decoded by its build and is not taken.
 */
export function uploadFormatOf(meta: { format?: string | undefined; compression?: string | undefined }): UploadFormatId | undefined {
  const format = meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : meta.format;
  return format !== undefined && Object.hasOwn(UPLOAD_FORMATS, format) ? (format as UploadFormatId) : undefined;
}
