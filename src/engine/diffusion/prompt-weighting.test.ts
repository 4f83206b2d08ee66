import { describe, expect, it } from 'vitest';
import { DarkroomError } from '../../domain/errors.js';
import { applyEmphasis, parsePromptAttention, weightedChunks, type WeightedText, type WeightingTokenizer } from './prompt-weighting.js';

describe('parsePromptAttention', () => {
  // The doctests of parse_prompt_attention in A1111's modules/prompt_parser.py, verbatim.
  const a1111Doctests: [string, WeightedText[]][] = [
    ['normal text', [['normal text', 1.0]]],
    ['an (important) word', [['an ', 1.0], ['important', 1.1], [' word', 1.0]]],
    ['(unbalanced', [['unbalanced', 1.1]]],
    ['\\(literal\\]', [['(literal]', 1.0]]],
    ['(unnecessary)(parens)', [['unnecessaryparens', 1.1]]],
    [
      'a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).',
      [
        ['a ', 1.0],
        ['house', 1.5730000000000004],
        [' ', 1.1],
        ['on', 1.0],
        [' a ', 1.1],
        ['hill', 0.55],
        [', sun, ', 1.1],
        ['sky', 1.4641000000000006],
        ['.', 1.1],
      ],
    ],
  ];

  it.each(a1111Doctests)('A1111 doctest: %j', (prompt, expected) => {
    expect(parsePromptAttention(prompt)).toEqual(expected);
  });

  // Derived by walking through the Python code, and checked against it.
  const derived: [string, string, WeightedText[]][] = [
    ['an empty prompt', '', [['', 1.0]]],
    ['brackets around nothing', '()', [['', 1.0]]],
    ['a weight around nothing', '(:2)', [['', 1.0]]],
    ['nested round brackets multiply', '((a))', [['a', 1.2100000000000002]]],
    ['nested square brackets divide twice', '[[a]]', [['a', 0.8264462809917354]]],
    ['a weight inside a weight multiplies', '((a:2):2)', [['a', 4.0]]],
    ['round inside square', '[a (b:2) c]', [['a ', 0.9090909090909091], ['b', 1.8181818181818181], [' c', 0.9090909090909091]]],
    ['closing order is not checked, and 1.1 / 1.1 rounds back to 1', '([a)]', [['a', 1.0]]],
    ['spaces around the weight and inside the brackets', '( word : 1.3 )', [[' word ', 1.3]]],
    ['a weight below one', '(word:0.5)', [['word', 0.5]]],
    ['weights with a sign, a leading or a trailing dot', '(a:+.5) (b:1.)', [['a', 0.5], [' b', 1.0]]],
    ['a negative weight', '(a:-1)', [['a', -1.0]]],
    ['numbers in the text stay text', '2 cats (3 dogs:1.2) 4', [['2 cats ', 1.0], ['3 dogs', 1.2], [' 4', 1.0]]],
    ['a decimal weight in another script, as Python reads it', '(a:١.٥)', [['a', 1.5]]],
    ['a weight with no open bracket is text', 'a:1.3)', [['a:1.3)', 1.0]]],
    ['a weight closed by ] is text, and the ( stays open', '(x:1.3]', [['x:1.3]', 1.1]]],
    ['stray closers are text; an open [ applies to the rest', 'a ]b) [c', [['a ]b) ', 1.0], ['c', 0.9090909090909091]]],
    ['an open ( multiplies a weighted run again', 'a ((b:.5)', [['a ', 1.0], ['b', 0.55]]],
    ['equal weights merge only when neighbours', 'x (a:1.1) (b)', [['x ', 1.0], ['a', 1.1], [' ', 1.0], ['b', 1.1]]],
    ['a lone backslash vanishes, a double one is one', '\\a\\\\b', [['a\\b', 1.0]]],
    ['an escaped colon is not an escape: the weight still applies', '(a\\:1.3)', [['a', 1.3]]],
    ['BREAK and the spaces around it', 'a BREAK b', [['a', 1.0], ['BREAK', -1], ['b', 1.0]]],
    ['BREAK between newlines', 'a\nBREAK\nb', [['a', 1.0], ['BREAK', -1], ['b', 1.0]]],
    ['BREAK at the start leaves an empty run before it', 'BREAK a', [['', 1.0], ['BREAK', -1], ['a', 1.0]]],
    ['BREAK at the end leaves an empty run after it', 'a BREAK', [['a', 1.0], ['BREAK', -1], ['', 1.0]]],
    ['the empty run after BREAK does not merge into a weighted one', 'a BREAK (b)', [['a', 1.0], ['BREAK', -1], ['', 1.0], ['b', 1.1]]],
    ['BREAK inside a word is text', 'aBREAK b BREAKc', [['aBREAK b BREAKc', 1.0]]],
    ['BREAK after a non-ASCII letter is inside a word, as in Python', 'caféBREAK x', [['caféBREAK x', 1.0]]],
    ['BREAK in brackets gets the brackets’ weight too', '(a BREAK b)', [['a', 1.1], ['BREAK', -1.1], ['b', 1.1]]],
    ['a weight of -1 turns BREAK into a plain word', '(BREAK:-1)', [['', -1.0], ['BREAK', 1.0], ['', -1.0]]],
  ];

  it.each(derived)('%s: %j', (_name, prompt, expected) => {
    expect(parsePromptAttention(prompt)).toEqual(expected);
  });

  it.each(['(a:.)', '(a:1.2.3)'])('refuses %j, where A1111 fails on float()', (prompt) => {
    expect(() => parsePromptAttention(prompt)).toThrow(DarkroomError);
    expect(() => parsePromptAttention(prompt)).toThrow(/Expected a number after ':'/);
  });
});

