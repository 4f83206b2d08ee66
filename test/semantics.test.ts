// What a person would check: the picture shows the prompt's shape, colour, background,
// position and size. Pixels are classified against the training palette; each prompt is
// tried on several seeds and most of them must be right (a small model is not perfect,
// and the figures it reaches are printed). The SD-shaped and SDXL-shaped built-in models are
// held to the same checks, SDXL's size and crop conditioning to its own. The Z-Image-shaped
// one (a flow transformer at its recommended 8 steps without guidance) is still in training:
// its first release is held to what it draws reliably (backgrounds, positions, sizes, the
// seed's freedom, Chinese prompts, image-to-image); it does not yet draw the three shapes
// apart, nor the shape's colour for every pair, so those are not claimed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffusionPipeline, GenerateRequest, ImagePipeline } from '../src/engine/diffusion/pipeline.js';
import type { SessionPool } from '../src/engine/diffusion/onnx-session.js';
import type { RgbImage } from '../src/domain/image.js';
import { backgroundOf, meanAbsDiff, openModel, openTiny, readShape, regionMean, colourName, shapeFromFill, TINY_DIR, TINY_FLOW_DIR, TINY_XL_DIR, type ShapeReading } from './helpers/tiny.js';

const SEEDS = [11, 12, 13, 14];

/** The UNet models' sampling; the flow model's is its own recommendation. */
const UNET_SAMPLING = { steps: 20, guidance: 7.5 };
const FLOW_SAMPLING = { steps: 8, guidance: 0 };

function drawing(model: () => ImagePipeline, sampling = UNET_SAMPLING) {
  return async (prompt: string, options: Partial<GenerateRequest> = {}) => {
    const { images } = await model().generate({
      prompt,
      negativePrompt: '',
      width: 64,
      height: 64,
      ...sampling,
      scheduler: 'euler',
      seed: SEEDS[0]!,
      count: SEEDS.length,
      ...options,
    });
    return images.map((i) => i.image);
  };
}

type Draw = ReturnType<typeof drawing>;

async function expectSizes(draw: Draw) {
  const large = (await draw('a large black square on a white background')).map(readShape);
  const small = (await draw('a small black square on a white background')).map(readShape);
  const mean = (r: { area: number }[]) => r.reduce((n, x) => n + x.area, 0) / r.length;
  expect(mean(large)).toBeGreaterThan(2 * mean(small));
}

/** Over 8 seeds of a prompt that names no place or size, the shape's place and size vary. */
async function expectSpread(name: string, draw: Draw) {
  const readings = (await draw('a red circle on a blue background', { count: 8 })).map(readShape);
  const spread = (values: number[]) => Math.max(...values) - Math.min(...values);
  const [xs, ys, areas] = [readings.map((r) => r.cx), readings.map((r) => r.cy), readings.map((r) => r.area)];
  console.log(`${name}: centroids spread ${spread(xs).toFixed(2)} in x, ${spread(ys).toFixed(2)} in y; areas ${Math.min(...areas).toFixed(3)}-${Math.max(...areas).toFixed(3)}`);
  // The training data puts an unnamed position anywhere from 0.28 to 0.72 of the side.
  expect(Math.max(spread(xs), spread(ys))).toBeGreaterThan(0.25);
  expect(Math.max(...areas) / Math.min(...areas)).toBeGreaterThan(1.8);
}

/** Mean squared difference of neighbouring pixels: how crisp the edges are. */
function sharpness(image: RgbImage): number {
  const { width, height, data } = image;
  let sum = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x + 1 < width; x++) for (let c = 0; c < 3; c++) sum += (data[(y * width + x) * 3 + c]! - data[(y * width + x + 1) * 3 + c]!) ** 2;
  }
  return sum / (height * (width - 1) * 3);
}

