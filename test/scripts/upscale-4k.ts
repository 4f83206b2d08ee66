// Run as its own process by test/upscale-memory.test.ts: upscales a 1024x1024 picture x4 to
// 4096x4096 with ESRGAN slim and prints the output size and this process's peak RSS.

import sharp from 'sharp';
import { Upscaler } from '../../src/engine/tools/upscaler.js';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024"><rect width="1024" height="1024" fill="#30506a"/>${Array.from(
  { length: 40 },
  (_, i) => `<circle cx="${(i * 97) % 1024}" cy="${(i * 61) % 1024}" r="${20 + (i % 7) * 9}" fill="#${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}"/>`,
).join('')}</svg>`;
const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
const out = await new Upscaler().upscale({ width: info.width, height: info.height, data: new Uint8Array(data) }, { scale: 4, model: 'slim' });
process.stdout.write(`${JSON.stringify({ width: out.width, height: out.height, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