describe('weightedChunks', () => {
  const START = 49406;
  const END = 49407;
  const COMMA = 267;
  // Words split on spaces: `wN` is 1000 + N, and BREAK (when it is a word) 600.
  const tokenizer: WeightingTokenizer = {
    encode: (text) =>
      text
        .split(/\s+/)
        .filter(Boolean)
        .map((word) => (word === ',' ? COMMA : word === 'red' ? 500 : word === 'BREAK' ? 600 : 1000 + Number(word.slice(1)))),
    commaId: COMMA,
    start: START,
    end: END,
    pad: END,
  };
  const words = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `w${from + i}`);
  const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => 1000 + from + i);
  const fill = (value: number, count: number) => new Array<number>(count).fill(value);

  it('wraps a short prompt as [start, ids, end, end...] of 77 with multipliers of 1', () => {
    expect(weightedChunks('w0 w1', tokenizer)).toEqual([{ ids: [START, 1000, 1001, ...fill(END, 74)], weights: fill(1, 77) }]);
  });

  it('gives one empty chunk for a prompt without tokens', () => {
    expect(weightedChunks('', tokenizer)).toEqual([{ ids: [START, ...fill(END, 76)], weights: fill(1, 77) }]);
  });

  it('pads with the tokenizer’s pad after the first end token (SD2)', () => {
    const [chunk] = weightedChunks('w0', { ...tokenizer, pad: 0 });
    expect(chunk!.ids).toEqual([START, 1000, END, ...fill(0, 74)]);
  });

  it('puts 80 words in two chunks of 75 and 5', () => {
    const chunks = weightedChunks(words(0, 80).join(' '), tokenizer);
    expect(chunks.map((chunk) => chunk.ids)).toEqual([
      [START, ...ids(0, 75), END],
      [START, ...ids(75, 80), ...fill(END, 71)],
    ]);
  });

  it('cuts a full chunk after a comma 5 tokens back and moves the rest on', () => {
    const prompt = [...words(0, 70), ',', ...words(71, 80)].join(' ');
    expect(weightedChunks(prompt, tokenizer).map((chunk) => chunk.ids)).toEqual([
      [START, ...ids(0, 70), COMMA, ...fill(END, 5)],
      [START, ...ids(71, 80), ...fill(END, 67)],
    ]);
  });

  it('cuts after a comma exactly commaBacktrack tokens back', () => {
    const prompt = [...words(0, 55), ',', ...words(56, 80)].join(' ');
    const [first] = weightedChunks(prompt, tokenizer);
    expect(first!.ids.slice(54, 58)).toEqual([1053, 1054, COMMA, END]);
  });

  it('does not cut for a comma further back than commaBacktrack', () => {
    const prompt = [...words(0, 50), ',', ...words(51, 80)].join(' ');
    const [first] = weightedChunks(prompt, tokenizer);
    expect(first!.ids).toEqual([START, ...ids(0, 50), COMMA, ...ids(51, 75), END]);
  });

  it('reaches further back with a larger commaBacktrack', () => {
    const prompt = [...words(0, 50), ',', ...words(51, 80)].join(' ');
    const [first] = weightedChunks(prompt, tokenizer, { commaBacktrack: 30 });
    expect(first!.ids).toEqual([START, ...ids(0, 50), COMMA, ...fill(END, 25)]);
  });

  it('does not cut at all with commaBacktrack 0', () => {
    const prompt = [...words(0, 70), ',', ...words(71, 80)].join(' ');
    const [first] = weightedChunks(prompt, tokenizer, { commaBacktrack: 0 });
    expect(first!.ids).toEqual([START, ...ids(0, 70), COMMA, ...ids(71, 75), END]);
  });

  it('keeps the weights of tokens moved by the comma cut', () => {
    const prompt = `${words(0, 70).join(' ')} , ${words(71, 73).join(' ')} (w73 w74 w75:1.5)`;
    const [first, second] = weightedChunks(prompt, tokenizer);
    expect(first!.weights).toEqual(fill(1, 77));
    expect(second!.ids.slice(0, 6)).toEqual([START, 1071, 1072, 1073, 1074, 1075]);
    expect(second!.weights.slice(0, 7)).toEqual([1, 1, 1, 1.5, 1.5, 1.5, 1]);
  });

  it('ends the chunk at BREAK', () => {
    expect(weightedChunks('w0 w1 BREAK w2', tokenizer).map((chunk) => chunk.ids)).toEqual([
      [START, 1000, 1001, ...fill(END, 74)],
      [START, 1002, ...fill(END, 75)],
    ]);
  });

  it('makes an empty first chunk for BREAK at the start, and nothing for BREAK at the end', () => {
    expect(weightedChunks('BREAK w0', tokenizer).map((chunk) => chunk.ids)).toEqual([
      [START, ...fill(END, 76)],
      [START, 1000, ...fill(END, 75)],
    ]);
    expect(weightedChunks('w0 BREAK', tokenizer)).toHaveLength(1);
  });

  it('encodes BREAK inside brackets as a word with a negative weight, as A1111 does', () => {
    const [chunk, ...rest] = weightedChunks('(w0 BREAK w1)', tokenizer);
    expect(rest).toEqual([]);
    expect(chunk!.ids.slice(0, 5)).toEqual([START, 1000, 600, 1001, END]);
    expect(chunk!.weights.slice(0, 5)).toEqual([1, 1.1, -1.1, 1.1, 1]);
  });

  it('gives each token its run’s weight', () => {
    const [chunk] = weightedChunks('(red:1.5) w1 [w2] (w3)', tokenizer);
    expect(chunk!.ids.slice(0, 6)).toEqual([START, 500, 1001, 1002, 1003, END]);
    expect(chunk!.weights).toEqual([1, 1.5, 1, 1 / 1.1, 1.1, ...fill(1, 72)]);
  });

  it('follows chunkLength', () => {
    const chunks = weightedChunks(words(0, 7).join(' '), tokenizer, { chunkLength: 5 });
    expect(chunks.map((chunk) => chunk.ids)).toEqual([
      [START, ...ids(0, 5), END],
      [START, ...ids(5, 7), END, END, END, END],
    ]);
  });

  it('refuses a chunkLength below 1', () => {
    expect(() => weightedChunks('w0', tokenizer, { chunkLength: 0 })).toThrow('Expected chunkLength to be an integer from 1 and up, got 0');
  });
});

