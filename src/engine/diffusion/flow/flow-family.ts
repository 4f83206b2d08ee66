// What differs between the flow-matching families (Z-Image, SD3, Flux): how a prompt becomes
// the transformer's conditioning, how the transformer is fed, and how guidance combines its
// answers. The sampling loop around them is one (flow-pipeline.ts).

/** A prompt's features for the transformer, [length, width], and (SD3, Flux) its pooled vector. */
export interface PromptFeatures {
  data: Float32Array;
  length: number;
  width: number;
  pooled?: Float32Array;
}

export interface LatentShape {
  channels: number;
  height: number;
  width: number;
}

export interface FlowFamilyRunner {
  /** What the prompt-coverage advice asks. */
  readonly vocabulary: { knows(word: string): boolean };
  /** Refuses a prompt the text encoder cannot read (too long), before any work. */
  checkPrompt(prompt: string): void;
  encode(prompt: string): Promise<PromptFeatures>;
  /** Whether this guidance scale runs the transformer a second time, on the negative prompt. */
  guided(guidance: number): boolean;
  /** The guided prediction from the prompt's and the negative prompt's. */
  combine(pos: Float32Array, neg: Float32Array, guidance: number): Float32Array;
  /**
   * The velocity (noise - clean, the scheduler's convention) for one image's latents at a
   * schedule timestep (sigma x 1000); `guidance` for a family that embeds it (Flux).
   */
  velocity(latents: Float32Array, shape: LatentShape, timestep: number, prompt: PromptFeatures, guidance: number): Promise<Float32Array>;
}
