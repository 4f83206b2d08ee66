// An LLM text encoder's prompt side: the prompt put into the model's chat template and
// tokenized, as Z-Image's pipeline does it (transformers' apply_chat_template with
// add_generation_prompt and enable_thinking, then the tokenizer with no padding). The
// template comes from tokenizer_config.json and is rendered with @huggingface/jinja; the
// tokenizer from tokenizer.json with @huggingface/tokenizers. Prompts of any language and
// script go through the byte-level vocabulary; one longer than the encoder reads is
// refused, never cut.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { DarkroomError, invalidParameter } from '../../../domain/errors.js';

/** A special token in tokenizer_config.json: a string, or an AddedToken object. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

export class ChatTokenizer {
  private readonly known = new Map<string, boolean>();

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly template: Template,
    private readonly specialTokens: Record<string, string | undefined>,
    /** The most tokens a rendered prompt may have. */
    readonly maxLength: number,
  ) {}

  static async load(dir: string, maxLength: number): Promise<ChatTokenizer> {
    let json: object;
    let config: Record<string, unknown>;
    try {
      json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as object;
      config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new DarkroomError('model_invalid', `The tokenizer in ${dir} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    if (typeof config.chat_template !== 'string') {
      throw new DarkroomError('model_invalid', `${join(dir, 'tokenizer_config.json')} has no chat_template; the text encoder reads prompts in its chat format`);
    }
    try {
      const specials = Object.fromEntries(['bos_token', 'eos_token', 'pad_token', 'unk_token'].map((key) => [key, tokenText(config[key])]));
      return new ChatTokenizer(new Tokenizer(json, config), new Template(config.chat_template), specials, maxLength);
    } catch (error) {
      throw new DarkroomError('model_invalid', `The tokenizer in ${dir} cannot be used: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The text the encoder reads: the prompt as the user's message, the assistant's turn opened after it. */
  render(prompt: string): string {
    return this.template.render({
      ...this.specialTokens,
      messages: [{ role: 'user', content: prompt }],
      add_generation_prompt: true,
      enable_thinking: true,
    });
  }

  /** Token ids of the rendered prompt; refuses one the encoder cannot read whole. */
  ids(prompt: string): number[] {
    const ids = this.tokenizer.encode(this.render(prompt)).ids;
    if (ids.length > this.maxLength) {
      throw invalidParameter(`The prompt is ${ids.length} tokens long with the model's chat template; this model reads at most ${this.maxLength}. Shorten it.`);
    }
    return ids;
  }

  /**
   * Whether the vocabulary holds a word whole, or in pieces of whole characters, two or
   * more characters a piece on average (a Chinese caption's run of characters is a few
   * words); a word spelt out letter by letter, or in bytes of characters, is not known.
   */
  knows(word: string): boolean {
    let known: boolean | undefined = this.known.get(word);
    if (known === undefined) {
      const ids: number[] = this.tokenizer.encode(word, { add_special_tokens: false }).ids;
      const whole = ids.every((id) => !this.tokenizer.decode([id]).includes('\uFFFD'));
      known = ids.length === 1 || (whole && ids.length * 2 <= [...word].length);
      if (this.known.size < 10_000) this.known.set(word, known);
    }
    return known;
  }
}
