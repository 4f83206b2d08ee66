// The OpenAI-compatible image API (/v1), so OpenAI's SDKs and the tools built on them work
// with Darkroom: a generation, edit or variation becomes one job that the request waits
// for, answered in OpenAI's shape. Fields Darkroom has no use for (quality, style, user,
// background, moderation, ...) are accepted and ignored.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import sharp from 'sharp';
import { z } from 'zod';
import { DarkroomError } from '../../domain/errors.js';
import { DEFAULT_MODEL, JobRequest, MAX_BATCH, type JobRequestInput } from '../../domain/job.js';
import type { ModelEntry } from '../../models/catalog.js';
import { ownerOf, type HttpContext } from '../context.js';
import { jobFailure, runToEnd } from '../sync-job.js';
import { readMultipart } from '../multipart.js';
import { parse } from '../parse.js';

/** The model names OpenAI clients send by default; they get Darkroom's default model. */
const OPENAI_MODEL_NAMES = /^(dall-e-|gpt-image-)/;

/** Multipart sends every field as text, and some clients send null or "" to mean "the default". */
const omitted = (value: unknown) => (value === null || value === '' ? undefined : value);

const Size = z
  .preprocess(omitted, z.string().regex(/^(auto|\d+x\d+)$/, 'expected WIDTHxHEIGHT like 512x512, or auto').optional())
  .transform((size): { width?: number; height?: number } => {
    if (size === undefined || size === 'auto') return {};
    const [width, height] = size.split('x').map(Number);
    return { width: width!, height: height! };
  });

const OutputFields = {
  n: z.preprocess(omitted, z.coerce.number().int().min(1).max(MAX_BATCH).default(1)),
  size: Size,
  response_format: z.preprocess(omitted, z.enum(['b64_json', 'url']).default('b64_json')),
  output_format: z.preprocess(omitted, z.enum(['png', 'jpeg', 'webp']).default('png')),
  model: z.preprocess(omitted, z.string().default(DEFAULT_MODEL)).transform((name) => (OPENAI_MODEL_NAMES.test(name) ? DEFAULT_MODEL : name)),
  // Answering a stream request with one JSON body would leave the client waiting for events.
  stream: z
    .unknown()
    .refine((v) => v === null || v === false || v === 'false', 'streaming partial images is not supported; leave it unset')
    .optional(),
};

const Strength = z.preprocess(omitted, z.coerce.number().min(0).max(1).optional());

type Output = {
  response_format: z.infer<typeof OutputFields.response_format>;
  output_format: z.infer<typeof OutputFields.output_format>;
};

/** Stored images are PNG, so a URL can only point at PNG bytes. */
function urlServesPng<T extends z.ZodType<Output>>(schema: T) {
  return schema.refine((request) => request.response_format === 'b64_json' || request.output_format === 'png', {
    path: ['output_format'],
    message: 'a url serves png; use response_format b64_json for jpeg or webp',
  });
}

const GenerationRequest = urlServesPng(z.object({ prompt: z.string(), ...OutputFields }));
const EditRequest = urlServesPng(z.object({ prompt: z.string(), strength: Strength, ...OutputFields }));
const VariationRequest = urlServesPng(z.object(OutputFields));

/** How much a variation may move away from its image: enough to differ, not to lose it. */
const VARIATION_STRENGTH = 0.6;

const ModelParams = z.object({ model: z.string().min(1) });

function encode(png: Buffer, format: Output['output_format']): Promise<Buffer> | Buffer {
  if (format === 'jpeg') return sharp(png).jpeg().toBuffer();
  if (format === 'webp') return sharp(png).webp().toBuffer();
  return png;
}

function requireFile(files: Map<string, Buffer>, name: string): Buffer {
  const file = files.get(name);
  if (!file) throw new DarkroomError('invalid_parameter', `${name}: expected an image file`);
  return file;
}