describe.each([
  ['darkroom-tiny', TINY_DIR],
  ['darkroom-tiny-xl', TINY_XL_DIR],
])('%s draws what it is asked', (name, dir) => {
  let pipeline: ImagePipeline;
  let sessions: SessionPool;
  beforeAll(async () => {
    ({ pipeline, sessions } = await openModel(dir));
  });
  afterAll(() => sessions.close());
  const draw = drawing(() => pipeline);

  it('a red circle in the centre on a blue background: red in the middle, blue at the corners, round', async () => {
    const images = await draw('a red circle in the centre on a blue background');
    const centres = images.map((image) => colourName(regionMean(image, 28, 28, 8)));
    const backgrounds = images.map(backgroundOf);
    const shapes = images.map((image) => shapeFromFill(readShape(image).fill));
    expect(centres.filter((c) => c === 'red').length).toBeGreaterThanOrEqual(3);
    expect(backgrounds.filter((c) => c === 'blue').length).toBeGreaterThanOrEqual(3);
    expect(shapes.filter((s) => s === 'circle').length).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['a green square on a white background', 'green', 'white', 'square'],
    ['a yellow triangle on a black background', 'yellow', 'black', 'triangle'],
    ['a purple circle on an orange background', 'purple', 'orange', 'circle'],
    ['a white square on a red background', 'white', 'red', 'square'],
  ] as const)('%s', async (prompt, colour, background, shape) => {
    const readings = (await draw(prompt)).map((image) => ({ ...readShape(image), background: backgroundOf(image) }));
    const right = readings.filter((r) => r.colour === colour && r.background === background && shapeFromFill(r.fill) === shape);
    expect(right.length, JSON.stringify(readings)).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['a blue circle on the left, yellow background', (cx: number) => cx < 0.42, 'x'],
    ['a blue circle on the right, yellow background', (cx: number) => cx > 0.58, 'x'],
    ['a blue circle at the top, yellow background', (cy: number) => cy < 0.42, 'y'],
    ['a blue circle at the bottom, yellow background', (cy: number) => cy > 0.58, 'y'],
  ] as const)('%s', async (prompt, inPlace, axis) => {
    const readings = (await draw(prompt)).map(readShape);
    const right = readings.filter((r) => inPlace(axis === 'x' ? r.cx : r.cy));
    expect(right.length, JSON.stringify(readings)).toBeGreaterThanOrEqual(3);
  });

  it('leaves what the prompt does not say to the seed: four seeds, four different pictures of it', async () => {
    const images = await draw('a red circle on a blue background');
    const readings = images.map((image) => ({ ...readShape(image), background: backgroundOf(image) }));
    const right = readings.filter((r) => r.colour === 'red' && r.background === 'blue' && shapeFromFill(r.fill) === 'circle');
    expect(right.length, JSON.stringify(readings)).toBeGreaterThanOrEqual(3);
    // Grey levels (0..255) by which each pair of the four images differs; one centred circle
    // drawn four times differed by 4 to 7. Two seeds may pick the same place and size.
    const differences = images.flatMap((a, i) => images.slice(i + 1).map((b) => meanAbsDiff(a, b)));
    console.log(`seed differences: ${differences.map((d) => d.toFixed(1)).join(', ')}`);
    expect(differences.reduce((sum, d) => sum + d, 0) / differences.length).toBeGreaterThan(12);
  });

  it('draws a large shape bigger than a small one', () => expectSizes(draw));
  it('spreads a shape with no position or size over places and sizes across 8 seeds', () => expectSpread(name, draw));
});

describe('darkroom-tiny-xl reads its size and crop conditioning', () => {
  let pipeline: DiffusionPipeline;
  let sessions: SessionPool;
  beforeAll(async () => {
    ({ pipeline, sessions } = await openTiny(TINY_XL_DIR));
  });
  afterAll(() => sessions.close());
  const draw = drawing(() => pipeline);
  const prompt = 'a large white square in the centre on a black background';

  it('draws softer edges when told the picture was upscaled from 24 px', async () => {
    const crisp = await draw(prompt);
    const soft = await draw(prompt, { sizeConditioning: { originalWidth: 24, originalHeight: 24, cropTop: 0, cropLeft: 0 } });
    const mean = (images: RgbImage[]) => images.reduce((n, i) => n + sharpness(i), 0) / images.length;
    console.log(`edge sharpness: native ${mean(crisp).toFixed(0)}, upscaled from 24 px ${mean(soft).toFixed(0)}`);
    // Learned only in part (the model card says so): about 7% softer; the model before its
    // fine-tune on small upscales drew both alike (434 against 439).
    expect(mean(soft)).toBeLessThan(0.96 * mean(crisp));
  });

  it('moves the picture when told it was cropped from a larger one', async () => {
    const whole = await draw(prompt);
    const cropped = await draw(prompt, { sizeConditioning: { originalWidth: 96, originalHeight: 96, cropTop: 32, cropLeft: 32 } });
    const differences = whole.map((image, k) => meanAbsDiff(image, cropped[k]!));
    console.log(`crop 32,32 of 96 px: mean difference ${(differences.reduce((a, b) => a + b, 0) / differences.length).toFixed(1)} grey levels`);
    expect(differences.reduce((a, b) => a + b, 0) / differences.length).toBeGreaterThan(8);
  });
});

