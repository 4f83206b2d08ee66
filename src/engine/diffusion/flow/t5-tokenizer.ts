// T5's tokenizer, as SD3's and Flux's pipelines call it: tokenizer.json (Unigram, with the
// end-of-text token appended) through @huggingface/tokenizers, truncated to the pipeline's
// max_sequence_length keeping the end token, and padded to it ("max_length" padding: T5
// reads the padding too, so it is part of the conditioning).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { DarkroomError } from '../../../domain/errors.js';

export class T5Tokenizer {
  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly padId: number,
    private readonly eosId: number | undefined,
  ) {}

  static async load(dir: string): Promise<T5Tokenizer> {
    try {
      const json = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')) as object;
      const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
      const tokenizer = new Tokenizer(json, config);
      const id = (name: unknown) => (typeof name === 'string' ? tokenizer.token_to_id(name) : undefined);
      return new T5Tokenizer(tokenizer, id(config.pad_token) ?? 0, id(config.eos_token));
    } catch (error) {
      throw new DarkroomError('model_invalid', `The tokenizer in ${dir} cannot be read: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Exactly `length` ids: the prompt's, cut to leave room for the end token, then padding. */
  ids(text: string, length: number): number[] {
    let ids: number[] = this.tokenizer.encode(text).ids;
    if (ids.length > length) ids = this.eosId === undefined ? ids.slice(0, length) : [...ids.slice(0, length - 1), this.eosId];
    return [...ids, ...new Array<number>(length - ids.length).fill(this.padId)];
  }

  /** Whether the vocabulary holds a word as one piece (with T5's word-start marker, or without). */
  knows(word: string): boolean {
    return this.tokenizer.encode(word, { add_special_tokens: false }).ids.length === 1;
  }
}
