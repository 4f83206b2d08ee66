// Tiled VAE runs: the tile grid's coverage, exact blending on pointwise fake models, and
// tiled against whole decodes and encodes on darkroom-tiny's real VAE through onnxruntime.

import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../config.js';
import { DarkroomError } from '../../domain/errors.js';
import type { RgbImage } from '../../domain/image.js';
import { imageToTensor } from './latents.js';
import { decodeTiled, encodeTiled, shouldTile, tileGrid, type TileSpan } from './tiled-vae.js';

describe('tileGrid', () => {
  const cases = [
    { tile: 16, overlap: 4, sizes: [1, 5, 15, 16, 17, 20, 28, 29, 33, 64, 100, 257] },
    { tile: 8, overlap: 7, sizes: [9, 10, 31] },
    { tile: 16, overlap: 0, sizes: [32, 33, 47] },
    { tile: 64, overlap: 16, sizes: [65, 128, 300] },
  ];
  for (const { tile, overlap, sizes } of cases) {
    for (const size of sizes) {
      it(`covers ${size} cells with tiles of ${tile} overlapping by ${overlap} or more, spread evenly`, () => {
        const grid = tileGrid(size, tile, overlap);
        expect(grid[0]!.start).toBe(0);
        expect(grid.at(-1)!.start + grid.at(-1)!.length).toBe(size);
        for (const span of grid) expect(span.length).toBe(Math.min(tile, size));
        const strides = grid.slice(1).map((span, i) => span.start - grid[i]!.start);
        for (const [i, stride] of strides.entries()) expect(grid[i]!.length - stride).toBeGreaterThanOrEqual(overlap);
        if (strides.length > 0) expect(Math.max(...strides) - Math.min(...strides)).toBeLessThanOrEqual(1);
        // As few tiles as the overlap allows: one fewer could not reach the end.
        if (grid.length > 1) expect((grid.length - 2) * (tile - overlap) + tile).toBeLessThan(size);
      });
    }
  }

  it('refuses an overlap as large as the tile', () => {
    expect(() => tileGrid(64, 16, 16)).toThrow('Expected overlap to be a whole number from 0 to 15 (less than the tile), got 16');
  });
});

describe('shouldTile', () => {
  it('tiles past 1.5x the native side unless told otherwise', () => {
    expect(shouldTile(96, 64, 64, undefined)).toBe(false);
    expect(shouldTile(64, 97, 64, undefined)).toBe(true);
    expect(shouldTile(1024, 1024, 64, false)).toBe(false);
    expect(shouldTile(64, 64, 64, true)).toBe(true);
  });
});

/** A decoder with no spatial context: each latent cell becomes a factor x factor block of a function of its channels. */
function pointwiseDecoder(channels: number, factor: number) {
  return async (tile: Float32Array, h: number, w: number): Promise<Float32Array> => {
    const out = new Float32Array(3 * h * factor * w * factor);
    for (let k = 0; k < 3; k++) {
      for (let y = 0; y < h * factor; y++) {
        for (let x = 0; x < w * factor; x++) {
          const cell = Math.floor(y / factor) * w + Math.floor(x / factor);
          let v = 0;
          for (let c = 0; c < channels; c++) v += Math.sin((k + 1) * (c + 1) * tile[c * h * w + cell]!);
          out[(k * h * factor + y) * w * factor + x] = v / channels;
        }
      }
    }
    return out;
  };
}

/** An encoder with no context past its cell: channel k of a cell is a function of the mean of pixel channel k % 3 over the cell. */
function poolingEncoder(outChannels: number, factor: number) {
  return async (tile: Float32Array, h: number, w: number): Promise<Float32Array> => {
    const [lh, lw] = [h / factor, w / factor];
    const out = new Float32Array(outChannels * lh * lw);
    for (let k = 0; k < outChannels; k++) {
      for (let y = 0; y < lh; y++) {
        for (let x = 0; x < lw; x++) {
          let sum = 0;
          for (let dy = 0; dy < factor; dy++) {
            for (let dx = 0; dx < factor; dx++) sum += tile[((k % 3) * h + y * factor + dy) * w + x * factor + dx]!;
          }
          out[(k * lh + y) * lw + x] = (k + 1) * (sum / (factor * factor));
        }
      }
    }
    return out;
  };
}

/** Deterministic values in [-1, 1] that vary from cell to cell. */
function noise(length: number, seed: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 0.999);
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let most = 0;
  for (let i = 0; i < a.length; i++) most = Math.max(most, Math.abs(a[i]! - b[i]!));
  return most;
}

