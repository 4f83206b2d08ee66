// A warning: what a caller should know about a job that will still run as asked. Shaped
// like an error ({ code, message }), so clients read both the same way.

export interface JobWarning {
  /**
   * Stable, for programs: `unfamiliar_prompt` (most of the prompt's words are unknown to the
   * model), `no_fast_decoder` (fast_decode asked of a model without a tiny decoder: the full
   * VAE decodes).
   */
  code: 'unfamiliar_prompt' | 'no_fast_decoder';
  message: string;
  /** Prompts that would work instead, when the model names some. */
  examples?: string[];
}
