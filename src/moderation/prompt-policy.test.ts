import { describe, expect, it } from 'vitest';
import { HARD_BLOCK, PromptPolicy } from './prompt-policy.js';
import { normalizeForModeration } from './normalize.js';

const policy = new PromptPolicy({
  categories: {
    weapons: { terms: ['grenade', 'rifle'], action: 'block' },
    sexual: { terms: ['nude', 'naked'], action: 'blur' },
  },
});

describe('normalizeForModeration', () => {
  it('folds compatibility forms, accents, zero-width characters and leetspeak', () => {
    expect(normalizeForModeration('Ｇｒｅｎａｄｅ').words).toBe('grenade');
    expect(normalizeForModeration('gré\u0301nàde').words).toBe('grenade');
    expect(normalizeForModeration('gre\u200bna\u200dde').words).toBe('grenade');
    expect(normalizeForModeration('GR3N4D3').words).toBe('grenade');
    expect(normalizeForModeration('g.r.e.n.a.d.e').squashed).toBe('grenade');
    expect(normalizeForModeration('𝐠𝐫𝐞𝐧𝐚𝐝𝐞').words).toBe('grenade');
    expect(normalizeForModeration('grеnаdе').words).toBe('grenade'); // Cyrillic е and а
  });
});

describe('PromptPolicy', () => {
  it.each([
    'a grenade on a table',
    'A GRENADE',
    'a gr3n4d3',
    'a g r e n a d e',
    'a g-r-e-n-a-d-e',
    'a gre\u200bnade',
    'a ｇｒｅｎａｄｅ',
    'a grenades pile',
  ])('blocks the obfuscated variant %j of a blocked term', (prompt) => {
    expect(policy.check(prompt)).toEqual({ action: 'block', categories: ['weapons'] });
  });

  it.each([
    'a red circle on a blue background',
    'a portrait of a woman in a garden, oil painting',
    'a castle in Essex at sunset',
    'children playing football in a park',
    'a baby elephant',
    'Middlesex landscape, watercolour',
  ])('lets the ordinary prompt %j through', (prompt) => {
    expect(policy.check(prompt)).toEqual({ action: 'allow', categories: [] });
  });

  it('applies the configured action per category and reports the most severe first', () => {
    expect(policy.check('a nude statue')).toEqual({ action: 'blur', categories: ['sexual'] });
    expect(policy.check('a naked man holding a rifle')).toEqual({ action: 'block', categories: ['weapons', 'sexual'] });
  });

  it('looks at the negative prompt too', () => {
    expect(policy.check('a table', 'grenade').action).toBe('block');
  });

  it('always blocks sexual content involving minors, whatever the configuration says', () => {
    const lenient = new PromptPolicy({ categories: { [HARD_BLOCK]: { terms: [], action: 'allow' } } });
    for (const p of [policy, lenient]) {
      expect(p.check('nude child').action).toBe('block');
      expect(p.check('n.u.d.e k1d').categories).toContain(HARD_BLOCK);
      expect(p.check('an underage girl, explicit').action).toBe('block');
    }
    expect(lenient.check('a child flying a kite').action).toBe('allow');
  });
});
