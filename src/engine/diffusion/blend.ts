// Multi-image fusion: latents of 2 to 4 images combined by weighted spherical
// interpolation, which keeps the norm a denoiser expects (a straight average of latents
// is too "quiet" and comes out washed out).

/** Spherical interpolation between two latent tensors (Shoemake's slerp, linear when nearly parallel). */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const cos = dot / (Math.sqrt(na * nb) || 1);
  if (Math.abs(cos) > 0.9995) return a.map((v, i) => (1 - t) * v + t * b[i]!);
  const theta = Math.acos(Math.max(-1, Math.min(1, cos)));
  const s = Math.sin(theta);
  const wa = Math.sin((1 - t) * theta) / s;
  const wb = Math.sin(t * theta) / s;
  return a.map((v, i) => wa * v + wb * b[i]!);
}

/**
 * Weighted slerp of several tensors: folded pairwise, each step moving towards the next
 * tensor by its share of the weight so far (so weights 1, 1, 1 give each a third).
 */
export function weightedSlerp(latents: Float32Array[], weights: number[]): Float32Array {
  if (latents.length === 0 || latents.length !== weights.length) throw new RangeError('Expected one weight per latent tensor');
  if (weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0)) throw new RangeError('Expected non-negative weights, not all zero');
  let blended = latents[0]!;
  let total = weights[0]!;
  for (let i = 1; i < latents.length; i++) {
    total += weights[i]!;
    if (weights[i] === 0) continue;
    blended = total === weights[i] ? latents[i]! : slerp(blended, latents[i]!, weights[i]! / total);
  }
  return blended;
}
