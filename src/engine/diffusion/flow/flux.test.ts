// Flux's latent packing, held to diffusers' _pack_latents and _prepare_latent_image_ids:
// token (row, column) holds the 2x2 patch's values in (channel, row, column) order.

import { describe, expect, it } from 'vitest';
import { imageIds, packLatents, unpackLatents } from './flux.js';

describe('Flux latent packing', () => {
  const shape = { channels: 3, height: 4, width: 6 };
  const latents = Float32Array.from({ length: 3 * 4 * 6 }, (_, i) => i);
  const at = (c: number, y: number, x: number) => latents[(c * shape.height + y) * shape.width + x]!;

  it('puts patch (y, x) at token y * w/2 + x, features c * 4 + dy * 2 + dx', () => {
    const packed = packLatents(latents, shape);
    const features = shape.channels * 4;
    for (const [y, x] of [[0, 0], [1, 2], [0, 1]] as const) {
      for (let c = 0; c < 3; c++) {
        for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
          expect(packed[(y * (shape.width / 2) + x) * features + c * 4 + dy * 2 + dx]).toBe(at(c, 2 * y + dy, 2 * x + dx));
        }
      }
    }
  });

  it('unpacks to the latents it packed', () => {
    expect([...unpackLatents(packLatents(latents, shape), shape)]).toEqual([...latents]);
  });

  it('numbers the packed patches (0, row, column)', () => {
    expect([...imageIds(4, 6)]).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 1, 2]);
  });
});
