// Moderation as the job service and the workers use it: prompts are judged before a job is
// queued, images (a job's inputs and outputs) after a classifier scored them. Every
// decision that is not "allow" is recorded with its categories and a keyed hash of what was
// judged, so repeats can be recognised without keeping the prompt or the image.

import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../domain/clock.js';
import { DarkroomError } from '../domain/errors.js';
import type { Database } from '../store/schema.js';
import { judgeImage, type ImageRule, type ImageScores } from './image-policy.js';
import { normalizeForModeration } from './normalize.js';
import type { ModerationDecision, PromptPolicy } from './prompt-policy.js';

export interface ModerationDeps {
  db: Kysely<Database>;
  clock: Clock;
  prompts: PromptPolicy;
  images: Record<string, ImageRule>;
  /** Keys the content hashes, so they cannot be checked against guessed prompts. */
  hashKey: Buffer;
}

export class Moderation {
  constructor(private readonly deps: ModerationDeps) {}

  private hash(content: string | Uint8Array): string {
    return createHmac('sha256', this.deps.hashKey).update(content).digest('hex');
  }

  private async record(owner: string, subject: 'prompt' | 'input' | 'output', decision: ModerationDecision, content: string | Uint8Array): Promise<void> {
    if (decision.action === 'allow') return;
    await this.deps.db
      .insertInto('moderation_decisions')
      .values({ owner, subject, categories: decision.categories.join(','), action: decision.action, content_hash: this.hash(content), created_at: this.deps.clock.now() })
      .execute();
  }

  /** Judges a job's prompts: throws content_blocked for "block", returns "blur" or "allow". */
  async checkPrompt(owner: string, prompt: string, negative: string): Promise<'allow' | 'blur'> {
    const decision = this.deps.prompts.check(prompt, negative);
    if (decision.action !== 'allow') await this.record(owner, 'prompt', decision, normalizeForModeration(`${prompt}\n${negative}`).words);
    if (decision.action === 'block') {
      throw new DarkroomError('content_blocked', `This prompt is not allowed on this server (${decision.categories.join(', ')})`);
    }
    return decision.action;
  }

  /** Judges an image from its classifier scores, and records the decision. */
  async judgeImage(owner: string, subject: 'input' | 'output', scores: ImageScores, pixels: Uint8Array): Promise<ModerationDecision> {
    const decision = judgeImage(scores, this.deps.images);
    await this.record(owner, subject, decision, pixels);
    return decision;
  }
}
