// The content classifier on synthetic, harmless pictures (no NSFW fixtures): a probability
// for each of the five nsfwjs classes summing to 1, drawings scored as Drawing or Neutral,
// the same numbers as nsfwjs's own runtime, and no tensors left behind.

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config.js';
import type { RgbImage } from '../../domain/image.js';
import { CONTENT_CLASSES, ContentClassifier, type ContentScores } from './content-classifier.js';
import { tensorflow } from './tfjs.js';

async function draw(width: number, height: number, body: string): Promise<RgbImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

const PICTURES = {
  'a flat colour': () => draw(64, 64, '<rect width="64" height="64" fill="#4a7bd0"/>'),
  'a gradient': () =>
    draw(96, 64, '<defs><linearGradient id="g"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient></defs><rect width="96" height="64" fill="url(#g)"/>'),
  'a cartoon face': () =>
    draw(
      128,
      128,
      '<rect width="128" height="128" fill="#fff"/><circle cx="64" cy="64" r="50" fill="#ffd93b" stroke="#000" stroke-width="4"/><circle cx="46" cy="52" r="7"/><circle cx="82" cy="52" r="7"/><path d="M40 80 Q64 104 88 80" stroke="#000" stroke-width="5" fill="none"/>',
    ),
};

const top = (scores: ContentScores) => Object.entries(scores).sort((a, b) => b[1] - a[1])[0]![0];

let classifier: ContentClassifier;
beforeAll(async () => {
  classifier = new ContentClassifier();
  await classifier.load();
});
afterAll(() => classifier.dispose());

describe('classify', () => {
  it.each(Object.keys(PICTURES))('%s gets five probabilities summing to 1, led by Drawing or Neutral', async (name) => {
    const scores = await classifier.classify(await PICTURES[name as keyof typeof PICTURES]());
    expect(Object.keys(scores)).toEqual([...CONTENT_CLASSES]);
    for (const p of Object.values(scores)) expect(p).toBeGreaterThanOrEqual(0);
    expect(Object.values(scores).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(['Drawing', 'Neutral']).toContain(top(scores));
  });

  it('scores a cartoon drawing high on Drawing + Neutral', async () => {
    const scores = await classifier.classify(await PICTURES['a cartoon face']());
    expect(scores.Drawing + scores.Neutral).toBeGreaterThan(0.9);
  });

  it('reads RGBA by its colour, as nsfwjs does', async () => {
    const rgb = await PICTURES['a cartoon face']();
    const data = new Uint8Array(rgb.width * rgb.height * 4);
    for (let p = 0; p < rgb.width * rgb.height; p++) data.set([...rgb.data.subarray(p * 3, p * 3 + 3), p % 2 ? 0 : 255], p * 4);
    const rgba = await classifier.classify({ width: rgb.width, height: rgb.height, channels: 4, data });
    const plain = await classifier.classify(rgb);
    for (const name of CONTENT_CLASSES) expect(rgba[name]).toBeCloseTo(plain[name], 6);
  });

  it('leaves no tensor behind', async () => {
    const tf = await tensorflow();
    const image = await PICTURES['a gradient']();
    const before = tf.memory().numTensors;
    await classifier.classify(image);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an unknown model', async () => {
    await expect(classifier.classify(await PICTURES['a flat colour'](), { model: 'resnet' as 'mobilenet_v2' })).rejects.toMatchObject({
      code: 'invalid_parameter',
      message: 'Expected the classifier model to be one of mobilenet_v2, inception_v3, got "resnet"',
    });
  });
});

// nsfwjs's own runtime imports the @tensorflow/tfjs umbrella (installed as its peer), whose
// engine would collide with ours in one process, so it runs in a child process.
const REFERENCE = `
import * as tf from '@tensorflow/tfjs';
import * as nsfwjs from 'nsfwjs';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const { width, height, data } = JSON.parse(input);
await tf.setBackend('cpu');
const model = await nsfwjs.load('MobileNetV2');
const predictions = await model.classify(tf.tensor3d(Buffer.from(data, 'base64'), [height, width, 3], 'int32'), 5);
process.stdout.write('\\n' + JSON.stringify(Object.fromEntries(predictions.map((p) => [p.className, p.probability]))));
`;

function hasUmbrella(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs');
    return true;
  } catch {
    return false;
  }
}

describe('parity', () => {
  // The reference needs the full @tensorflow/tfjs (a dev dependency): skipped where it is not
  // installed, except in CI, where it must be.
  it.skipIf(!hasUmbrella() && process.env.CI !== 'true')('matches nsfwjs.load("MobileNetV2").classify on the same pixels', async () => {
    const image = await draw(150, 100, '<rect width="150" height="100" fill="#8ac"/><circle cx="64" cy="50" r="40" fill="#ffd93b" stroke="#000" stroke-width="4"/><rect x="100" y="20" width="30" height="60" fill="#a33"/>');
    const child = promisify(execFile)(process.execPath, ['--input-type=module', '-e', REFERENCE], { cwd: packageRoot(), timeout: 60_000 });
    child.child.stdin!.end(JSON.stringify({ width: image.width, height: image.height, data: Buffer.from(image.data).toString('base64') }));
    // nsfwjs logs to stdout too; the scores are the last line.
    const theirs = JSON.parse((await child).stdout.trim().split('\n').at(-1)!) as ContentScores;
    const ours = await classifier.classify(image);
    for (const name of CONTENT_CLASSES) expect(ours[name]).toBeCloseTo(theirs[name], 4);
  });
});
