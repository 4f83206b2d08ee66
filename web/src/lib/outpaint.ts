// Extending a canvas (outpainting): the margins of the presets a person picks from, kept on
// the model's grid and within what the API takes, and the size the image becomes.

import { LIMITS, type Margins } from '../api/types';
import type { SizeGrid } from './sizes';

export interface ExtendPreset {
  id: string;
  label: string;
  /** The margins for an image of this size, or null when the preset does nothing for it. */
  margins(width: number, height: number, grid: SizeGrid): Margins | null;
}

/** The largest margin on the grid the API takes. */
const maxMargin = (grid: SizeGrid) => Math.floor(LIMITS.maxMargin / grid.multiple) * grid.multiple;

/** A margin typed by hand, on the grid and in range. */
export function snapMargin(value: number, grid: SizeGrid): number {
  return Math.min(maxMargin(grid), Math.max(0, Math.round(value / grid.multiple) * grid.multiple));
}

/** `extra` pixels split over two opposite sides, each on the grid. */
function split(extra: number, grid: SizeGrid): [number, number] {
  const total = Math.max(0, Math.round(extra / grid.multiple)) * grid.multiple;
  const first = Math.floor(total / 2 / grid.multiple) * grid.multiple;
  return [Math.min(first, maxMargin(grid)), Math.min(total - first, maxMargin(grid))];
}

function around(share: number): ExtendPreset['margins'] {
  return (width, height, grid) => {
    const [left, right] = split(width * share, grid);
    const [top, bottom] = split(height * share, grid);
    return left + right + top + bottom > 0 ? { left, right, top, bottom } : null;
  };
}

/** Widens (ratio > 1) or heightens the image to the ratio, or null when it already is as wide/tall. */
function toRatio(ratio: number): ExtendPreset['margins'] {
  return (width, height, grid) => {
    const [left, right] = width / height < ratio ? split(height * ratio - width, grid) : [0, 0];
    const [top, bottom] = width / height > ratio ? split(width / ratio - height, grid) : [0, 0];
    return left + right + top + bottom > 0 ? { left, right, top, bottom } : null;
  };
}

export const EXTEND_PRESETS: readonly ExtendPreset[] = [
  { id: 'around-25', label: '+25% all around', margins: around(0.25) },
  { id: 'around-50', label: '+50% all around', margins: around(0.5) },
  { id: 'wide', label: 'Wider, 16:9', margins: (w, h, g) => (w / h < 16 / 9 ? toRatio(16 / 9)(w, h, g) : null) },
  { id: 'tall', label: 'Taller, 9:16', margins: (w, h, g) => (w / h > 9 / 16 ? toRatio(9 / 16)(w, h, g) : null) },
  { id: 'square', label: 'Square', margins: toRatio(1) },
];

export const marginsTotal = (m: Margins) => m.left + m.right + m.top + m.bottom;

export const sameMargins = (a: Margins, b: Margins) => a.left === b.left && a.right === b.right && a.top === b.top && a.bottom === b.bottom;

export function extendedSize(width: number, height: number, m: Margins): { width: number; height: number } {
  return { width: width + m.left + m.right, height: height + m.top + m.bottom };
}

export function marginsFitGrid(m: Margins, grid: SizeGrid): boolean {
  return [m.left, m.right, m.top, m.bottom].every((v) => v % grid.multiple === 0);
}
