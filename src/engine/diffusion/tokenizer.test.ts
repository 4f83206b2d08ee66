import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../config.js';
import { ClipTokenizer } from './tokenizer.js';

const root = packageRoot();
const reference = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'tiny-reference.json'), 'utf8')) as {
  tokens: { prompt: string; ids: number[] }[];
};
const tiny = () => ClipTokenizer.load(join(root, 'models', 'darkroom-tiny', 'tokenizer'));

describe('ClipTokenizer on darkroom-tiny', () => {
  it.each(reference.tokens.map((t) => [t.prompt.slice(0, 40), t] as const))('matches the Python tokenizer for "%s"', async (_, t) => {
    const tokenizer = await tiny();
    expect(tokenizer.chunks(t.prompt)[0]!.ids).toEqual(t.ids);
  });

  it('splits long prompts into 77-token windows, each with start and end tokens', async () => {
    const tokenizer = await tiny();
    const ids = tokenizer.encode('a red circle '.repeat(40));
    const windows = tokenizer.chunks('a red circle '.repeat(40)).map((c) => c.ids);
    expect(ids.length).toBeGreaterThan(75);
    expect(windows).toHaveLength(Math.ceil(ids.length / 75));
    for (const window of windows) {
      expect(window).toHaveLength(77);
      expect(window[0]).toBe(tokenizer.bos);
    }
    expect(windows.flatMap((w) => w.slice(1, 76)).filter((id) => id !== tokenizer.eos)).toEqual(ids);
  });

  it('gives an empty prompt one window of start, end and padding', async () => {
    const tokenizer = await tiny();
    const chunks = tokenizer.chunks('');
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.ids.slice(0, 3)).toEqual([tokenizer.bos, tokenizer.eos, tokenizer.pad]);
    expect(chunks[0]!.weights.every((w) => w === 1)).toBe(true);
  });
});

describe('ClipTokenizer rules', () => {
  // A hand-made vocabulary: bytes are single symbols; "ab</w>" is one merge away.
  const vocab: Record<string, number> = { '!': 0, a: 1, b: 2, 'a</w>': 3, 'b</w>': 4, 'ab</w>': 5, '<|startoftext|>': 6, '<|endoftext|>': 7, '1</w>': 8, "'s</w>": 9, "'": 10, 's</w>': 11 };
  const make = (config: Record<string, unknown>) =>
    new ClipTokenizer({ vocab, merges: '#version: 0.2\na b</w>\n', config: { model_max_length: 6, ...config } });

  it('applies merges, lower-cases and collapses whitespace', () => {
    expect(make({}).encode('  AB   ab ')).toEqual([5, 5]);
  });

  it('pads with the configured pad token (SD 2.x pads with "!")', () => {
    expect(make({ pad_token: '!' }).chunks('ab')[0]!.ids).toEqual([6, 5, 7, 0, 0, 0]);
    expect(make({}).chunks('ab')[0]!.ids).toEqual([6, 5, 7, 7, 7, 7]);
  });

  it('reads special tokens given as objects, as newer tokenizer_config.json files do', () => {
    expect(make({ pad_token: { content: '!', lstrip: false } }).pad).toBe(0);
  });

  it('windows prompts by model_max_length - 2 tokens', () => {
    expect(make({}).chunks('ab ab ab ab ab').map((c) => c.ids)).toEqual([
      [6, 5, 5, 5, 5, 7],
      [6, 5, 7, 7, 7, 7],
    ]);
  });

  it('refuses a vocabulary without its special tokens', () => {
    expect(() => new ClipTokenizer({ vocab: { a: 1 }, merges: '', config: {} })).toThrow(/startoftext/);
  });
});