describe('decodeTiled with a pointwise decoder', () => {
  // With an overlap past half the tile, three tiles overlap and the weights no longer add
  // up to 1 by themselves: only dividing by their sum gets the whole decode back.
  for (const { tile, overlap } of [{ tile: 16, overlap: 5 }, { tile: 6, overlap: 5 }, { tile: 50, overlap: 8 }]) {
    it(`equals the whole decode in tiles of ${tile} overlapping by ${overlap}, so the weights are normalised`, async () => {
      const dims = { channels: 4, height: 37, width: 50 };
      const latents = noise(4 * 37 * 50, 1);
      const decoder = pointwiseDecoder(4, 3);
      const whole = await decoder(latents, 37, 50);
      const tiled = await decodeTiled(latents, dims, { tile, overlap, factor: 3 }, decoder);
      expect(tiled.length).toBe(whole.length);
      expect(maxDifference(tiled, whole)).toBeLessThan(1e-6);
    });
  }

  it('ramps from one tile to the next across the overlap instead of cutting', async () => {
    // Every tile decodes to its own flat value: a cut would jump by 1 in one pixel.
    let tiles = 0;
    const flat = async (_: Float32Array, h: number, w: number) => new Float32Array(3 * h * 2 * w * 2).fill(tiles++);
    const out = await decodeTiled(new Float32Array(20), { channels: 1, height: 1, width: 20 }, { tile: 12, overlap: 4, factor: 2 }, flat);
    const row = out.subarray(0, 40);
    const steps = row.slice(1).map((v, x) => Math.abs(v - row[x]!));
    expect([row[0], row[39]]).toEqual([0, 1]);
    expect(Math.max(...steps)).toBeLessThan(0.25);
  });

  it('runs one tile at a time', async () => {
    let running = 0;
    let most = 0;
    const decoder = pointwiseDecoder(4, 2);
    const slow = async (tile: Float32Array, h: number, w: number) => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running--;
      return decoder(tile, h, w);
    };
    await decodeTiled(noise(4 * 40 * 40, 2), { channels: 4, height: 40, width: 40 }, { tile: 16, overlap: 4, factor: 2 }, slow);
    expect(most).toBe(1);
  });

  it('says which output size it expected when the decoder returns another', async () => {
    const wrong = async () => new Float32Array(10);
    const run = decodeTiled(noise(4 * 20 * 20, 3), { channels: 4, height: 20, width: 20 }, { tile: 16, overlap: 4, factor: 2 }, wrong);
    await expect(run).rejects.toThrow(DarkroomError);
    await expect(run).rejects.toThrow('Expected the VAE decoder to turn a 16x16 tile into 3x32x32 = 3072 values, got 10');
  });
});

describe('encodeTiled with a pooling encoder', () => {
  it('equals the whole encode, so tile borders stay on latent cells and the weights sum to 1', async () => {
    const [height, width, factor] = [72, 100, 4];
    const pixels = noise(3 * height * width, 4);
    const encoder = poolingEncoder(8, factor);
    const whole = await encoder(pixels, height, width);
    // An overlap of 10 px is no whole number of cells: it is rounded up to 12 px.
    const tiled = await encodeTiled(pixels, { height, width }, { tile: 32, overlap: 10, factor, outChannels: 8 }, encoder);
    expect(tiled.length).toBe(whole.length);
    expect(maxDifference(tiled, whole)).toBeLessThan(1e-6);
  });

  it('refuses a tile that is no multiple of the factor', async () => {
    const run = encodeTiled(noise(3 * 64 * 64, 5), { height: 64, width: 64 }, { tile: 30, overlap: 8, factor: 4, outChannels: 8 }, poolingEncoder(8, 4));
    await expect(run).rejects.toThrow('Expected tile to be a positive multiple of the VAE factor 4, got 30');
  });
});

// darkroom-tiny's VAE: factor 4, native 64 px (16 latent cells). The image is 4x its side.
const FACTOR = 4;
const SIDE = 256;
const CELLS = SIDE / FACTOR;
const LATENT_CHANNELS = 4;
const TILE = 16;
const OVERLAP = 4;

/**
 * A picture in darkroom-tiny's world at 4x its side: flat shapes on a gradient, their edges
 * crossing tile borders. No edge runs along a row or column, so that a line of the image
 * whose error jumps along its whole length can only be a seam.
 */