describe('applyEmphasis', () => {
  it('scales each token’s row by its weight and restores the mean', () => {
    // Mean before 10 / 4 = 2.5; rows times [1, 2] give [1, 2, 6, 8], mean 4.25;
    // times 2.5 / 4.25 = 10 / 17 gives [10, 20, 60, 80] / 17.
    const out = applyEmphasis(Float32Array.from([1, 2, 3, 4]), [1, 2], 2, 2);
    expect(out).toHaveLength(4);
    [10 / 17, 20 / 17, 60 / 17, 80 / 17].forEach((value, i) => expect(out[i]).toBeCloseTo(value, 6));
  });

  it('leaves the hidden states as they are when every weight is 1', () => {
    const hidden = Float32Array.from([0.25, -1.5, 3, 0.125, 7, -2]);
    expect(applyEmphasis(hidden, [1, 1, 1], 3, 2)).toEqual(hidden);
  });

  it('does not change its input', () => {
    const hidden = Float32Array.from([1, 2, 3, 4]);
    applyEmphasis(hidden, [1, 2], 2, 2);
    expect(Array.from(hidden)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a weight count other than the token count', () => {
    expect(() => applyEmphasis(new Float32Array(4), [1], 2, 2)).toThrow('Expected 2 weights, one per token, got 1');
  });

  it('refuses hidden states of another shape', () => {
    expect(() => applyEmphasis(new Float32Array(5), [1, 1], 2, 2)).toThrow('Expected 2 × 2 = 4 hidden values, got 5');
  });
});
