// Reads a multipart/form-data request into memory within limits: a few files of bounded
// size and plain text fields.

import type { FastifyRequest } from 'fastify';
import '@fastify/multipart';
import { DarkroomError } from '../domain/errors.js';

export interface MultipartBody {
  files: Map<string, Buffer>;
  fields: Record<string, string>;
}

export async function readMultipart(request: FastifyRequest, limits: { maxFileBytes: number; maxFiles: number }): Promise<MultipartBody> {
  if (!request.isMultipart()) {
    throw new DarkroomError('unsupported_media_type', 'Expected a multipart/form-data request');
  }
  const files = new Map<string, Buffer>();
  const fields: Record<string, string> = {};
  const parts = request.parts({ limits: { fileSize: limits.maxFileBytes, files: limits.maxFiles, fields: 50, fieldSize: 100_000 } });
  for await (const part of parts) {
    if (part.type === 'file') {
      // OpenAI clients send several images as image[]; keep the first under the plain name too.
      const name = part.fieldname.replace(/\[\]$/, '');
      const data = await part.toBuffer();
      files.set(files.has(name) ? `${name}.${files.size}` : name, data);
    } else {
      fields[part.fieldname] = String(part.value);
    }
  }
  return { files, fields };
}