function drawing(side: number): RgbImage {
  const data = new Uint8Array(side * side * 3);
  // Inside the triangle (ax, ay), (bx, by), (cx, cy) when on the same side of all three edges.
  const inTriangle = (u: number, v: number, [ax, ay, bx, by, cx, cy]: readonly number[]) => {
    const side1 = (bx! - ax!) * (v - ay!) - (by! - ay!) * (u - ax!);
    const side2 = (cx! - bx!) * (v - by!) - (cy! - by!) * (u - bx!);
    const side3 = (ax! - cx!) * (v - cy!) - (ay! - cy!) * (u - cx!);
    return (side1 > 0 && side2 > 0 && side3 > 0) || (side1 < 0 && side2 < 0 && side3 < 0);
  };
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const [u, v] = [x / side, y / side];
      let rgb = [Math.round(40 + 60 * v), Math.round(80 + 100 * v), Math.round(200 - 80 * v)];
      if ((u - 0.3) ** 2 + (v - 0.35) ** 2 < 0.2 ** 2) rgb = [220, 40, 40];
      if (Math.abs(u - 0.72) + Math.abs(v - 0.32) < 0.18) rgb = [240, 220, 40];
      if (inTriangle(u, v, [0.45, 0.6, 0.95, 0.68, 0.62, 0.97])) rgb = [40, 180, 60];
      if ((u - 0.2) ** 2 + (v - 0.8) ** 2 < 0.1 ** 2) rgb = [250, 250, 250];
      data.set(rgb, (y * side + x) * 3);
    }
  }
  return { width: side, height: side, data };
}

function psnr(a: Float32Array, b: Float32Array, peak: number): number {
  let squares = 0;
  for (let i = 0; i < a.length; i++) squares += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((peak * peak) / (squares / a.length));
}

/** Mean |a - b| near tile boundaries (within `reach` positions) and elsewhere, over all channels. */
function borderAndRest(a: Float32Array, b: Float32Array, side: number, grid: TileSpan[], scale: number, reach: number) {
  const near = new Uint8Array(side);
  for (const span of grid) {
    for (const edge of [span.start * scale, (span.start + span.length) * scale]) {
      if (edge === 0 || edge === side) continue;
      for (let p = Math.max(0, edge - reach); p < Math.min(side, edge + reach); p++) near[p] = 1;
    }
  }
  const sums = { border: 0, borderCount: 0, rest: 0, restCount: 0 };
  for (let i = 0; i < a.length; i++) {
    const p = i % (side * side);
    const diff = Math.abs(a[i]! - b[i]!);
    if (near[Math.floor(p / side)] || near[p % side]) {
      sums.border += diff;
      sums.borderCount++;
    } else {
      sums.rest += diff;
      sums.restCount++;
    }
  }
  return { border: sums.border / sums.borderCount, rest: sums.rest / sums.restCount };
}

/**
 * How sharply the error a - b changes across each line between two neighbouring columns or
 * rows, averaged along the line: a seam is one line whose jump stands out from the rest.
 * The two lines by each of the image's own edges are left out: there the error of any
 * tiling changes fastest, seam or not.
 */
function lineJumps(a: Float32Array, b: Float32Array, side: number) {
  const plane = side * side;
  const channels = a.length / plane;
  const lines: number[] = [];
  for (const [along, across] of [[side, 1], [1, side]] as const) {
    for (let line = 2; line < side - 3; line++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) {
        for (let k = 0; k < side; k++) {
          const p = c * plane + k * along + line * across;
          const q = p + across;
          sum += Math.abs(a[q]! - b[q]! - (a[p]! - b[p]!));
        }
      }
      lines.push(sum / (channels * side));
    }
  }
  const sorted = [...lines].sort((x, y) => x - y);
  return { worst: sorted.at(-1)!, typical: sorted[Math.floor(sorted.length / 2)]! };
}

function range(data: Float32Array): number {
  let [low, high] = [Infinity, -Infinity];
  for (const v of data) [low, high] = [Math.min(low, v), Math.max(high, v)];
  return high - low;
}

