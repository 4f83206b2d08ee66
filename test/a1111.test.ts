// The AUTOMATIC1111-compatible API over real HTTP, with request bodies as A1111 clients
// send them, on the real engine and the built-in tiny model.

import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';
import { meanAbsDiff, TINY_DIR } from './helpers/tiny.js';
import { waitFor } from './helpers/wait.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function post(path: string, body: unknown, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function get(path: string) {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, body: (await response.json()) as any };
}

async function rgb(base64: string) {
  const { data, info } = await sharp(Buffer.from(base64, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A red square on a blue background, 64x64, like the pictures the tiny model draws. */
async function redSquarePng(): Promise<Buffer> {
  const square = await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 220, g: 40, b: 40 } } }).png().toBuffer();
  return sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 40, g: 80, b: 220 } } })
    .composite([{ input: square, left: 20, top: 20 }])
    .png()
    .toBuffer();
}

const latestJob = async () => (await server.services.jobs.list('local', 1))[0]!;

describe('POST /sdapi/v1/txt2img', () => {
  it('answers base64 PNGs, the echoed parameters and info as a JSON string', async () => {
    const { status, body } = await post('/sdapi/v1/txt2img', {
      prompt: 'a red circle on a blue background',
      negative_prompt: '',
      sampler_name: 'Euler a',
      steps: 8,
      cfg_scale: 7,
      seed: 1234,
      batch_size: 2,
      width: 64,
      height: 64,
      restore_faces: false,
      send_images: true,
      save_images: false,
      alwayson_scripts: {},
    });
    expect(status).toBe(200);
    expect(body.images).toHaveLength(2);
    for (const image of body.images) {
      const meta = await sharp(Buffer.from(image, 'base64')).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
    }
    expect(typeof body.info).toBe('string');
    const info = JSON.parse(body.info);
    expect(info).toMatchObject({
      seed: 1234,
      all_seeds: [1234, 1235],
      prompt: 'a red circle on a blue background',
      negative_prompt: '',
      steps: 8,
      cfg_scale: 7,
      sampler_name: 'Euler a',
      width: 64,
      height: 64,
      sd_model_name: 'darkroom-tiny',
    });
    expect(body.parameters).toMatchObject({
      prompt: 'a red circle on a blue background',
      sampler_name: 'Euler a',
      steps: 8,
      cfg_scale: 7,
      seed: 1234,
      batch_size: 2,
      n_iter: 1,
      width: 64,
      height: 64,
    });
    expect(body.parameters).not.toHaveProperty('alwayson_scripts');
  });

  it('makes batch_size × n_iter images on consecutive seeds, a random seed for -1, and reads null as not set', async () => {
    const { body } = await post('/sdapi/v1/txt2img', { prompt: 'a green square', steps: 2, seed: -1, batch_size: 1, n_iter: 3, width: 64, height: 64, sampler_name: null, sampler_index: 'DPM++ 2M', styles: null });
    const info = JSON.parse(body.info);
    expect(body.images).toHaveLength(3);
    expect(info.seed).toBeGreaterThanOrEqual(0);
    expect(info.all_seeds).toEqual([info.seed, info.seed + 1, info.seed + 2]);
    expect(info.sampler_name).toBe('DPM++ 2M');
    expect(body.parameters.seed).toBe(-1);
  });
});

