// A 1024x1024 -> 4096x4096 upscale runs in bounded memory: tiles go through the network one
// at a time. Run in a process of its own, so the peak RSS measured is the upscale's alone.
// The bound: the measured peak was about 340-370 MB on the development machine; 600 MB
// leaves room for other CPUs and allocators while still catching a whole-image upscale
// (whose activations alone take several GB).

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/config.js';

const PEAK_RSS_LIMIT_MB = 600;

describe('upscaling to 4K', () => {
  it(`makes 4096x4096 from 1024x1024 within ${PEAK_RSS_LIMIT_MB} MB`, async () => {
    const script = join(packageRoot(), 'test', 'scripts', 'upscale-4k.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { cwd: packageRoot(), timeout: 600_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { width: number; height: number; peakRssMb: number };
    expect([result.width, result.height]).toEqual([4096, 4096]);
    expect(result.peakRssMb).toBeLessThan(PEAK_RSS_LIMIT_MB);
  }, 600_000);
});
