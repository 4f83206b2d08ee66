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

export const SEVERITY: Record<ModerationAction, number> = { allow: 0, blur: 1, block: 2 };
/** Squashed matching only for terms long enough not to hit innocent words ("sex" in "essex"). */
const SQUASH_MIN = 5;

/** A term made ready to match: a whole-word pattern (with plural endings) and its squashed form. */
interface Term {
  word: RegExp;
  squashed: string | undefined;
}

function compile(terms: string[]): Term[] {
  return terms.map((term) => {
    const t = normalizeForModeration(term);
    const escaped = t.words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Plurals and simple endings count: "nudes", "kids".
    return { word: new RegExp(`(^| )${escaped}(s|es)?( |$)`), squashed: t.squashed.length >= SQUASH_MIN ? t.squashed : undefined };
  });
}

function matches(text: { words: string; squashed: string }, terms: Term[]): boolean {
  return terms.some((t) => t.word.test(text.words) || (t.squashed !== undefined && text.squashed.includes(t.squashed)));
}

interface CompiledRule {
  terms: Term[];
  requires: Term[] | undefined;
  action: ModerationAction;
}

export class PromptPolicy {
  private readonly categories: [string, CompiledRule][];

  constructor(config: PromptPolicyConfig = DEFAULT_POLICY) {
    const configured = config.categories[HARD_BLOCK];
    const hard: CategoryRule = {
      terms: [...HARD_BLOCK_RULE.terms, ...(configured?.terms ?? [])],
      requires: [...HARD_BLOCK_RULE.requires!, ...(configured?.requires ?? [])],
      action: 'block',
    };
    const rules: [string, CategoryRule][] = [[HARD_BLOCK, hard], ...Object.entries(config.categories).filter(([name]) => name !== HARD_BLOCK)];
    this.categories = rules.map(([name, rule]) => [name, { terms: compile(rule.terms), requires: rule.requires && compile(rule.requires), action: rule.action }]);
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