export async function openAiRoutes(app: FastifyInstance, context: HttpContext) {
  const { jobs, images, catalog, limits, accounts } = context;
  // With accounts on, a url must open without the caller's key, as OpenAI's do: a signed link.
  const linkTo = (owner: string, image: { id: string; url: string }) => (accounts.enabled ? accounts.imageLinks.sign(owner, image.id) : image.url);

  /**
   * OpenAI's mask repaints where it is transparent; Darkroom's repaints where it is white.
   * The bytes are checked like any upload before sharp decodes them.
   */
  async function repaintMask(mask: Buffer): Promise<Buffer> {
    await images.sniff(mask);
    const open = () => sharp(mask, { limitInputPixels: limits.maxPixels, failOn: 'error' });
    try {
      if ((await open().stats()).isOpaque) {
        throw new DarkroomError('invalid_image', 'mask: expected a PNG that is transparent where the image should change; this one is opaque everywhere');
      }
      // Rotated like the image itself is when it is uploaded, so the two stay aligned.
      return await open().rotate().toColourspace('srgb').extractChannel(3).negate().png().toBuffer();
    } catch (error) {
      if (DarkroomError.isInstance(error)) throw error;
      throw new DarkroomError('invalid_image', `mask: the image could not be read: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Queues the job and waits for it; a client that goes away cancels it. */
  async function run(request: FastifyRequest, reply: FastifyReply, owner: string, input: JobRequestInput, output: Output) {
    const ended = await runToEnd(jobs, owner, reply, parse(JobRequest, input));
    if (ended.status !== 'done') throw jobFailure(ended);
    const origin = `${request.protocol}://${request.host}`;
    const data = await Promise.all(
      ended.images.map(async (image) =>
        output.response_format === 'url'
          ? { url: new URL(linkTo(owner, image), origin).href }
          : { b64_json: (await encode((await images.bytes(owner, image.id)).data, output.output_format)).toString('base64') },
      ),
    );
    const first = ended.images[0];
    return {
      created: Math.floor(Date.parse(ended.created_at) / 1000),
      data,
      output_format: output.output_format,
      ...(first ? { size: `${first.width}x${first.height}` } : {}),
    };
  }

  app.post('/v1/images/generations', { schema: { tags: ['openai'], summary: 'Create images from a prompt (OpenAI Images API)' } }, async (request, reply) => {
    const owner = ownerOf(request);
    const { prompt, n, size, model, ...output } = parse(GenerationRequest, request.body);
    return run(request, reply, owner, { operation: 'txt2img', prompt, n, model, ...size }, output);
  });

  app.post(
    '/v1/images/edits',
    { schema: { tags: ['openai'], summary: 'Edit an image; the transparent pixels of an optional mask are repainted (multipart)', consumes: ['multipart/form-data'] } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const { files, fields } = await readMultipart(request, { maxFileBytes: limits.maxUploadBytes, maxFiles: 2 });
      const { prompt, strength, n, size, model, ...output } = parse(EditRequest, fields);
      const image = await images.upload(owner, requireFile(files, 'image'));
      const maskBytes = files.get('mask');
      const common = { prompt, n, model, image: image.id, ...(strength !== undefined ? { strength } : {}), ...size };
      const input: JobRequestInput = maskBytes
        ? { operation: 'inpaint', mask: (await images.upload(owner, await repaintMask(maskBytes))).id, ...common }
        : { operation: 'img2img', ...common };
      return run(request, reply, owner, input, output);
    },
  );

  app.post(
    '/v1/images/variations',
    { schema: { tags: ['openai'], summary: 'Variations of an image (multipart)', consumes: ['multipart/form-data'] } },
    async (request, reply) => {
      const owner = ownerOf(request);
      const { files, fields } = await readMultipart(request, { maxFileBytes: limits.maxUploadBytes, maxFiles: 1 });
      const { n, size, model, ...output } = parse(VariationRequest, fields);
      const image = await images.upload(owner, requireFile(files, 'image'));
      return run(request, reply, owner, { operation: 'img2img', prompt: '', strength: VARIATION_STRENGTH, image: image.id, n, model, ...size }, output);
    },
  );

  const modelObject = (m: ModelEntry) => ({
    id: m.name,
    object: 'model' as const,
    // Built-in and local models have no known date; OpenAI's field is required, so 0.
    created: m.manifest ? Math.floor(Date.parse(m.manifest.pulledAt) / 1000) : 0,
    owned_by: 'darkroom',
  });

  app.get('/v1/models', { schema: { tags: ['openai'], summary: 'Installed models (OpenAI Models API)' } }, async () => ({
    object: 'list',
    data: (await catalog.list()).map(modelObject),
  }));

  app.get('/v1/models/:model', { schema: { tags: ['openai'], summary: 'One installed model (OpenAI Models API)' } }, async (request) => {
    const { model } = parse(ModelParams, request.params);
    return modelObject(await catalog.resolve(model));
  });
}
