import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../config.js';
import { unfamiliarPromptWarning, unfamiliarWords } from './prompt-coverage.js';
import { ClipTokenizer } from './tokenizer.js';

const tiny = () => ClipTokenizer.load(join(packageRoot(), 'models', 'darkroom-tiny', 'tokenizer'));

describe('unfamiliarWords on darkroom-tiny', () => {
  it('finds the words of a prompt from outside the shape world', async () => {
    const tokenizer = await tiny();
    const knows = (word: string) => tokenizer.knows(word);
    expect(unfamiliarWords('a cat on a sofa', knows)).toEqual(['cat', 'sofa']);
    expect(unfamiliarWords('The cat, on the SOFA, with the dog', knows)).toEqual(['cat', 'sofa', 'dog']);
    expect(unfamiliarWords('un chat sur le canapé', knows).length).toBeGreaterThan(0);
  });

  it('says nothing about prompts of its own world, or with one odd word among known ones', async () => {
    const tokenizer = await tiny();
    const knows = (word: string) => tokenizer.knows(word);
    expect(unfamiliarWords('a red circle on a blue background', knows)).toEqual([]);
    expect(unfamiliarWords('A big ORANGE square on the left, white backdrop', knows)).toEqual([]);
    expect(unfamiliarWords('a red circle on a shiny blue background', knows)).toEqual([]);
    expect(unfamiliarWords('', knows)).toEqual([]);
  });
});

describe('ClipTokenizer.knows', () => {
  it('knows whole vocabulary words and not words it spells in pieces', async () => {
    const tokenizer = await tiny();
    expect(tokenizer.knows('triangle')).toBe(true);
    expect(tokenizer.knows('Yellow')).toBe(true);
    expect(tokenizer.knows('giraffe')).toBe(false);
  });
});

describe('unfamiliarPromptWarning', () => {
  it('names the unknown words and prompts that work', () => {
    expect(unfamiliarPromptWarning('darkroom-tiny', ['cat', 'sofa'], ['a red circle on a blue background'])).toEqual({
      code: 'unfamiliar_prompt',
      message: 'darkroom-tiny does not know most words of this prompt ("cat", "sofa"), so the image will not show them',
      examples: ['a red circle on a blue background'],
    });
    expect(unfamiliarPromptWarning('m', ['a', 'b', 'c', 'd', 'e'], [])).toEqual({ code: 'unfamiliar_prompt', message: 'm does not know most words of this prompt ("a", "b", "c", "d", ...), so the image will not show them' });
  });
});
