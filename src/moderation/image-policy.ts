// The image policy: what a content classifier's scores (nsfwjs classes) lead to. A class
// whose score reaches its threshold applies its action; the most severe action wins.

import { SEVERITY, type ModerationAction, type ModerationDecision } from './prompt-policy.js';

export type ImageScores = Record<string, number>;

export interface ImageRule {
  threshold: number;
  action: ModerationAction;
}

export const DEFAULT_IMAGE_RULES: Record<string, ImageRule> = {
  Porn: { threshold: 0.7, action: 'blur' },
  Hentai: { threshold: 0.7, action: 'blur' },
};


export function judgeImage(scores: ImageScores, rules: Record<string, ImageRule> = DEFAULT_IMAGE_RULES): ModerationDecision {
  const hits = Object.entries(rules)
    .filter(([name, rule]) => (scores[name] ?? 0) >= rule.threshold && rule.action !== 'allow')
    .sort(([, a], [, b]) => SEVERITY[b.action] - SEVERITY[a.action]);
  return { action: hits[0]?.[1].action ?? 'allow', categories: hits.map(([name]) => name.toLowerCase()) };
}
