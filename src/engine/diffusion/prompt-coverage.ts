// Whether a prompt speaks the model's language. A model draws only what its training
// captions named; a prompt whose words it has never seen still gives a picture, just not
// of what was asked (the built-in model draws a blob for "a cat on a sofa"). The measure
// is the model's own tokenizer: a word the vocabulary holds whole is known; one it has to
// spell out in pieces is not. Small function words are not counted either way.

import type { JobWarning } from '../../domain/warning.js';

/** English words too common to tell anything about a prompt's subject. */
const FUNCTION_WORDS = new Set(
  'the and with for from this that these those over under into onto its his her their are was were has have had but not very some any all one two'.split(' '),
);

/** Words of at least three letters, lower-cased, each once. */
function contentWords(prompt: string): string[] {
  const words = prompt.normalize('NFC').toLowerCase().match(/\p{L}{3,}/gu) ?? [];
  return [...new Set(words)].filter((word) => !FUNCTION_WORDS.has(word));
}

/**
 * The prompt's unknown words when they are most of its content words (more than half),
 * otherwise none: one unfamiliar word among familiar ones is the user's choice to make.
 */
export function unfamiliarWords(prompt: string, knows: (word: string) => boolean): string[] {
  const words = contentWords(prompt);
  const unknown = words.filter((word) => !knows(word));
  return unknown.length * 2 > words.length ? unknown : [];
}

/** The warning for a prompt the model does not know, with prompts that work when it names some. */
export function unfamiliarPromptWarning(model: string, unknown: string[], examples: string[]): JobWarning {
  const shown = unknown.slice(0, 4).map((word) => `"${word}"`).join(', ') + (unknown.length > 4 ? ', ...' : '');
  return {
    code: 'unfamiliar_prompt',
    message: `${model} does not know most words of this prompt (${shown}), so the image will not show them`,
    ...(examples.length > 0 ? { examples } : {}),
  };
}