describe('tiled VAE on darkroom-tiny', () => {
  const folder = join(packageRoot(), 'models', 'darkroom-tiny');
  let decoder: ort.InferenceSession;
  let encoder: ort.InferenceSession;
  beforeAll(async () => {
    decoder = await ort.InferenceSession.create(join(folder, 'vae_decoder', 'model.onnx'));
    encoder = await ort.InferenceSession.create(join(folder, 'vae_encoder', 'model.onnx'));
  });
  afterAll(async () => {
    await decoder?.release();
    await encoder?.release();
  });

  const decode = async (tile: Float32Array, h: number, w: number) => {
    const out = await decoder.run({ latent_sample: new ort.Tensor('float32', tile, [1, LATENT_CHANNELS, h, w]) });
    return out.sample!.data as Float32Array;
  };
  const encode = async (tile: Float32Array, h: number, w: number) => {
    const out = await encoder.run({ sample: new ort.Tensor('float32', tile, [1, 3, h, w]) });
    return out.latent_parameters!.data as Float32Array;
  };
  const pixels = imageToTensor(drawing(SIDE));
  const grid = tileGrid(CELLS, TILE, OVERLAP);

  // Measured on x86-64 with onnxruntime-node's CPU provider: decode 33.8 dB, border/rest
  // 0.96, worst line 4.0x the median; encode 36.6 dB, 1.00, 3.6x. The bounds leave room for
  // another CPU's arithmetic, and each is broken by a blend that seams: tiles laid edge to
  // edge give a border/rest of 1.86 (decode) and 3.89 (encode), tiles simply averaged a
  // worst line of 35x and 16x, a hard cut in the middle of the overlap 16x (decode).
  it(`decodes a ${SIDE} px image in tiles of ${TILE} cells that match the whole decode, with no seam`, async () => {
    const mean = (await encode(pixels, SIDE, SIDE)).slice(0, LATENT_CHANNELS * CELLS * CELLS);
    const dims = { channels: LATENT_CHANNELS, height: CELLS, width: CELLS };
    const whole = await decode(mean, CELLS, CELLS);
    const tiled = await decodeTiled(mean, dims, { tile: TILE, overlap: OVERLAP, factor: FACTOR }, decode);

    const { quality, borderRatio, jumpRatio } = compare('decode', tiled, whole, { side: SIDE, scale: FACTOR, reach: 2, peak: 2 });
    expect(quality).toBeGreaterThan(30);
    expect(borderRatio).toBeLessThanOrEqual(1.5);
    expect(jumpRatio).toBeLessThanOrEqual(8);
  });

  it(`encodes a ${SIDE} px image in tiles of ${TILE * FACTOR} px whose posterior means match the whole encode`, async () => {
    const size = LATENT_CHANNELS * CELLS * CELLS;
    const whole = (await encode(pixels, SIDE, SIDE)).slice(0, size);
    const options = { tile: TILE * FACTOR, overlap: OVERLAP * FACTOR, factor: FACTOR, outChannels: 2 * LATENT_CHANNELS };
    const tiled = (await encodeTiled(pixels, { height: SIDE, width: SIDE }, options, encode)).slice(0, size);

    // Latents have no fixed range: the PSNR's peak is the whole encode's range; 1 cell is 4 px.
    const { quality, borderRatio, jumpRatio } = compare('encode', tiled, whole, { side: CELLS, scale: 1, reach: 1, peak: range(whole) });
    expect(quality).toBeGreaterThan(30);
    expect(borderRatio).toBeLessThanOrEqual(1.5);
    expect(jumpRatio).toBeLessThanOrEqual(8);
  });

  /** Tiled against whole: PSNR, mean |diff| by tile borders over elsewhere, worst line jump over the median; printed for the record. */
  function compare(what: string, tiled: Float32Array, whole: Float32Array, at: { side: number; scale: number; reach: number; peak: number }) {
    const quality = psnr(tiled, whole, at.peak);
    const { border, rest } = borderAndRest(tiled, whole, at.side, grid, at.scale, at.reach);
    const jumps = lineJumps(tiled, whole, at.side);
    console.log(
      `tiled ${what} vs whole: PSNR ${quality.toFixed(2)} dB (peak ${at.peak.toFixed(2)}); mean |diff| within ${at.reach} of a tile border ` +
        `${border.toFixed(5)}, elsewhere ${rest.toFixed(5)}, ratio ${(border / rest).toFixed(2)}; ` +
        `worst line jump ${jumps.worst.toFixed(5)}, median ${jumps.typical.toFixed(5)}, ratio ${(jumps.worst / jumps.typical).toFixed(2)}`,
    );
    return { quality, borderRatio: border / rest, jumpRatio: jumps.worst / jumps.typical };
  }
});
