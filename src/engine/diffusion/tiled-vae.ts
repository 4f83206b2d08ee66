// Tiled VAE decoding and encoding: a large image goes through the VAE as overlapping tiles
// whose outputs are blended back into one tensor with smooth weights, so no seam shows.
// Tiles bound peak memory: the VAE's activations grow with the number of pixels (they,
// not the UNet's, are what runs out first on a big image), while a tile's stay at the
// size of one tile. The model run is a callback, so the pipeline plugs its onnx session in
// and does any latent scaling itself; tiles are run one after another, so at most one
// tile's output is alive beside the output tensor.

import { DarkroomError } from '../../domain/errors.js';

/** One tile along one axis, in the grid's units. */
export interface TileSpan {
  start: number;
  length: number;
}

/** Runs the VAE on one tile: [1, C, height, width] in, the model's output for that tile out. */
export type RunTile = (tile: Float32Array, height: number, width: number) => Promise<Float32Array>;

/** How far past its native side an image may go before its VAE runs are tiled. */
const TILE_PAST = 1.5;

/**
 * Tiles of `tile` cells covering [0, size), each overlapping the next by at least `overlap`
 * cells, as few as that allows, spread evenly, the first at 0 and the last ending at `size`.
 */
export function tileGrid(size: number, tile: number, overlap: number): TileSpan[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`Expected size to be a whole number from 1 up, got ${size}`);
  if (!Number.isInteger(tile) || tile < 1) throw new RangeError(`Expected tile to be a whole number from 1 up, got ${tile}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tile) {
    throw new RangeError(`Expected overlap to be a whole number from 0 to ${tile - 1} (less than the tile), got ${overlap}`);
  }
  if (size <= tile) return [{ start: 0, length: size }];
  const count = Math.ceil((size - overlap) / (tile - overlap));
  // The count makes the stride at most tile - overlap, an integer, so rounding each start
  // cannot shrink any overlap below the one asked for.
  const stride = (size - tile) / (count - 1);
  return Array.from({ length: count }, (_, i) => ({ start: Math.round(i * stride), length: tile }));
}

/**
 * Decodes [1, channels, height, width] latents tile by tile into the [1, 3, height * factor,
 * width * factor] image, with `tile` and `overlap` in latent cells. `decodeTile` gets each
 * tile's latents as they are and returns its [1, 3, h * factor, w * factor] image.
 */
export async function decodeTiled(
  latents: Float32Array,
  dims: { channels: number; height: number; width: number },
  options: { tile: number; overlap: number; factor: number },
  decodeTile: RunTile,
): Promise<Float32Array> {
  const { channels, height, width } = dims;
  checkFactor(options.factor);
  if (latents.length !== channels * height * width) {
    throw new RangeError(`Expected ${channels}x${height}x${width} = ${channels * height * width} latent values, got ${latents.length}`);
  }
  return runTiles({
    source: latents,
    sourceChannels: channels,
    sourceScale: 1,
    targetChannels: 3,
    targetScale: options.factor,
    rows: tileGrid(height, options.tile, options.overlap),
    columns: tileGrid(width, options.tile, options.overlap),
    cellsHigh: height,
    cellsWide: width,
    run: decodeTile,
    model: 'VAE decoder',
  });
}

/**
 * Encodes a [1, 3, height, width] image tile by tile into [1, outChannels, height / factor,
 * width / factor], with `tile` and `overlap` in pixels. Tile borders fall on multiples of
 * `factor` (the overlap is rounded up to one), so every latent cell sees the same pixels
 * it would in a whole encode. All output channels, the posterior's mean and log-variance
 * alike, are blended with the same weights.
 */
export async function encodeTiled(
  pixels: Float32Array,
  dims: { height: number; width: number },
  options: { tile: number; overlap: number; factor: number; outChannels: number },
  encodeTile: RunTile,
): Promise<Float32Array> {
  const { height, width } = dims;
  const { factor } = options;
  checkFactor(factor);
  for (const [name, value] of [['height', height], ['width', width], ['tile', options.tile]] as const) {
    if (!Number.isInteger(value) || value < factor || value % factor !== 0) {
      throw new RangeError(`Expected ${name} to be a positive multiple of the VAE factor ${factor}, got ${value}`);
    }
  }
  if (!Number.isInteger(options.outChannels) || options.outChannels < 1) {
    throw new RangeError(`Expected outChannels to be a whole number from 1 up, got ${options.outChannels}`);
  }
  if (pixels.length !== 3 * height * width) {
    throw new RangeError(`Expected 3x${height}x${width} = ${3 * height * width} pixel values, got ${pixels.length}`);
  }
  const tile = options.tile / factor;
  const overlap = Math.ceil(options.overlap / factor);
  return runTiles({
    source: pixels,
    sourceChannels: 3,
    sourceScale: factor,
    targetChannels: options.outChannels,
    targetScale: 1,
    rows: tileGrid(height / factor, tile, overlap),
    columns: tileGrid(width / factor, tile, overlap),
    cellsHigh: height / factor,
    cellsWide: width / factor,
    run: encodeTile,
    model: 'VAE encoder',
  });
}

/** Forced true or false wins; otherwise tile when the longer side is past 1.5x the model's native side (pixels). */
export function shouldTile(width: number, height: number, nativeSize: number, forced: boolean | undefined): boolean {
  if (forced !== undefined) return forced;
  return Math.max(width, height) > TILE_PAST * nativeSize;
}

function checkFactor(factor: number): void {
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`Expected the VAE factor to be a whole number from 1 up, got ${factor}`);
}

/**
 * The grid is in latent cells; `sourceScale` and `targetScale` say how many source and
 * target positions one cell spans along each axis (1 for latents, the VAE factor for pixels).
 */
interface TiledRun {
  source: Float32Array;
  sourceChannels: number;
  sourceScale: number;
  targetChannels: number;
  targetScale: number;
  rows: TileSpan[];
  columns: TileSpan[];
  cellsHigh: number;
  cellsWide: number;
  run: RunTile;
  model: string;
}

async function runTiles(job: TiledRun): Promise<Float32Array> {
  const { source, sourceChannels, sourceScale: ss, targetChannels, targetScale: ts } = job;
  const sourceWidth = job.cellsWide * ss;
  const sourcePlane = job.cellsHigh * ss * sourceWidth;
  const targetWidth = job.cellsWide * ts;
  const targetPlane = job.cellsHigh * ts * targetWidth;
  const rowBlend = axisBlend(job.rows, job.cellsHigh, ts);
  const columnBlend = axisBlend(job.columns, job.cellsWide, ts);
  const out = new Float32Array(targetChannels * targetPlane);

  for (const [i, row] of job.rows.entries()) {
    for (const [j, column] of job.columns.entries()) {
      const th = row.length * ss;
      const tw = column.length * ss;
      const tile = new Float32Array(sourceChannels * th * tw);
      for (let c = 0; c < sourceChannels; c++) {
        for (let y = 0; y < th; y++) {
          const from = c * sourcePlane + (row.start * ss + y) * sourceWidth + column.start * ss;
          tile.set(source.subarray(from, from + tw), (c * th + y) * tw);
        }
      }
      const oh = row.length * ts;
      const ow = column.length * ts;
      const result = await job.run(tile, th, tw);
      if (result.length !== targetChannels * oh * ow) {
        throw new DarkroomError(
          'model_invalid',
          `Expected the ${job.model} to turn a ${th}x${tw} tile into ${targetChannels}x${oh}x${ow} = ${targetChannels * oh * ow} values, got ${result.length}`,
        );
      }
      const wy = rowBlend.weights[i]!;
      const wx = columnBlend.weights[j]!;
      for (let c = 0; c < targetChannels; c++) {
        for (let y = 0; y < oh; y++) {
          const at = c * targetPlane + (row.start * ts + y) * targetWidth + column.start * ts;
          const from = (c * oh + y) * ow;
          const weight = wy[y]!;
          for (let x = 0; x < ow; x++) out[at + x]! += result[from + x]! * weight * wx[x]!;
        }
      }
    }
  }

  // The grid is a product of rows and columns and each weight a product of a row's and a
  // column's, so the weight sum at a position is the product of the two axes' sums.
  for (let c = 0; c < targetChannels; c++) {
    for (let y = 0; y < job.cellsHigh * ts; y++) {
      const at = c * targetPlane + y * targetWidth;
      const rowTotal = rowBlend.total[y]!;
      for (let x = 0; x < targetWidth; x++) out[at + x]! /= rowTotal * columnBlend.total[x]!;
    }
  }
  return out;
}

/**
 * Each tile's weights along one axis, at target resolution: 1 inside, rising over the
 * overlap with the tile before and falling over the overlap with the tile after, on a
 * raised cosine so that two overlapping tiles' weights add up to 1 and have no kink.
 */
function axisBlend(grid: TileSpan[], cells: number, scale: number): { weights: Float32Array[]; total: Float32Array } {
  const total = new Float32Array(cells * scale);
  const weights = grid.map((span, i) => {
    const w = new Float32Array(span.length * scale).fill(1);
    const before = grid[i - 1];
    const after = grid[i + 1];
    if (before) {
      const length = (before.start + before.length - span.start) * scale;
      for (let k = 0; k < length; k++) w[k]! *= raisedCosine((k + 0.5) / length);
    }
    if (after) {
      const from = (after.start - span.start) * scale;
      const length = span.length * scale - from;
      for (let k = 0; k < length; k++) w[from + k]! *= 1 - raisedCosine((k + 0.5) / length);
    }
    for (let k = 0; k < w.length; k++) total[span.start * scale + k]! += w[k]!;
    return w;
  });
  return { weights, total };
}

function raisedCosine(t: number): number {
  return 0.5 - 0.5 * Math.cos(Math.PI * t);
}
