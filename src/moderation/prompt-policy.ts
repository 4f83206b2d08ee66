// The prompt policy: categories of terms, each with an action (allow, blur, block), from
// configuration; a hard-block category (sexual content involving minors) that no
// configuration can switch off. A decision names categories, never the prompt's text.

import { normalizeForModeration } from './normalize.js';

export type ModerationAction = 'allow' | 'blur' | 'block';

export interface CategoryRule {
  /** Terms matched as whole words, and also inside the squashed text when long enough. */
  terms: string[];
  action: ModerationAction;
  /** When set, the category needs a term from this list too (co-occurrence). */
  requires?: string[];
}

export interface PromptPolicyConfig {
  categories: Record<string, CategoryRule>;
}

export interface ModerationDecision {
  action: ModerationAction;
  /** Categories that matched, most severe first. */
  categories: string[];
}

export const HARD_BLOCK = 'sexual_minors';

const SEXUAL = ['nude', 'naked', 'nsfw', 'porn', 'porno', 'pornographic', 'sex', 'sexual', 'sexy', 'erotic', 'explicit', 'topless', 'lingerie', 'genitals', 'undressed', 'hentai'];
const MINORS = ['child', 'children', 'kid', 'kids', 'minor', 'minors', 'underage', 'preteen', 'toddler', 'infant', 'baby', 'loli', 'lolita', 'shota', 'schoolgirl', 'schoolboy', 'young girl', 'young boy', 'little girl', 'little boy'];

/** Always on, always block: configuration may add terms but not lower the action. */
const HARD_BLOCK_RULE: CategoryRule = { terms: MINORS, requires: SEXUAL, action: 'block' };

export const DEFAULT_POLICY: PromptPolicyConfig = {
  categories: {
    sexual: { terms: SEXUAL, action: 'blur' },
    gore: { terms: ['gore', 'gory', 'dismembered', 'decapitated', 'mutilated', 'disembowel'], action: 'blur' },
  },
};

const SEVERITY: Record<ModerationAction, number> = { allow: 0, blur: 1, block: 2 };
/** Squashed matching only for terms long enough not to hit innocent words ("sex" in "essex"). */
const SQUASH_MIN = 5;

function matches(text: { words: string; squashed: string }, terms: string[]): boolean {
  return terms.some((term) => {
    const t = normalizeForModeration(term);
    if (` ${text.words} `.includes(` ${t.words} `)) return true;
    // Plurals and simple endings: "nudes", "kids".
    if (new RegExp(`(^| )${t.words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(s|es)?( |$)`).test(text.words)) return true;
    return t.squashed.length >= SQUASH_MIN && text.squashed.includes(t.squashed);
  });
}

export class PromptPolicy {
  private readonly categories: [string, CategoryRule][];

  constructor(config: PromptPolicyConfig = DEFAULT_POLICY) {
    const configured = config.categories[HARD_BLOCK];
    const hard: CategoryRule = {
      terms: [...HARD_BLOCK_RULE.terms, ...(configured?.terms ?? [])],
      requires: [...HARD_BLOCK_RULE.requires!, ...(configured?.requires ?? [])],
      action: 'block',
    };
    this.categories = [[HARD_BLOCK, hard], ...Object.entries(config.categories).filter(([name]) => name !== HARD_BLOCK)];
  }

  check(...texts: string[]): ModerationDecision {
    const text = normalizeForModeration(texts.join(' \n '));
    const hits = this.categories
      .filter(([, rule]) => matches(text, rule.terms) && (!rule.requires || matches(text, rule.requires)))
      .sort(([, a], [, b]) => SEVERITY[b.action] - SEVERITY[a.action]);
    return {
      action: hits[0]?.[1].action ?? 'allow',
      categories: hits.map(([name]) => name),
    };
  }
}