describe("darkroom-tiny follows A1111's prompt weights", () => {
  let pipeline: DiffusionPipeline;
  let sessions: SessionPool;
  beforeAll(async () => {
    ({ pipeline, sessions } = await openTiny(TINY_DIR));
  });
  afterAll(() => sessions.close());
  const draw = drawing(() => pipeline);

  /** The share of pixels nearest to the palette's red. */
  const redShare = (images: RgbImage[]) => {
    let red = 0;
    let all = 0;
    for (const image of images) {
      for (let p = 0; p < image.width * image.height; p++) {
        if (colourName([image.data[p * 3]!, image.data[p * 3 + 1]!, image.data[p * 3 + 2]!]) === 'red') red++;
        all++;
      }
    }
    return red / all;
  };

  it('(red:1.6) draws more red than (red:0.4)', async () => {
    const strong = redShare(await draw('a (red:1.6) circle on a blue background', { count: 8 }));
    const weak = redShare(await draw('a (red:0.4) circle on a blue background', { count: 8 }));
    console.log(`red share: (red:1.6) ${(strong * 100).toFixed(1)}%, (red:0.4) ${(weak * 100).toFixed(1)}%`);
    expect(strong).toBeGreaterThan(1.5 * weak);
  });
});

describe('darkroom-tiny-flow (first release) draws what it has learnt', () => {
  let pipeline: ImagePipeline;
  let sessions: SessionPool;
  beforeAll(async () => {
    ({ pipeline, sessions } = await openModel(TINY_FLOW_DIR));
  });
  afterAll(() => sessions.close());
  const draw = drawing(() => pipeline, FLOW_SAMPLING);

  it.each([
    ['a red circle in the centre on a blue background', 'red', 'blue'],
    ['a green square on a white background', 'green', 'white'],
    ['a yellow triangle on a black background', 'yellow', 'black'],
    ['红色圆形,蓝色背景', 'red', 'blue'],
    ['黑色背景上有一个黄色三角形', 'yellow', 'black'],
  ] as const)('%s: the colours', async (prompt, colour, background) => {
    const readings = (await draw(prompt)).map((image) => ({ ...readShape(image), background: backgroundOf(image) }));
    expect(readings.filter((r) => r.colour === colour && r.background === background).length, JSON.stringify(readings)).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['a purple circle on an orange background', 'orange'],
    ['a white square on a red background', 'red'],
    ['一个绿色正方形,白色背景', 'white'],
  ] as const)('%s: the background', async (prompt, background) => {
    const backgrounds = (await draw(prompt)).map(backgroundOf);
    expect(backgrounds.filter((b) => b === background).length, backgrounds.join()).toBeGreaterThanOrEqual(3);
  });

  it.each([
    ['a blue circle on the left, yellow background', (r: ShapeReading) => r.cx < 0.42],
    ['a blue circle on the right, yellow background', (r: ShapeReading) => r.cx > 0.58],
    ['a blue circle at the top, yellow background', (r: ShapeReading) => r.cy < 0.42],
    ['a blue circle at the bottom, yellow background', (r: ShapeReading) => r.cy > 0.58],
    ['一个蓝色圆形在左边,黄色背景', (r: ShapeReading) => r.cx < 0.42],
    ['一个蓝色圆形在右边,黄色背景', (r: ShapeReading) => r.cx > 0.58],
  ] as const)('%s: the place', async (prompt, inPlace) => {
    const readings = (await draw(prompt)).map(readShape);
    expect(readings.filter(inPlace).length, JSON.stringify(readings)).toBeGreaterThanOrEqual(3);
  });

  it('draws a large shape bigger than a small one', () => expectSizes(draw));
  it('spreads a shape with no position or size over places and sizes across 8 seeds', () => expectSpread('darkroom-tiny-flow', draw));

  it("keeps the picture's layout at a low strength and follows the prompt at a high one", async () => {
    const [start] = await draw('a large red square on the left, blue background', { count: 1 });
    const edit = (strength: number) => draw('a yellow circle on the right, black background', { image: start!, strength });
    const low = (await edit(0.25)).map((image) => ({ ...readShape(image), background: backgroundOf(image) }));
    const high = (await edit(1)).map((image) => ({ ...readShape(image), background: backgroundOf(image) }));
    console.log(`img2img low: ${JSON.stringify(low)}\nimg2img high: ${JSON.stringify(high)}`);
    expect(low.filter((r) => r.colour === 'red' && r.cx < 0.45 && r.background === 'blue').length).toBeGreaterThanOrEqual(3);
    expect(high.filter((r) => r.colour === 'yellow' && r.cx > 0.55 && r.background === 'black').length).toBeGreaterThanOrEqual(3);
  });
});
