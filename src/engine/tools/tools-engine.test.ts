// The tools engine lets its networks go after an idle spell, and not while a job runs.

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RgbImage } from '../../domain/image.js';
import type { RunContext } from '../engine.js';
import { ToolsEngine } from './tools-engine.js';

const image: RgbImage = { width: 2, height: 2, data: new Uint8Array(12) };
const context = { signal: new AbortController().signal, progress: () => {} } as unknown as RunContext;

function engine() {
  const released = { upscaler: 0, remover: 0 };
  let finish: (() => void) | undefined;
  const tools = new ToolsEngine(1 << 20, {
    idleMs: 1000,
    upscaler: {
      upscale: (() => new Promise((resolve) => (finish = () => resolve(image)))) as never,
      dispose: () => void released.upscaler++,
    },
    remover: { remove: (async () => ({ mask: { width: 2, height: 2, data: new Uint8Array(4) } })) as never, close: async () => void released.remover++ },
  });
  const upscale = () => tools.run({ spec: { operation: 'upscale', image: 'up_1', scale: 2, upscaler: 'slim' } as never, images: [image] }, context);
  return { tools, released, upscale, finish: () => finish?.() };
}

afterEach(() => vi.useRealTimers());

describe('ToolsEngine', () => {
  it('releases its networks once it has been idle, and not while a job runs', async () => {
    vi.useFakeTimers();
    const { released, upscale, finish } = engine();
    const first = upscale();
    await vi.advanceTimersByTimeAsync(5000);
    expect(released).toEqual({ upscaler: 0, remover: 0 });
    finish();
    await first;
    await vi.advanceTimersByTimeAsync(999);
    expect(released).toEqual({ upscaler: 0, remover: 0 });
    // A job within the idle time starts the wait over.
    const second = upscale();
    finish();
    await second;
    await vi.advanceTimersByTimeAsync(999);
    expect(released).toEqual({ upscaler: 0, remover: 0 });
    await vi.advanceTimersByTimeAsync(1);
    expect(released).toEqual({ upscaler: 1, remover: 1 });
  });
});
