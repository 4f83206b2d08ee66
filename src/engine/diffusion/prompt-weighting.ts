// Prompt weighting as AUTOMATIC1111's stable-diffusion-webui does it: the attention syntax
// `(x)`, `[x]`, `(x:1.3)` and `BREAK` parsed into weighted text, that text cut into chunks
// of 75 token ids with one multiplier per id, and the "Original" emphasis that scales one
// chunk's encoder output by those multipliers. Ported from AUTOMATIC1111/stable-diffusion-webui:
//   modules/prompt_parser.py  parse_prompt_attention   (commit 28bd8e142d5f77b71ae8d7d7140b5da1b3a49906)
//   modules/sd_hijack_clip.py tokenize_line, process_tokens (commit 5ad03e65863b0972e133c00692556752016f10c8)
//   modules/sd_emphasis.py    EmphasisOriginal          (commit f8391b8a8ff61bf7ebcddc9b387e6c2f206ed056)
// Textual-inversion embeddings, which tokenize_line also places into chunks, are not ported.

import { DarkroomError } from '../../domain/errors.js';

/** A run of prompt text and its attention weight; `['BREAK', -1]` marks a forced chunk end. */
export type WeightedText = [text: string, weight: number];

export interface WeightingTokenizer {
  /** The text's token ids, without start and end tokens. */
  encode(text: string): number[];
  /** The id of a lone ',' (CLIP's ',</w>'); undefined turns the comma backtrack off. */
  commaId: number | undefined;
  start: number;
  end: number;
  /** SD1's CLIP pads with `end`; SD2's OpenCLIP pads with 0. */
  pad: number;
}

export interface ChunkOptions {
  /** How far back (in tokens) a comma may be for a full chunk to be cut after it; 0 turns it off. A1111's default is 20. */
  commaBacktrack?: number;
  /** Prompt tokens per chunk, start and end tokens not counted. CLIP's window of 77 holds 75. */
  chunkLength?: number;
}

/** One encoder window: chunkLength + 2 ids and the multiplier of each. */
export interface WeightedChunk {
  ids: number[];
  weights: number[];
}

// Python's `re` is Unicode-aware where JS's is not: its \s also matches \x1c-\x1f and \x85
// (and not \ufeff), its \d is any decimal digit (\p{Nd}), and its \b is a boundary of
// [\p{L}\p{N}_]. Spelled out here so the same prompts split in the same places.
const PY_SPACE = '[\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_WORD = '[\\p{L}\\p{N}_]';

// re_attention, alternative for alternative.
const RE_ATTENTION = new RegExp(
  [
    '\\\\\\(',
    '\\\\\\)',
    '\\\\\\[',
    '\\\\\\]',
    '\\\\\\\\',
    '\\\\',
    '\\(',
    '\\[',
    `:${PY_SPACE}*([+-]?[.\\p{Nd}]+)${PY_SPACE}*\\)`,
    '\\)',
    '\\]',
    '[^\\\\()\\[\\]:]+',
    ':',
  ].join('|'),
  'gu',
);

// re_break: \s*\bBREAK\b\s*
const RE_BREAK = new RegExp(`${PY_SPACE}*(?<!${PY_WORD})BREAK(?!${PY_WORD})${PY_SPACE}*`, 'u');

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;
const BREAK: WeightedText = ['BREAK', -1];

/** Python's float() of a weight like `1.3`, `.5`, `+2.` or `١.٥`. */
function parseWeight(source: string): number {
  const ascii = Array.from(source, (char) => (/\p{Nd}/u.test(char) ? String(digitValue(char)) : char)).join('');
  const weight = Number(ascii);
  // The pattern also admits `.` and `1.2.3`; there A1111's float() raises and the prompt fails.
  if (Number.isNaN(weight)) {
    throw new DarkroomError('invalid_parameter', `Expected a number after ':' in the prompt's attention syntax, got "${source}"`);
  }
  return weight;
}

// Unicode lays each script's decimal digits out as consecutive 0-9 runs, so a digit's value
// is its distance from the start of its span of digits, modulo 10.
function digitValue(char: string): number {
  const code = char.codePointAt(0)!;
  let first = code;
  while (/\p{Nd}/u.test(String.fromCodePoint(first - 1))) first--;
  return (code - first) % 10;
}

/**
 * The prompt as runs of text with their attention weights, as A1111's parse_prompt_attention:
 * `(x)` multiplies by 1.1, `[x]` divides by 1.1, `(x:w)` multiplies by w, nested brackets
 * multiply, `\(` `\)` `\[` `\]` `\\` are literal, brackets left open apply to everything
 * after them, `BREAK` becomes its own `['BREAK', -1]`, and neighbours of equal weight merge.
 */
