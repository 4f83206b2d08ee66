// The moderation policy from configuration: DARKROOM_MODERATION_POLICY names a JSON file
//   { "prompts": { "<category>": { "terms": [...], "action": "allow|blur|block", "requires": [...] } },
//     "images":  { "<nsfwjs class>": { "threshold": 0..1, "action": "allow|blur|block" } } }
// Either part replaces the defaults when present. The hard-block category stays on whatever
// the file says.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../domain/job.js';
import { DEFAULT_IMAGE_RULES, type ImageRule } from './image-policy.js';
import { DEFAULT_POLICY, type PromptPolicyConfig } from './prompt-policy.js';

const Action = z.enum(['allow', 'blur', 'block']);
const PolicyFile = z.object({
  prompts: z.record(z.string(), z.object({ terms: z.array(z.string().min(1)), action: Action, requires: z.array(z.string().min(1)).optional() })).optional(),
  images: z.record(z.string(), z.object({ threshold: z.number().min(0).max(1), action: Action })).optional(),
});

export interface ModerationPolicy {
  prompts: PromptPolicyConfig;
  images: Record<string, ImageRule>;
}

export function loadModerationPolicy(path: string | undefined): ModerationPolicy {
  if (!path) return { prompts: DEFAULT_POLICY, images: DEFAULT_IMAGE_RULES };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RangeError(`DARKROOM_MODERATION_POLICY: cannot read ${path} as JSON (${(error as Error).message})`);
  }
  const parsed = PolicyFile.safeParse(raw);
  if (!parsed.success) throw new RangeError(`DARKROOM_MODERATION_POLICY: ${describeIssues(parsed.error)}`);
  return {
    prompts: parsed.data.prompts ? { categories: parsed.data.prompts } : DEFAULT_POLICY,
    images: parsed.data.images ?? DEFAULT_IMAGE_RULES,
  };
}
