// The image policy: what a content classifier's scores (nsfwjs classes) lead to. A class
// whose score reaches its threshold applies its action; the most severe action wins.

import type { ModerationAction, ModerationDecision } from './prompt-policy.js';

export type ImageScores = Record<string, number>;

export interface ImageRule {
  threshold: number;
  action: ModerationAction;
}

export const DEFAULT_IMAGE_RULES: Record<string, ImageRule> = {
  Porn: { threshold: 0.7, action: 'blur' },
  Hentai: { threshold: 0.7, action: 'blur' },
};

const SEVERITY: Record<ModerationAction, number> = { allow: 0, blur: 1, block: 2 };

export function judgeImage(scores: ImageScores, rules: Record<string, ImageRule> = DEFAULT_IMAGE_RULES): ModerationDecision {
  const hits = Object.entries(rules)
    .filter(([name, rule]) => (scores[name] ?? 0) >= rule.threshold && rule.action !== 'allow')
    .sort(([, a], [, b]) => SEVERITY[b.action] - SEVERITY[a.action]);
  return { action: hits[0]?.[1].action ?? 'allow', categories: hits.map(([name]) => name.toLowerCase()) };
}