export function parsePromptAttention(prompt: string): WeightedText[] {
  let res: WeightedText[] = [];
  const roundBrackets: number[] = [];
  const squareBrackets: number[] = [];

  const multiplyRange = (startPosition: number, multiplier: number) => {
    for (let p = startPosition; p < res.length; p++) res[p]![1] *= multiplier;
  };

  for (const match of prompt.matchAll(RE_ATTENTION)) {
    const text = match[0];
    const weight = match[1];

    if (text.startsWith('\\')) {
      res.push([text.slice(1), 1.0]);
    } else if (text === '(') {
      roundBrackets.push(res.length);
    } else if (text === '[') {
      squareBrackets.push(res.length);
    } else if (weight !== undefined && roundBrackets.length > 0) {
      multiplyRange(roundBrackets.pop()!, parseWeight(weight));
    } else if (text === ')' && roundBrackets.length > 0) {
      multiplyRange(roundBrackets.pop()!, ROUND_MULTIPLIER);
    } else if (text === ']' && squareBrackets.length > 0) {
      multiplyRange(squareBrackets.pop()!, SQUARE_MULTIPLIER);
    } else {
      text.split(RE_BREAK).forEach((part, i) => {
        if (i > 0) res.push([...BREAK]);
        res.push([part, 1.0]);
      });
    }
  }

  for (const position of roundBrackets) multiplyRange(position, ROUND_MULTIPLIER);
  for (const position of squareBrackets) multiplyRange(position, SQUARE_MULTIPLIER);

  if (res.length === 0) res = [['', 1.0]];

  let i = 0;
  while (i + 1 < res.length) {
    if (res[i]![1] === res[i + 1]![1]) {
      res[i]![0] += res[i + 1]![0];
      res.splice(i + 1, 1);
    } else {
      i++;
    }
  }
  return res;
}

/**
 * The prompt's weighted token ids in encoder windows, as A1111's tokenize_line: chunks of
 * chunkLength ids, a `BREAK` ending the current chunk, and a full chunk cut after its last
 * comma when that comma is at most commaBacktrack tokens back. Each chunk is padded and
 * wrapped as [start, ids, end, pad...] (A1111 pads with `end`, then process_tokens turns
 * everything after the first `end` into `pad`), with multiplier 1 for start, end and pad.
 * A prompt without tokens still gives one (empty) chunk.
 */
export function weightedChunks(prompt: string, tokenizer: WeightingTokenizer, options: ChunkOptions = {}): WeightedChunk[] {
  const chunkLength = options.chunkLength ?? 75;
  const commaBacktrack = options.commaBacktrack ?? 20;
  if (!Number.isInteger(chunkLength) || chunkLength < 1) {
    throw new RangeError(`Expected chunkLength to be an integer from 1 and up, got ${chunkLength}`);
  }
  if (!Number.isInteger(commaBacktrack) || commaBacktrack < 0) {
    throw new RangeError(`Expected commaBacktrack to be an integer from 0 and up, got ${commaBacktrack}`);
  }
  const { start, end, pad, commaId } = tokenizer;

  const chunks: WeightedChunk[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  let lastComma = -1;

  const nextChunk = () => {
    const toAdd = Math.max(0, chunkLength - ids.length);
    const windowIds = [start, ...ids, ...new Array<number>(toAdd).fill(end), end];
    for (let k = windowIds.indexOf(end) + 1; k < windowIds.length; k++) windowIds[k] = pad;
    chunks.push({ ids: windowIds, weights: [1.0, ...weights, ...new Array<number>(toAdd).fill(1.0), 1.0] });
    ids = [];
    weights = [];
    lastComma = -1;
  };

  for (const [text, weight] of parsePromptAttention(prompt)) {
    if (text === BREAK[0] && weight === BREAK[1]) {
      nextChunk();
      continue;
    }
    for (const token of tokenizer.encode(text)) {
      if (token === commaId) {
        lastComma = ids.length;
      } else if (commaBacktrack !== 0 && ids.length === chunkLength && lastComma !== -1 && ids.length - lastComma <= commaBacktrack) {
        const breakLocation = lastComma + 1;
        const movedIds = ids.slice(breakLocation);
        const movedWeights = weights.slice(breakLocation);
        ids = ids.slice(0, breakLocation);
        weights = weights.slice(0, breakLocation);
        nextChunk();
        ids = movedIds;
        weights = movedWeights;
      }
      if (ids.length === chunkLength) nextChunk();
      ids.push(token);
      weights.push(weight);
    }
  }
  if (ids.length > 0 || chunks.length === 0) nextChunk();
  return chunks;
}

/**
 * A1111's "Original" emphasis on one chunk's encoder output `hidden` ([tokens, width],
 * row-major): each token's row scaled by its multiplier, then everything rescaled so the
 * mean of all values is what it was before. Returns a new array.
 */
export function applyEmphasis(hidden: Float32Array, weights: number[], tokens: number, width: number): Float32Array {
  if (weights.length !== tokens) throw new RangeError(`Expected ${tokens} weights, one per token, got ${weights.length}`);
  if (hidden.length !== tokens * width) {
    throw new RangeError(`Expected ${tokens} × ${width} = ${tokens * width} hidden values, got ${hidden.length}`);
  }
  // torch holds the multipliers, both means and their quotient in float32; the means here
  // are summed in double, so they can differ from torch's in the last float32 bit.
  const originalMean = mean(hidden);
  const out = new Float32Array(hidden.length);
  for (let t = 0; t < tokens; t++) {
    const multiplier = Math.fround(weights[t]!);
    for (let j = t * width; j < (t + 1) * width; j++) out[j] = hidden[j]! * multiplier;
  }
  const ratio = Math.fround(originalMean / mean(out));
  for (let j = 0; j < out.length; j++) out[j] = out[j]! * ratio;
  return out;
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value;
  return Math.fround(sum / values.length);
}
