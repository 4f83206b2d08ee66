// Text as a moderation rule should see it: Unicode compatibility forms folded (NFKC: full-
// width letters, ligatures, styled math letters), accents and zero-width characters
// removed, lower case, common leetspeak read as letters, letters spelt out one by one
// joined. Two views are matched: words (separators kept as spaces) and a squashed run of
// letters that defeats separators inside longer words.

const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/gu;
const COMBINING = /\p{M}+/gu;

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '+': 't',
  '€': 'e',
};

/** Characters that look like Latin letters in other scripts (a few common ones). */
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ѕ: 's',
  ј: 'j',
  ν: 'v',
  ο: 'o',
  α: 'a',
};

export interface NormalizedText {
  /** Words separated by single spaces. */
  words: string;
  /** Letters only, with every separator removed. */
  squashed: string;
}

export function normalizeForModeration(text: string): NormalizedText {
  const folded = text
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .normalize('NFD')
    .replace(COMBINING, '')
    .toLowerCase()
    .replace(/./gu, (c) => CONFUSABLES[c] ?? LEET[c] ?? c);
  const words = folded
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    // Letters spelt out one by one ("n u d e") are read as the word they spell.
    .replace(/(?<![\p{L}\p{N}])(?:\p{L} ){2,}\p{L}(?![\p{L}\p{N}])/gu, (run) => run.replace(/ /g, ''));
  return { words, squashed: words.replace(/ /g, '') };
}
