// The autoencoder every diffusion family shares: pictures to latents and back, whole or in
// tiles, with the model's scale and shift (SD: latents = z x scale; Flux, SD3 and Z-Image
// centre them first: latents = (z - shift) x scale), and the tiny decoder for previews.

import type { RgbImage } from '../../domain/image.js';
import { DarkroomError } from '../../domain/errors.js';
import { concat, imageToTensor, tensorToImage } from './latents.js';
import type { OnnxModel } from './onnx-session.js';
import type { SeededRandom } from './rng.js';
import { decodeTiled, encodeTiled, shouldTile } from './tiled-vae.js';

export interface VaeConfig {
  files: {
    vaeDecoder: string;
    /** Absent in text-to-image-only exports; image-to-image then says so. */
    vaeEncoder: string | undefined;
    /** A tiny autoencoder decoder (TAESD), optional: previews on every step and fast decodes. */
    vaeDecoderTiny: string | undefined;
  };
  /** Latents are (z - shiftFactor) x scalingFactor. */
  scalingFactor: number;
  shiftFactor: number;
  /** The same for the tiny decoder: 1 for TAESD, which reads the denoiser's latents as they are. */
  tinyScalingFactor: number;
  latentChannels: number;
  /** Pixels per latent cell along each side (8 for SD, 4 for the built-in models). */
  vaeScaleFactor: number;
  /** The image side the model was trained at: tiles are this size. */
  defaultSize: number;
}

export class Vae {
  constructor(
    private readonly config: VaeConfig,
    private readonly model: (path: string) => Promise<OnnxModel>,
  ) {}

  /** The posterior of an image: its mean and, when the export gives it, its log-variance (unscaled). */
  private async posterior(image: RgbImage, tiled: boolean | undefined): Promise<{ mean: Float32Array; logvar: Float32Array | undefined }> {
    const path = this.config.files.vaeEncoder;
    if (!path) throw new DarkroomError('unsupported_operation', 'This model has no VAE encoder, so it cannot start from an image.');
    const encoder = await this.model(path);
    const c = this.config.latentChannels;
    const encode = async (pixels: Float32Array, height: number, width: number) =>
      (await encoder.run({ sample: { kind: 'float', data: pixels, dims: [1, 3, height, width] } }))[encoder.outputNames[0]!]!;
    const { width, height } = image;
    const pixels = imageToTensor(image);
    let data: Float32Array;
    let channels: number;
    if (this.tiles(width, height, tiled)) {
      // Tiles are blended before any output is seen, so the channels come from the name.
      channels = encoder.outputNames[0] === 'latent_parameters' ? 2 * c : c;
      data = await encodeTiled(pixels, { width, height }, { ...this.tileSize(), outChannels: channels }, async (tile, h, w) => (await encode(tile, h, w)).data);
    } else {
      const out = await encode(pixels, height, width);
      [data, channels] = [out.data, out.dims[1]!];
    }
    const size = (c * width * height) / this.config.vaeScaleFactor ** 2;
    // latent_parameters holds mean and log-variance; latent_sample is one sample already.
    return { mean: data.subarray(0, size), logvar: channels === 2 * c ? data.subarray(size, 2 * size) : undefined };
  }

  private toLatents(z: Float32Array): Float32Array {
    const { scalingFactor: k, shiftFactor: shift } = this.config;
    return z.map((v) => (v - shift) * k);
  }

  /** Latents of the image's posterior mean, [C, h, w] (for blending). */
  async encodeMean(image: RgbImage, tiled?: boolean): Promise<Float32Array> {
    return this.toLatents((await this.posterior(image, tiled)).mean);
  }

  /**
   * Latents of a posterior sample of the image for each generator (a batch's images draw
   * their own), [count, C, h, w]. The sample's noise is drawn even when the encoder returns
   * a sample itself, so every export of a model gives the same image.
   */
  async encodeSamples(image: RgbImage, rngs: SeededRandom[], tiled: boolean | undefined): Promise<Float32Array> {
    const { mean, logvar } = await this.posterior(image, tiled);
    return concat(
      rngs.map((rng) => {
        const eps = rng.normals(mean.length);
        if (!logvar) return this.toLatents(mean);
        return this.toLatents(mean.map((m, j) => m + Math.exp(0.5 * Math.min(20, Math.max(-30, logvar[j]!))) * eps[j]!));
      }),
    );
  }

  /** Pixels of one image's latents [C, h, w], by the full decoder or the tiny one (TAESD). */
  async decode(latents: Float32Array, w: number, h: number, tiled: boolean | undefined, which: 'full' | 'tiny'): Promise<RgbImage> {
    const { files, latentChannels: channels, vaeScaleFactor: factor } = this.config;
    const tiny = which === 'tiny' && files.vaeDecoderTiny !== undefined;
    const decoder = await this.model(tiny ? files.vaeDecoderTiny! : files.vaeDecoder);
    const decode = async (tile: Float32Array, height: number, width: number) => {
      const out = await decoder.run({ latent_sample: { kind: 'float', data: tile, dims: [1, channels, height, width] } });
      return (out.sample ?? out[decoder.outputNames[0]!]!).data;
    };
    const { scalingFactor, shiftFactor, tinyScalingFactor } = this.config;
    // Multiplying by the reciprocal, as before shifts existed, keeps SD's decodes bit for bit.
    const inverse = 1 / (tiny ? tinyScalingFactor : scalingFactor);
    const shift = tiny ? 0 : shiftFactor;
    const z = latents.map((v) => v * inverse + shift);
    const { tile, overlap } = this.tileSize();
    const pixels = this.tiles(w * factor, h * factor, tiled)
      ? await decodeTiled(z, { channels, height: h, width: w }, { tile: tile / factor, overlap: overlap / factor, factor }, decode)
      : await decode(z, h, w);
    return tensorToImage(pixels, w * factor, h * factor);
  }

  /** Whether the VAE runs in tiles for an image of this size. */
  private tiles(width: number, height: number, tiled: boolean | undefined): boolean {
    return shouldTile(width, height, this.config.defaultSize, tiled);
  }

  /** Tiles of the model's native side in pixels, overlapping by a quarter of it. */
  private tileSize(): { tile: number; overlap: number; factor: number } {
    const { defaultSize, vaeScaleFactor: factor } = this.config;
    return { tile: defaultSize, overlap: Math.max(factor, Math.round(defaultSize / 4 / factor) * factor), factor };
  }
}
