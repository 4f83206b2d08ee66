// Named style presets: prompt and negative-prompt templates in the manner of the styles
// users know from Fooocus and AUTOMATIC1111 (Stability's SDXL style list). "{prompt}" is
// replaced by the user's prompt; the user's negative prompt is added to the preset's.

export interface StylePreset {
  name: string;
  label: string;
  prompt: string;
  negative: string;
}

const LOW_QUALITY = 'low quality, blurry, deformed, disfigured, watermark, text';

export const STYLE_PRESETS: readonly StylePreset[] = [
  { name: 'cinematic', label: 'Cinematic', prompt: 'cinematic film still of {prompt}, shallow depth of field, vignette, highly detailed, high budget, bokeh, moody, film grain', negative: `anime, cartoon, graphic, painting, drawing, ${LOW_QUALITY}` },
  { name: 'photographic', label: 'Photographic', prompt: 'cinematic photo of {prompt}, 35mm photograph, film, bokeh, professional, 4k, highly detailed', negative: `drawing, painting, crayon, sketch, graphite, impressionist, noisy, ${LOW_QUALITY}` },
  { name: 'analog-film', label: 'Analog film', prompt: 'analog film photo of {prompt}, faded film, desaturated, 35mm photo, grainy, vignette, vintage, Kodachrome, Lomography', negative: `painting, drawing, illustration, cartoon, anime, ${LOW_QUALITY}` },
  { name: 'anime', label: 'Anime', prompt: 'anime artwork of {prompt}, anime style, key visual, vibrant, studio anime, highly detailed', negative: `photo, deformed, black and white, realism, disfigured, ${LOW_QUALITY}` },
  { name: 'comic-book', label: 'Comic book', prompt: 'comic of {prompt}, graphic illustration, comic art, graphic novel art, vibrant, highly detailed', negative: `photograph, deformed, glitch, noisy, realistic, stock photo, ${LOW_QUALITY}` },
  { name: 'digital-art', label: 'Digital art', prompt: 'concept art of {prompt}, digital artwork, illustrative, painterly, matte painting, highly detailed', negative: `photo, photorealistic, realism, ${LOW_QUALITY}` },
  { name: 'fantasy-art', label: 'Fantasy art', prompt: 'ethereal fantasy concept art of {prompt}, magnificent, celestial, ethereal, painterly, epic, majestic, magical, fantasy art', negative: `photographic, realistic, realism, 35mm film, dslr, cropped, frame, ${LOW_QUALITY}` },
  { name: 'line-art', label: 'Line art', prompt: 'line art drawing of {prompt}, professional, sleek, modern, minimalist, graphic, line art, vector graphics', negative: `anime, photorealistic, 35mm film, deformed, glitch, blurry, noisy, off-center, ${LOW_QUALITY}` },
  { name: 'low-poly', label: 'Low poly', prompt: 'low-poly style {prompt}, low-poly game art, polygon mesh, jagged, blocky, wireframe edges, centered composition', negative: `noisy, sloppy, messy, grainy, highly detailed, ultra textured, photo, ${LOW_QUALITY}` },
  { name: 'neon-punk', label: 'Neon punk', prompt: 'neonpunk style {prompt}, cyberpunk, vaporwave, neon, vibes, vibrant, stunningly beautiful, crisp, detailed, sleek, ultramodern, magenta highlights, dark purple shadows, high contrast', negative: `painting, drawing, illustration, glitch, deformed, mutated, cross-eyed, ugly, ${LOW_QUALITY}` },
  { name: 'origami', label: 'Origami', prompt: 'origami style {prompt}, paper art, pleated paper, folded, origami art, pleats, cut and fold, centered composition', negative: `noisy, sloppy, messy, grainy, highly detailed, ultra textured, photo, ${LOW_QUALITY}` },
  { name: 'pixel-art', label: 'Pixel art', prompt: 'pixel-art {prompt}, low-res, blocky, pixel art style, 8-bit graphics', negative: `sloppy, messy, blurry, noisy, highly detailed, ultra textured, photo, realistic, ${LOW_QUALITY}` },
  { name: 'watercolor', label: 'Watercolour', prompt: 'watercolor painting of {prompt}, vibrant, beautiful, painterly, detailed, textural, artistic', negative: `anime, photorealistic, 35mm film, deformed, glitch, ${LOW_QUALITY}` },
  { name: '3d-model', label: '3D model', prompt: 'professional 3d model of {prompt}, octane render, highly detailed, volumetric, dramatic lighting', negative: `ugly, deformed, noisy, ${LOW_QUALITY}` },
  { name: 'isometric', label: 'Isometric', prompt: 'isometric style {prompt}, vibrant, beautiful, crisp, detailed, ultra detailed, intricate', negative: `deformed, mutated, ugly, disfigured, blur, blurry, noise, noisy, realistic, photographic, ${LOW_QUALITY}` },
];

export function stylePreset(name: string): StylePreset | undefined {
  return STYLE_PRESETS.find((s) => s.name === name);
}

/** The prompt and negative prompt a preset makes of the user's. */
export function applyStyle(preset: StylePreset, prompt: string, negative: string): { prompt: string; negative: string } {
  const subject = prompt.trim() || 'the image';
  return {
    prompt: preset.prompt.replace('{prompt}', subject),
    negative: [preset.negative, negative.trim()].filter(Boolean).join(', '),
  };
}
