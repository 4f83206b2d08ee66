// CLIP's byte-level BPE tokenizer, read from a model's tokenizer/ folder (vocab.json,
// merges.txt, tokenizer_config.json), following transformers' CLIPTokenizer without ftfy:
// NFC, lower case, collapsed whitespace, CLIP's pre-tokenising pattern, bytes mapped to
// printable characters, '</w>' on each word's last symbol, merges applied by rank.
// Prompts are read with AUTOMATIC1111's weighting syntax and split into windows of 75
// tokens, each wrapped in start/end tokens and padded, as A1111 does (prompt-weighting.ts);
// the pipeline encodes each window and concatenates the hidden states.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { weightedChunks, type WeightedChunk } from './prompt-weighting.js';

const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;
const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';

function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const map: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = bs.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + n++);
  }
  return map;
}

const BYTE_CHARS = bytesToUnicode();
const utf8 = new TextEncoder();

export interface TokenizerFiles {
  vocab: Record<string, number>;
  merges: string;
  config: Record<string, unknown>;
}

function tokenName(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'content' in value) return String((value as { content: unknown }).content);
  return undefined;
}

export class ClipTokenizer {
  /** Tokens per window, start and end tokens included (77 for CLIP). */
  readonly maxLength: number;
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  /** A lone ",", after which A1111 prefers to cut a long prompt into windows. */
  readonly commaId: number | undefined;
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly known = new Map<string, boolean>();

  constructor(private readonly files: TokenizerFiles) {
    const lines = files.merges.trim().split('\n');
    const start = lines[0]?.startsWith('#version') ? 1 : 0;
    for (let i = start; i < lines.length; i++) this.ranks.set(lines[i]!.trim(), i - start);
    const id = (token: string) => {
      const value = files.vocab[token];
      if (value === undefined) throw new Error(`The tokenizer's vocab.json has no "${token}"`);
      return value;
    };
    this.bos = id(tokenName(files.config.bos_token) ?? BOS);
    this.eos = id(tokenName(files.config.eos_token) ?? EOS);
    // SD 1.x pads with <|endoftext|>, SD 2.x with "!": whatever the config names.
    this.pad = id(tokenName(files.config.pad_token) ?? EOS);
    this.commaId = files.vocab[',</w>'];
    const configured = Number(files.config.model_max_length);
    // Some configs carry a huge sentinel instead of a real length.
    this.maxLength = Number.isFinite(configured) && configured > 2 && configured < 4096 ? configured : 77;
  }

  static async load(dir: string): Promise<ClipTokenizer> {
    const [vocab, merges, config] = await Promise.all([
      readFile(join(dir, 'vocab.json'), 'utf8').then((t) => JSON.parse(t) as Record<string, number>),
      readFile(join(dir, 'merges.txt'), 'utf8'),
      readFile(join(dir, 'tokenizer_config.json'), 'utf8')
        .then((t) => JSON.parse(t) as Record<string, unknown>)
        .catch(() => ({})),
    ]);
    return new ClipTokenizer({ vocab, merges, config });
  }

  /** Token ids of the text, without start, end or padding. */
  encode(text: string): number[] {
    const clean = text
      .normalize('NFC')
      .replace(/[\u0000\ufffd\p{Cc}]/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .toLowerCase();
    const ids: number[] = [];
    for (const match of clean.matchAll(PATTERN)) {
      const piece = Array.from(utf8.encode(match[0]), (b) => BYTE_CHARS[b]!).join('');
      ids.push(...this.bpe(piece));
    }
    return ids;
  }

  /** Whether the vocabulary holds the word whole (one token), rather than in pieces. */
  knows(word: string): boolean {
    let known = this.known.get(word);
    if (known === undefined) {
      const ids = this.encode(word);
      known = ids.length === 1 && ids[0] !== this.files.vocab[EOS];
      // Asked for every word of every submission's prompt: words repeat.
      if (this.known.size < 10_000) this.known.set(word, known);
    }
    return known;
  }

  /** The prompt as one or more windows of maxLength ids, [start, up to 75 ids, end, pad...], with each id's weight. */
  chunks(text: string): WeightedChunk[] {
    const ids = { encode: (t: string) => this.encode(t), commaId: this.commaId, start: this.bos, end: this.eos, pad: this.pad };
    return weightedChunks(text, ids, { chunkLength: this.maxLength - 2 });
  }

  private bpe(piece: string): number[] {
    const cached = this.cache.get(piece);
    if (cached) return cached;
    const chars = Array.from(piece);
    let word = [...chars.slice(0, -1), chars[chars.length - 1]! + '</w>'];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const [first, second] = [word[best]!, word[best + 1]!];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else {
          merged.push(word[i]!);
        }
      }
      word = merged;
    }
    const unknown = this.files.vocab[EOS] ?? this.eos;
    const ids = word.map((symbol) => this.files.vocab[symbol] ?? unknown);
    if (this.cache.size < 10_000) this.cache.set(piece, ids);
    return ids;
  }
}