describe('hires fix (enable_hr)', () => {
  it('draws at the base size, then returns hr_scale times it with info naming the hires parameters', async () => {
    const request = { prompt: 'a yellow circle on a purple background', steps: 8, seed: 5, width: 64, height: 48, enable_hr: true, hr_scale: 2, hr_second_pass_steps: 6 };
    const { status, body } = await post('/sdapi/v1/txt2img', { ...request, hr_upscaler: 'Latent', denoising_strength: 0.6 });
    expect(status).toBe(200);
    const image = sharp(Buffer.from(body.images[0], 'base64'));
    expect(await image.metadata()).toMatchObject({ width: 128, height: 96 });
    const info = JSON.parse(body.info);
    expect(info.extra_generation_params).toEqual({ 'Hires upscale': 2, 'Hires steps': 6, 'Hires upscaler': 'Latent' });
    expect(info.denoising_strength).toBe(0.6);
    expect(info.infotexts[0]).toContain('Hires upscale: 2, Hires steps: 6, Hires upscaler: Latent');
    // The second pass keeps the first pass's picture: a pixel upscale of it redraws the same scene.
    const lanczos = await post('/sdapi/v1/txt2img', { ...request, hr_upscaler: 'Lanczos', denoising_strength: 0.3 });
    const [a, b] = await Promise.all([rgb(body.images[0]), rgb(lanczos.body.images[0])]);
    expect(meanAbsDiff(a, b)).toBeLessThan(40);
  });

  it('sizes by hr_resize_x/y when given, runs ESRGAN names, and refuses an upscaler it does not have', async () => {
    const { body } = await post('/sdapi/v1/txt2img', { prompt: 'a red square', steps: 4, width: 64, height: 64, enable_hr: true, hr_resize_x: 96, hr_resize_y: 80 });
    expect(await sharp(Buffer.from(body.images[0], 'base64')).metadata()).toMatchObject({ width: 96, height: 80 });
    const esrgan = await post('/sdapi/v1/txt2img', { prompt: 'a red square', steps: 4, width: 64, height: 64, enable_hr: true, hr_upscaler: 'ESRGAN_4x', hr_second_pass_steps: 3 });
    expect(esrgan.status).toBe(200);
    expect(await sharp(Buffer.from(esrgan.body.images[0], 'base64')).metadata()).toMatchObject({ width: 128, height: 128 });
    expect(JSON.parse(esrgan.body.info).extra_generation_params['Hires upscaler']).toBe('ESRGAN_4x');
    const refused = await post('/sdapi/v1/txt2img', { prompt: 'a red square', steps: 4, enable_hr: true, hr_upscaler: 'SwinIR 4x' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('Unknown hr_upscaler "SwinIR 4x"');
  });
});

describe('POST /sdapi/v1/img2img', () => {
  it('stays close to the init image at denoising_strength 0.3 (data URL accepted)', async () => {
    const input = await redSquarePng();
    const { status, body } = await post('/sdapi/v1/img2img', {
      init_images: [`data:image/png;base64,${input.toString('base64')}`],
      prompt: 'a red square on a blue background',
      denoising_strength: 0.3,
      steps: 20,
      seed: 7,
      width: 64,
      height: 64,
    });
    expect(status).toBe(200);
    expect(body.images).toHaveLength(1);
    const original = await rgb(input.toString('base64'));
    const output = await rgb(body.images[0]);
    expect(meanAbsDiff(original, output)).toBeLessThan(12);
    expect(JSON.parse(body.info).denoising_strength).toBe(0.3);
    expect(body.parameters.init_images).toBeNull();
  });

  it('with a mask repaints only the white square; inpainting_mask_invert swaps the sides', async () => {
    const input = await redSquarePng();
    const hole = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#ffffff' } }).png().toBuffer();
    const mask = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000000' } })
      .composite([{ input: hole, left: 16, top: 16 }])
      .png()
      .toBuffer();
    const inHole = (x: number, y: number) => x >= 16 && x < 48 && y >= 16 && y < 48;
    const original = await rgb(input.toString('base64'));
    const request = {
      init_images: [input.toString('base64')],
      mask: mask.toString('base64'),
      // Not the input's blue: the repainted side must show the change wherever the circle lands.
      prompt: 'a yellow circle on a green background',
      denoising_strength: 1,
      mask_blur: 4,
      steps: 20,
      seed: 3,
      width: 64,
      height: 64,
    };

    const painted = await rgb((await post('/sdapi/v1/img2img', request)).body.images[0]);
    expect(meanAbsDiff(original, painted, (x, y) => !inHole(x, y))).toBeLessThan(1);
    expect(meanAbsDiff(original, painted, inHole)).toBeGreaterThan(10);

    const inverted = await rgb((await post('/sdapi/v1/img2img', { ...request, inpainting_mask_invert: 1 })).body.images[0]);
    expect(meanAbsDiff(original, inverted, inHole)).toBeLessThan(1);
    expect(meanAbsDiff(original, inverted, (x, y) => !inHole(x, y))).toBeGreaterThan(10);
  });

  it('reads a mask with transparency by its alpha, as A1111 does: opaque repaints, even when black', async () => {
    const input = await redSquarePng();
    const patch = await sharp({ create: { width: 32, height: 32, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
    const mask = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: patch, left: 0, top: 0 }])
      .png()
      .toBuffer();
    const inPatch = (x: number, y: number) => x < 32 && y < 32;
    const { body } = await post('/sdapi/v1/img2img', {
      init_images: [input.toString('base64')],
      mask: mask.toString('base64'),
      prompt: 'a yellow circle on a green background',
      denoising_strength: 1,
      steps: 20,
      seed: 3,
    });
    const original = await rgb(input.toString('base64'));
    const painted = await rgb(body.images[0]);
    expect(meanAbsDiff(original, painted, (x, y) => !inPatch(x, y))).toBeLessThan(1);
    expect(meanAbsDiff(original, painted, inPatch)).toBeGreaterThan(10);
  });
});

describe('progress and interrupt', () => {
  it('reports the running job, interrupts it, and goes back to idle', async () => {
    const idle = await get('/sdapi/v1/progress');
    expect(idle.body).toMatchObject({ progress: 0, state: { job_count: 0 } });

    const pending = post('/sdapi/v1/txt2img', { prompt: 'a blue circle', steps: 150, width: 256, height: 256, seed: 5 });
    const running = await waitFor(
      () => get('/sdapi/v1/progress'),
      (r) => r.body.state.sampling_step > 0,
      'sampling to start',
    );
    expect(running.body.progress).toBeGreaterThan(0);
    expect(running.body.progress).toBeLessThan(1);
    expect(running.body.state).toMatchObject({ job_count: 1, sampling_steps: 150, interrupted: false });
    expect(running.body.eta_relative).toBeGreaterThanOrEqual(0);

    const withPreview = await waitFor(
      () => get('/sdapi/v1/progress'),
      (r) => r.body.current_image !== null || r.body.state.job_count === 0,
      'a preview',
    );
    const preview = await sharp(Buffer.from(withPreview.body.current_image, 'base64')).metadata();
    expect(preview.format).toBe('png');
    expect((await get('/sdapi/v1/progress?skip_current_image=true')).body.current_image).toBeNull();

    expect(await post('/sdapi/v1/interrupt', {})).toEqual({ status: 200, body: {} });
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(body.images).toEqual([]);
    expect(JSON.parse(body.info)).toMatchObject({ interrupted: true, seed: 5, all_seeds: [5] });
    expect((await latestJob()).status).toBe('cancelled');
    expect((await get('/sdapi/v1/progress')).body).toMatchObject({ progress: 0, state: { job_count: 0 } });
  });

  it('cancels the job when the client hangs up', async () => {
    const hangUp = new AbortController();
    const pending = post('/sdapi/v1/txt2img', { prompt: 'a blue circle', steps: 150, width: 256, height: 256 }, { signal: hangUp.signal });
    await waitFor(() => get('/sdapi/v1/progress'), (r) => r.body.state.sampling_step > 0, 'sampling to start');
    hangUp.abort();
    await expect(pending).rejects.toThrow();
    const job = await waitFor(latestJob, (j) => j.status !== 'running', 'the job to end');
    expect(job.status).toBe('cancelled');
  });
});

describe('models, samplers and options', () => {
  it('lists the built-in model and the samplers by their A1111 names', async () => {
    const models = await get('/sdapi/v1/sd-models');
    expect(models.body).toContainEqual(expect.objectContaining({ title: 'darkroom-tiny', model_name: 'darkroom-tiny' }));
    const samplers = await get('/sdapi/v1/samplers');
    expect(samplers.body).toContainEqual(expect.objectContaining({ name: 'Euler a', aliases: expect.arrayContaining(['k_euler_a', 'euler-a']) }));
    expect(samplers.body.map((s: { name: string }) => s.name)).toEqual(['Euler', 'Euler a', 'DPM++ 2M', 'DPM++ 2M Karras', 'DDIM', 'LCM']);
  });

  it('sets the default model for later requests', async () => {
    await cp(TINY_DIR, join(server.dataDir, 'models', 'tiny-copy'), { recursive: true });
    expect((await get('/sdapi/v1/options')).body.sd_model_checkpoint).toBe('darkroom-tiny');
    expect((await post('/sdapi/v1/options', { sd_model_checkpoint: 'tiny-copy', CLIP_stop_at_last_layers: 1 })).status).toBe(200);
    expect((await get('/sdapi/v1/options')).body.sd_model_checkpoint).toBe('tiny-copy');
    const { body } = await post('/sdapi/v1/txt2img', { prompt: 'a square', steps: 2, width: 64, height: 64 });
    expect(JSON.parse(body.info).sd_model_name).toBe('tiny-copy');

    const unknown = await post('/sdapi/v1/options', { sd_model_checkpoint: 'no-such-model' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
    expect((await post('/sdapi/v1/options', { sd_model_checkpoint: 'darkroom-tiny' })).status).toBe(200);
    expect((await get('/sdapi/v1/options')).body.sd_model_checkpoint).toBe('darkroom-tiny');
  });
});

describe('bad input', () => {
  const base = { prompt: 'a red circle', steps: 2, width: 64, height: 64 };

  it('names an unknown sampler and lists the known ones', async () => {
    const { status, body } = await post('/sdapi/v1/txt2img', { ...base, sampler_name: 'Heun++ Turbo' });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_parameter');
    expect(body.error.message).toContain('Heun++ Turbo');
    expect(body.error.message).toContain('Euler a');
  });

  it.each([
    ['steps 0', { ...base, steps: 0 }, 'steps'],
    ['width 66 (not a multiple of 4)', { ...base, width: 66 }, 'width'],
    ['more than 8 images', { ...base, batch_size: 4, n_iter: 3 }, 'n_iter'],
  ])('refuses %s with 400', async (_, request, field) => {
    const { status, body } = await post('/sdapi/v1/txt2img', request);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_parameter');
    expect(body.error.message).toContain(field);
  });

  it.each([
    ['not base64', 'this is *not* base64!'],
    ['base64 of text', Buffer.from('hello, I am not a picture').toString('base64')],
    ['empty', ''],
  ])('refuses init_images that are %s with 400 invalid_image', async (_, image) => {
    const { status, body } = await post('/sdapi/v1/img2img', { ...base, init_images: [image] });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_image');
    expect(body.error.message).toContain('init_images[0]');
  });

  it('upscales with extra-single-image, by a factor or to a size', async () => {
    const source = await redSquarePng();
    const { width, height } = await sharp(source).metadata();
    const byFactor = await post('/sdapi/v1/extra-single-image', { image: source.toString('base64'), upscaling_resize: 2, upscaler_1: 'R-ESRGAN 4x+' });
    expect(byFactor.status).toBe(200);
    expect(byFactor.body.html_info).toMatch(/ESRGAN \(thick\)/);
    expect(await sharp(Buffer.from(byFactor.body.image, 'base64')).metadata()).toMatchObject({ format: 'png', width: width! * 2, height: height! * 2 });
    const toSize = await post('/sdapi/v1/extra-single-image', { image: source.toString('base64'), resize_mode: 1, upscaling_resize_w: 100, upscaling_resize_h: 90 });
    expect(await sharp(Buffer.from(toSize.body.image, 'base64')).metadata()).toMatchObject({ width: 100, height: 90 });
  });

  it('keeps serving after refusals', async () => {
    const { status, body } = await post('/sdapi/v1/txt2img', base);
    expect(status).toBe(200);
    expect(body.images).toHaveLength(1);
  });
});
